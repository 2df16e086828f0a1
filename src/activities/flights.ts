// The flight service: seats on a flight (flight number + date).
import type { Db } from '../db/client.ts';
import { toDbDate } from './dates.ts';
import { businessFailure } from './failures.ts';
import { cancel, reserve, type InventoryTables } from './reservations.ts';
import type { ReservationResult, ReserveFlightInput, StepInput, UndoResult } from './types.ts';

const FLIGHTS: InventoryTables = {
  reservations: 'flight_reservations',
  inventory: 'flights',
  inventoryId: 'flight_id',
  units: 'seats',
  available: 'seats_available',
};

export function createFlightService(db: Db) {
  return {
    reserveFlight: async (input: ReserveFlightInput): Promise<ReservationResult> => {
      const { bookingId, flightNumber, date, seats } = input;
      let flight: { id: number; priceCents: number; currency: string } | undefined;
      return reserve(db, FLIGHTS, bookingId, {
        units: seats,
        lockInventory: async (tx) => {
          const rows = await tx.$queryRaw<{ id: number; available: number; price_cents: number; currency: string }[]>`
            SELECT id, seats_available AS available, price_cents, currency FROM flights
            WHERE flight_number = ${flightNumber} AND date = ${toDbDate(date)} FOR UPDATE`;
          const row = rows[0];
          if (!row) return null;
          flight = { id: row.id, priceCents: row.price_cents, currency: row.currency };
          return row;
        },
        notFound: () => businessFailure('FlightNotFound', `no flight ${flightNumber} on ${date}`),
        soldOut: (left) =>
          businessFailure('FlightSoldOut', `flight ${flightNumber} on ${date} has ${left} seat(s) left, ${seats} asked`),
        insert: async (tx, flightId) => {
          const priceCents = flight!.priceCents * seats;
          const row = await tx.flightReservation.create({
            data: { bookingId, flightId: Number(flightId), seats, priceCents, status: 'RESERVED' },
          });
          return { reservationId: row.id, priceCents, currency: flight!.currency };
        },
        existing: ({ id, priceCents }) => ({ reservationId: id, priceCents, currency: flight?.currency ?? 'USD' }),
      });
    },

    cancelFlight: async (input: StepInput): Promise<UndoResult> => {
      return cancel(db, FLIGHTS, input.bookingId);
    },
  };
}
