// The hotel service: rooms at a hotel for a stay.
import type { Db } from '../db/client.ts';
import { nightsBetween, toDbDate } from '../domain/dates.ts';
import { businessFailure } from './failures.ts';
import { cancel, reserve, type InventoryTables } from './reservations.ts';
import type { HotelReservationResult, ReserveHotelInput, StepInput, UndoResult } from './types.ts';

const HOTELS: InventoryTables = {
  reservations: 'hotel_reservations',
  inventory: 'hotels',
  inventoryId: 'hotel_id',
  units: 'rooms',
  available: 'rooms_available',
};

export function createHotelService(db: Db) {
  return {
    reserveHotel: async (input: ReserveHotelInput): Promise<HotelReservationResult> => {
      const { bookingId, hotelId, checkIn, checkOut, rooms } = input;
      const nights = nightsBetween(checkIn, checkOut);
      if (!Number.isInteger(nights) || nights < 1 || nights > 30 || !Number.isInteger(rooms) || rooms < 1 || rooms > 9) {
        throw businessFailure('InvalidRequest', `a stay needs 1–30 nights and 1–9 rooms (got ${nights} night(s), ${rooms} room(s))`);
      }
      let currency = 'USD';
      let nightly = 0;
      return reserve(db, HOTELS, bookingId, {
        units: rooms,
        lockInventory: async (tx) => {
          const rows = await tx.$queryRaw<{ id: string; available: number; nightly: number; currency: string }[]>`
            SELECT id, rooms_available AS available, nightly_price_cents AS nightly, currency FROM hotels
            WHERE id = ${hotelId} FOR UPDATE`;
          const row = rows[0];
          if (!row) return null;
          currency = row.currency;
          nightly = row.nightly;
          return row;
        },
        notFound: () => businessFailure('HotelNotFound', `no hotel ${hotelId}`),
        soldOut: (left) => businessFailure('HotelSoldOut', `hotel ${hotelId} has ${left} room(s) left, ${rooms} asked`),
        insert: async (tx, id) => {
          const priceCents = nightly * nights * rooms;
          const row = await tx.hotelReservation.create({
            data: {
              bookingId,
              hotelId: String(id),
              rooms,
              checkIn: toDbDate(checkIn),
              checkOut: toDbDate(checkOut),
              nights,
              priceCents,
              status: 'RESERVED',
            },
          });
          return { reservationId: row.id, nights, priceCents, currency };
        },
        existing: (_tx, { id, priceCents }) => ({ reservationId: id, nights, priceCents, currency }),
      });
    },

    cancelHotel: async (input: StepInput): Promise<UndoResult> => {
      return cancel(db, HOTELS, input.bookingId);
    },
  };
}
