// The flight service: seats on a flight (flight number + date).
import { toDbDate } from '../../common/dates.ts';
import { businessFailure } from '../shared/failures.ts';
import { cancel, reserve, type InventoryTables } from '../shared/reservations.ts';
import type { StepInput, UndoResult } from '../shared/contract.ts';
import type { FlightsDb, FlightsTx } from './db.ts';
import type { FlightReservationResult, ReserveFlightInput, SeatPreference } from './types.ts';

const LETTERS = ['A', 'B', 'C', 'D', 'E', 'F'];
const PREFERRED: Record<SeatPreference, string[]> = { window: ['A', 'F'], aisle: ['C', 'D'], any: [] };

/**
 * The first free seats, preferred letters first; seat numbers run 1A…1F, 2A… up to capacity.
 * Walks the seat map row by row, only as far as it must and only through the letters it wants,
 * so a large aircraft (or the benchmark's 100,000-seat flights) costs the seats it passes.
 */
export function chooseSeats(
  capacity: number,
  taken: ReadonlySet<string>,
  count: number,
  preference: SeatPreference,
): string[] {
  const preferred = PREFERRED[preference];
  const chosen: string[] = [];
  const pick = (letters: string[]) => {
    if (letters.length === 0) return;
    for (let row = 1; (row - 1) * 6 < capacity && chosen.length < count; row++) {
      for (const letter of letters) {
        const seat = `${row}${letter}`;
        if ((row - 1) * 6 + LETTERS.indexOf(letter) < capacity && chosen.length < count && !taken.has(seat))
          chosen.push(seat);
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

/** Seats on a flight are numbered 1A…1F, 2A… up to its capacity: those its reservations hold are taken. */
async function takenSeats(tx: FlightsTx, flightId: number): Promise<Set<string>> {
  const taken = await tx.$queryRaw<{ seat: string }[]>`
    SELECT unnest(seat_numbers) AS seat FROM flight_reservations WHERE flight_id = ${flightId} AND status = 'RESERVED'`;
  return new Set(taken.map((t) => t.seat));
}

export function createFlightService(db: FlightsDb) {
  return {
    /**
     * Reserves seats and assigns their numbers in one transaction, as an airline does: the flight
     * row is locked, so two bookings never get one seat. Idempotent: a retried reserve returns the
     * reservation, and the seats, it made the first time.
     */
    reserveFlight: async (input: ReserveFlightInput): Promise<FlightReservationResult> => {
      const { bookingId, flightNumber, date, seats, seatPreference = 'any' } = input;
      if (!Number.isInteger(seats) || seats < 1 || seats > 9) {
        throw businessFailure('InvalidRequest', `a booking needs 1–9 seats (got ${seats})`);
      }
      let flight: { id: number; priceCents: number; currency: string; capacity: number } | undefined;
      return reserve(db, FLIGHTS, bookingId, {
        units: seats,
        lockInventory: async (tx) => {
          const rows = await tx.$queryRaw<
            { id: number; available: number; price_cents: number; currency: string; capacity: number }[]
          >`
            SELECT id, seats_available AS available, price_cents, currency, capacity FROM flights
            WHERE flight_number = ${flightNumber} AND date = ${toDbDate(date)} FOR UPDATE`;
          const row = rows[0];
          if (!row) return null;
          flight = { id: row.id, priceCents: row.price_cents, currency: row.currency, capacity: row.capacity };
          return row;
        },
        notFound: () => businessFailure('FlightNotFound', `no flight ${flightNumber} on ${date}`),
        soldOut: (left) =>
          businessFailure(
            'FlightSoldOut',
            `flight ${flightNumber} on ${date} has ${left} seat(s) left, ${seats} asked`,
          ),
        insert: async (tx, flightId) => {
          const priceCents = flight!.priceCents * seats;
          const seatNumbers = chooseSeats(flight!.capacity, await takenSeats(tx, flight!.id), seats, seatPreference);
          const row = await tx.flightReservation.create({
            data: { bookingId, flightId: Number(flightId), seats, priceCents, status: 'RESERVED', seatNumbers },
          });
          return { reservationId: row.id, priceCents, currency: flight!.currency, seatNumbers };
        },
        existing: async (tx, { id, priceCents }) => {
          const [row] = await tx.$queryRaw<
            { seat_numbers: string[] }[]
          >`SELECT seat_numbers FROM flight_reservations WHERE id = ${id}`;
          return {
            reservationId: id,
            priceCents,
            currency: flight?.currency ?? 'USD',
            seatNumbers: row?.seat_numbers ?? [],
          };
        },
      });
    },

    cancelFlight: async (input: StepInput): Promise<UndoResult> => {
      return cancel(db, FLIGHTS, input.bookingId);
    },
  };
}
