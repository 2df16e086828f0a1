// Seed data for the three services: flights for the next 60 days, hotels, and one sold-out flight
// and one sold-out hotel. Idempotent: running it again changes nothing that exists.
import { fromDbDate, toDbDate, utcDay } from '../domain/dates.ts';
import { SOLD_OUT_FLIGHT, SOLD_OUT_HOTEL } from '../domain/scenarios.ts';
import type { Db } from './client.ts';

export const SEED_DAYS = 60;

export const SEED_ROUTES = [
  { flightNumber: 'TB100', origin: 'ICN', destination: 'NRT', priceCents: 22_000, capacity: 120 },
  { flightNumber: 'TB200', origin: 'NRT', destination: 'ICN', priceCents: 21_000, capacity: 120 },
  { flightNumber: 'TB300', origin: 'ICN', destination: 'SFO', priceCents: 89_000, capacity: 200 },
  { flightNumber: 'TB400', origin: 'SFO', destination: 'ICN', priceCents: 92_000, capacity: 200 },
  /** Sold out every day: its seats belong to a charter booked at seed time. */
  { flightNumber: SOLD_OUT_FLIGHT, origin: 'ICN', destination: 'CJU', priceCents: 9_000, capacity: 4, soldOut: true },
] as const;

export const SEED_HOTELS = [
  { id: 'HTL-TOKYO-SHINJUKU', name: 'Shinjuku Garden Hotel', city: 'Tokyo', nightlyPriceCents: 18_000, capacity: 40 },
  { id: 'HTL-SEOUL-MYEONGDONG', name: 'Myeongdong Stay', city: 'Seoul', nightlyPriceCents: 14_000, capacity: 30 },
  { id: 'HTL-SF-UNION', name: 'Union Square Inn', city: 'San Francisco', nightlyPriceCents: 26_000, capacity: 25 },
  /** Sold out: its rooms belong to a group booked at seed time. */
  { id: SOLD_OUT_HOTEL, name: 'Jeju Seaside (fully booked)', city: 'Jeju', nightlyPriceCents: 12_000, capacity: 3, soldOut: true },
] as const;


/**
 * One statement at a time, each atomic and idempotent (ON CONFLICT DO NOTHING), and no transaction
 * around them: Prisma holds every transaction (interactive or batch) to a wall-clock lease, 5 s by
 * default, and a seed on a loaded machine outlasted it, failing the start it was part of. A seed
 * that stops half-way leaves what it wrote, and the next one (every start seeds) adds the rest; the
 * reservations come after the inventory they hold.
 */
export async function seed(db: Db, today = new Date()): Promise<{ flights: number; hotels: number }> {
  const full = SEED_HOTELS.find((h) => h.id === SOLD_OUT_HOTEL)!;
  const flights = await db.flight.createMany({
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
  const hotels = await db.hotel.createMany({
    skipDuplicates: true,
    data: SEED_HOTELS.map(({ id, name, city, nightlyPriceCents, capacity, ...rest }) => ({
      id,
      name,
      city,
      nightlyPriceCents,
      capacity,
      roomsAvailable: 'soldOut' in rest ? 0 : capacity,
    })),
  });
  // Whoever holds the sold-out inventory holds it as real reservations, so seats and rooms add up.
  await db.hotelReservation.createMany({
    skipDuplicates: true,
    data: [
      {
        bookingId: `seed-group-${SOLD_OUT_HOTEL}`,
        hotelId: SOLD_OUT_HOTEL,
        rooms: full.capacity,
        checkIn: toDbDate(utcDay(0, today)),
        checkOut: toDbDate(utcDay(SEED_DAYS, today)),
        nights: SEED_DAYS,
        priceCents: full.capacity * SEED_DAYS * full.nightlyPriceCents,
        status: 'RESERVED' as const,
      },
    ],
  });
  const soldOutFlights = await db.flight.findMany({ where: { flightNumber: SOLD_OUT_FLIGHT, seatsAvailable: 0 } });
  await db.flightReservation.createMany({
    skipDuplicates: true,
    data: soldOutFlights.map((f) => ({
      bookingId: `seed-charter-${f.flightNumber}-${fromDbDate(f.date)}`,
      flightId: f.id,
      seats: f.capacity,
      priceCents: f.capacity * f.priceCents,
      status: 'RESERVED' as const,
    })),
  });
  return { flights: flights.count, hotels: hotels.count };
}
