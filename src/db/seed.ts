// Seed data for the three services: flights for the next 60 days, hotels, and one sold-out flight
// and one hotel fully booked on each of those days. Idempotent: running it again changes nothing
// that exists.
import { fromDbDate, toDbDate, utcDay } from '../common/dates.ts';
import { SOLD_OUT_FLIGHT, SOLD_OUT_HOTEL } from '../booking/scenarios.ts';
import type { Db, Prisma } from './client.ts';
import { lockStayNights } from '../activities/hotels/room-nights.ts';

type Tx = Prisma.TransactionClient;

export const SEED_DAYS = 60;

/** A one-off batch of a few hundred rows: on a loaded machine it may outlast Prisma's default 5 s. */
const SEED_TRANSACTION = { maxWait: 30_000, timeout: 60_000 };

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
  /** Fully booked on every night the seed covers: its rooms belong to a group booked at seed time. */
  {
    id: SOLD_OUT_HOTEL,
    name: 'Jeju Seaside (fully booked)',
    city: 'Jeju',
    nightlyPriceCents: 12_000,
    capacity: 3,
    soldOut: true,
  },
] as const;

/**
 * The group that fills a hotel: on each night from `from` to the night before `to`, a one-night
 * reservation (`seed-group-<hotel>-<night>`) of whatever rooms are still free, so every night the
 * seed covers is full, whichever day it ran on before.
 */
async function bookGroupOnFreeNights(tx: Tx, hotelId: string, from: string, to: string): Promise<void> {
  await lockStayNights(tx, hotelId, from, to);
  await tx.$executeRaw`
    WITH free AS (
      SELECT n.night, n.capacity - n.rooms_taken AS rooms, h.nightly_price_cents AS nightly
      FROM hotel_nights n JOIN hotels h ON h.id = n.hotel_id
      WHERE n.hotel_id = ${hotelId} AND n.night >= ${from}::date AND n.night < ${to}::date AND n.rooms_taken < n.capacity
    ), booked AS (
      INSERT INTO hotel_reservations (id, booking_id, hotel_id, rooms, check_in, check_out, nights, price_cents, status)
      SELECT gen_random_uuid(), 'seed-group-' || ${hotelId} || '-' || to_char(night, 'YYYY-MM-DD'), ${hotelId}, rooms, night, night + 1, 1, rooms * nightly, 'RESERVED'
      FROM free
      ON CONFLICT (booking_id) DO NOTHING
      RETURNING check_in, rooms
    )
    UPDATE hotel_nights n SET rooms_taken = n.rooms_taken + booked.rooms
    FROM booked WHERE n.hotel_id = ${hotelId} AND n.night = booked.check_in`;
}

export async function seed(db: Db, today = new Date()): Promise<{ flights: number; hotels: number }> {
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
    const hotels = await tx.hotel.createMany({
      skipDuplicates: true,
      data: SEED_HOTELS.map(({ id, name, city, nightlyPriceCents, capacity }) => ({
        id,
        name,
        city,
        nightlyPriceCents,
        capacity,
      })),
    });
    // Whoever holds the sold-out inventory holds it as real reservations, so seats and rooms add up.
    const soldOutFlights = await tx.flight.findMany({ where: { flightNumber: SOLD_OUT_FLIGHT, seatsAvailable: 0 } });
    await tx.flightReservation.createMany({
      skipDuplicates: true,
      data: soldOutFlights.map((f) => ({
        bookingId: `seed-charter-${f.flightNumber}-${fromDbDate(f.date)}`,
        flightId: f.id,
        seats: f.capacity,
        priceCents: f.capacity * f.priceCents,
        status: 'RESERVED' as const,
      })),
    });
    for (const hotel of SEED_HOTELS.filter((h) => 'soldOut' in h)) {
      await bookGroupOnFreeNights(tx, hotel.id, utcDay(0, today), utcDay(SEED_DAYS, today));
    }
    return { flights: flights.count, hotels: hotels.count };
  }, SEED_TRANSACTION);
}
