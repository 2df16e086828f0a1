// The flight service: seats on a flight (flight number + date).
import type { Db } from '../db/client.ts';
import { toDbDate } from '../domain/dates.ts';
import { businessFailure } from './failures.ts';
import { cancel, reserve, type InventoryTables } from './reservations.ts';
import type { SeatPreference } from '../workflows/steps.ts';
import type { ReservationResult, ReserveFlightInput, SeatsResult, SelectSeatsInput, StepInput, UndoResult } from './types.ts';

const LETTERS = ['A', 'B', 'C', 'D', 'E', 'F'];
const PREFERRED: Record<SeatPreference, string[]> = { window: ['A', 'F'], aisle: ['C', 'D'], any: [] };

/**
 * The first free seats, preferred letters first; seat numbers run 1A…1F, 2A… up to capacity.
 * Walks the seat map row by row, only as far as it must and only through the letters it wants,
 * so a large aircraft (or the benchmark's 100,000-seat flights) costs the seats it passes.
 */
export function chooseSeats(capacity: number, taken: ReadonlySet<string>, count: number, preference: SeatPreference): string[] {
  const preferred = PREFERRED[preference];
  const chosen: string[] = [];
  const pick = (letters: string[]) => {
    if (letters.length === 0) return;
    for (let row = 1; (row - 1) * 6 < capacity && chosen.length < count; row++) {
      for (const letter of letters) {
        const seat = `${row}${letter}`;
        if ((row - 1) * 6 + LETTERS.indexOf(letter) < capacity && chosen.length < count && !taken.has(seat)) chosen.push(seat);
      }
    }
  };
  pick(preferred);
  pick(LETTERS.filter((letter) => !preferred.includes(letter)));
  return chosen;
}

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
      if (!Number.isInteger(seats) || seats < 1 || seats > 9) {
        throw businessFailure('InvalidRequest', `a booking needs 1–9 seats (got ${seats})`);
      }
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

    /**
     * Chooses seat numbers for a booking's reservation (rows of six, A–F; window A/F, aisle C/D).
     * Idempotent: a reservation that has seats keeps them. Locks the flight row, as reserve does,
     * so two bookings never get one seat.
     */
    selectSeats: async (input: SelectSeatsInput): Promise<SeatsResult> => {
      const { bookingId, preference } = input;
      return db.$transaction(async (tx) => {
        const [reservation] = await tx.$queryRaw<{ flight_id: number | null; seats: number; status: string; seat_numbers: string[] }[]>`
          SELECT flight_id, seats, status::text AS status, seat_numbers FROM flight_reservations WHERE booking_id = ${bookingId}`;
        if (!reservation || reservation.status !== 'RESERVED' || reservation.flight_id === null) {
          throw businessFailure('AlreadyCompensated', `booking ${bookingId} holds no flight reservation`);
        }
        if (reservation.seat_numbers.length > 0) return { seatNumbers: reservation.seat_numbers };
        const [flight] = await tx.$queryRaw<{ capacity: number }[]>`
          SELECT capacity FROM flights WHERE id = ${reservation.flight_id} FOR UPDATE`;
        const taken = await tx.$queryRaw<{ seat: string }[]>`
          SELECT unnest(seat_numbers) AS seat FROM flight_reservations WHERE flight_id = ${reservation.flight_id} AND status = 'RESERVED'`;
        const seatNumbers = chooseSeats(flight!.capacity, new Set(taken.map((t) => t.seat)), reservation.seats, preference);
        await tx.$executeRaw`UPDATE flight_reservations SET seat_numbers = ${seatNumbers} WHERE booking_id = ${bookingId}`;
        return { seatNumbers };
      });
    },
  };
}
