// The hotel service: rooms at a hotel for a stay, taken per night (src/activities/hotels/room-nights.ts).
import { giveBackRoomNights, lockReservationNights, lockStayNights, takeRoomNights } from './room-nights.ts';
import { nightsBetween, toDbDate } from '../../common/dates.ts';
import { businessFailure } from '../shared/failures.ts';
import { cancelOnce, reserveOnce, type ReservationTable } from '../shared/reservations.ts';
import type { StepInput, UndoResult } from '../shared/contract.ts';
import type { HotelsDb } from './db.ts';
import type { HotelReservationResult, ReserveHotelInput } from './types.ts';

const HOTEL_RESERVATIONS: ReservationTable = {
  reservations: 'hotel_reservations',
  inventoryId: 'hotel_id',
  units: 'rooms',
};

export function createHotelService(db: HotelsDb) {
  return {
    /**
     * Reserves `rooms` rooms on every night of the stay, or none: the stay's nights are locked in
     * night order, each is checked, and the first night without the rooms refuses the stay.
     * Idempotent: a retried reserve returns the reservation it made the first time.
     */
    reserveHotel: async (input: ReserveHotelInput): Promise<HotelReservationResult> => {
      const { bookingId, hotelId, checkIn, checkOut, rooms } = input;
      const nights = nightsBetween(checkIn, checkOut);
      if (
        !Number.isInteger(nights) ||
        nights < 1 ||
        nights > 30 ||
        !Number.isInteger(rooms) ||
        rooms < 1 ||
        rooms > 9
      ) {
        throw businessFailure(
          'InvalidRequest',
          `a stay needs 1–30 nights and 1–9 rooms (got ${nights} night(s), ${rooms} room(s))`,
        );
      }
      let currency = 'USD';
      return reserveOnce(db, HOTEL_RESERVATIONS, bookingId, {
        lockInventory: async (tx) => {
          const stay = await lockStayNights(tx, hotelId, checkIn, checkOut);
          if (stay) currency = stay.currency;
          return stay;
        },
        notFound: () => businessFailure('HotelNotFound', `no hotel ${hotelId}`),
        take: async (tx, stay) => {
          const full = stay.nights.find((n) => n.free < rooms);
          if (full) {
            throw businessFailure(
              'HotelSoldOut',
              `hotel ${hotelId} has ${full.free} room(s) left on the night of ${full.night}, ${rooms} asked`,
            );
          }
          await takeRoomNights(tx, hotelId, checkIn, checkOut, rooms);
        },
        insert: async (tx, stay) => {
          const priceCents = stay.nightlyPriceCents * nights * rooms;
          const row = await tx.hotelReservation.create({
            data: {
              bookingId,
              hotelId,
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

    /** Gives back exactly the nights the reservation took; a retried cancel gives back nothing more. */
    cancelHotel: async (input: StepInput): Promise<UndoResult> => {
      return cancelOnce(db, HOTEL_RESERVATIONS, input.bookingId, {
        lockInventory: lockReservationNights,
        giveBack: (tx, row) => giveBackRoomNights(tx, row.id),
      });
    },
  };
}
