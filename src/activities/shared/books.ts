// What the books of a service whose reservations are rows of one table (booking_id, status,
// price_cents) say: flights, hotels, and any service built like them.
import { raw } from '../../db/client.ts';
import type { BooksReader, ServiceBooks } from './service.ts';

/** The bookings a reservation table holds something for, and each one's price (a tombstone's is 0). */
export function reservationBooks(table: string): Required<Pick<ServiceBooks, 'held' | 'amounts'>> {
  return {
    async held(db: BooksReader) {
      const rows = await db.$queryRaw<{ booking_id: string }[]>`
        SELECT booking_id FROM ${raw(table)} WHERE status = 'RESERVED'`;
      return new Set(rows.map((r) => r.booking_id));
    },
    async amounts(db: BooksReader) {
      const rows = await db.$queryRaw<{ booking_id: string; cents: number }[]>`
        SELECT booking_id, price_cents AS cents FROM ${raw(table)} ORDER BY booking_id, created_at`;
      return new Map(rows.map((r) => [r.booking_id, r.cents]));
    },
  };
}
