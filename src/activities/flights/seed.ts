// The flight service's seed data: the routes below on each of the next SEED_DAYS days, and one of
// them sold out every day, its seats held by a charter booked at seed time. Idempotent: running it
// again changes nothing that exists.
import { SOLD_OUT_FLIGHT } from '../../booking/scenarios.ts';
import { fromDbDate, toDbDate, utcDay } from '../../common/dates.ts';
import { SEED_DAYS, SEED_TRANSACTION } from '../shared/seed.ts';
import type { FlightsDb } from './db.ts';

export const SEED_ROUTES = [
  { flightNumber: 'TB100', origin: 'ICN', destination: 'NRT', priceCents: 22_000, capacity: 120 },
  { flightNumber: 'TB200', origin: 'NRT', destination: 'ICN', priceCents: 21_000, capacity: 120 },
  { flightNumber: 'TB300', origin: 'ICN', destination: 'SFO', priceCents: 89_000, capacity: 200 },
  { flightNumber: 'TB400', origin: 'SFO', destination: 'ICN', priceCents: 92_000, capacity: 200 },
  /** Sold out every day: its seats belong to a charter booked at seed time. */
  { flightNumber: SOLD_OUT_FLIGHT, origin: 'ICN', destination: 'CJU', priceCents: 9_000, capacity: 4, soldOut: true },
] as const;

/** Seeds the flights; says how many it added. */
export async function seedFlights(db: FlightsDb, today = new Date()): Promise<string> {
  return db.$transaction(async (tx) => {
    const flights = await tx.flight.createMany({
      skipDuplicates: true,
      data: SEED_ROUTES.flatMap((route) =>
        Array.from({ length: SEED_DAYS }, (_, day) => ({
          flightNumber: route.flightNumber,
          date: toDbDate(utcDay(day, today)),
          origin: route.origin,
          destination: route.destination,
          capacity: route.capacity,
          seatsAvailable: 'soldOut' in route ? 0 : route.capacity,
          priceCents: route.priceCents,
        })),
      ),
    });
    // Whoever holds the sold-out seats holds them as real reservations, so the seats add up.
    const soldOut = await tx.flight.findMany({ where: { flightNumber: SOLD_OUT_FLIGHT, seatsAvailable: 0 } });
    await tx.flightReservation.createMany({
      skipDuplicates: true,
      data: soldOut.map((f) => ({
        bookingId: `seed-charter-${f.flightNumber}-${fromDbDate(f.date)}`,
        flightId: f.id,
        seats: f.capacity,
        priceCents: f.capacity * f.priceCents,
        status: 'RESERVED' as const,
      })),
    });
    return `${flights.count} flight(s)`;
  }, SEED_TRANSACTION);
}
