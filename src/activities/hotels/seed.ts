// The hotel service's seed data: the hotels below, and one of them fully booked on every night the
// seed covers, its rooms held by a group booked at seed time. Idempotent: running it again changes
// nothing that exists (and fills the new nights of a later day).
import { SOLD_OUT_HOTEL } from '../../booking/scenarios.ts';
import { utcDay } from '../../common/dates.ts';
import { SEED_DAYS, SEED_TRANSACTION } from '../shared/seed.ts';
import type { HotelsDb, HotelsTx } from './db.ts';
import { lockStayNights } from './room-nights.ts';

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
async function bookGroupOnFreeNights(tx: HotelsTx, hotelId: string, from: string, to: string): Promise<void> {
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

/** Seeds the hotels; says how many it added. */
export async function seedHotels(db: HotelsDb, today = new Date()): Promise<string> {
  return db.$transaction(async (tx) => {
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
    // Whoever holds the sold-out rooms holds them as real reservations, so the room-nights add up.
    for (const hotel of SEED_HOTELS.filter((h) => 'soldOut' in h)) {
      await bookGroupOnFreeNights(tx, hotel.id, utcDay(0, today), utcDay(SEED_DAYS, today));
    }
    return `${hotels.count} hotel(s)`;
  }, SEED_TRANSACTION);
}
