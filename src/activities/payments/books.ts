// The payment service's books: never two charges for one booking; what each booking was charged.
import type { BooksReader, ServiceBooks } from '../shared/service.ts';

export const paymentBooks: ServiceBooks = {
  charges: true,
  async violations(db: BooksReader) {
    const rows = await db.$queryRaw<{ violation: string }[]>`
      SELECT 'booking ' || booking_id || ' was charged ' || COUNT(*) || ' times' AS violation
      FROM payments WHERE status IN ('CAPTURED', 'REFUNDED') GROUP BY booking_id HAVING COUNT(*) > 1`;
    return rows.map((r) => r.violation);
  },
  async held(db: BooksReader) {
    const rows = await db.$queryRaw<
      { booking_id: string }[]
    >`SELECT booking_id FROM payments WHERE status = 'CAPTURED'`;
    return new Set(rows.map((r) => r.booking_id));
  },
  async amounts(db: BooksReader) {
    const rows = await db.$queryRaw<{ booking_id: string; cents: number }[]>`
      SELECT booking_id, amount_cents AS cents FROM payments WHERE status <> 'VOIDED' ORDER BY booking_id, created_at`;
    return new Map(rows.map((r) => [r.booking_id, r.cents]));
  },
};
