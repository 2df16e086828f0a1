// Rooms per night over a real PostgreSQL: a stay takes a room on each night from check-in to the
// night before check-out, a full night refuses only the stays that cross it, concurrent reserves
// of overlapping stays neither oversell nor deadlock, a cancel gives back exactly its nights, and
// the seed fills the sold-out hotel night by night. All of it in the hotel service's own database.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Databases } from '../../src/activities/databases.ts';
import { seedHotels } from '../../src/activities/hotels/seed.ts';
import { createActivities, type Activities } from '../../src/activities/index.ts';
import { SEED_DAYS } from '../../src/activities/shared/seed.ts';
import { fromDbDate } from '../../src/common/dates.ts';
import { SOLD_OUT_HOTEL } from '../../src/booking/scenarios.ts';
import { daysFromNow } from '../helpers/booking.ts';
import { createTestDatabase, invariantViolations, roomsFree, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
let dbs: Databases;
let activities: Activities;

beforeAll(async () => {
  tdb = await createTestDatabase('room_nights');
  dbs = tdb.dbs;
  activities = createActivities({ dbs, faultInjection: false });
});

afterAll(async () => {
  await tdb?.close();
});

afterEach(async () => {
  expect(await invariantViolations(dbs)).toEqual([]);
});

// ---------- helpers ----------

const quietLogger = new DefaultLogger('ERROR');

function run<I, R>(fn: (input: I) => Promise<R>, input: I): Promise<R> {
  const env = new MockActivityEnvironment({ attempt: 1, startToCloseTimeoutMs: 10_000 }, { logger: quietLogger });
  return env.run<[I], R, (input: I) => Promise<R>>(fn, input);
}

/** A hotel of the test's own with few rooms, so a night fills in a few reserves. */
async function smallHotel(capacity: number): Promise<string> {
  const id = `HTL-TEST-${randomUUID().slice(0, 8)}`;
  await dbs.hotels.hotel.create({
    data: { id, name: `Test ${id}`, city: 'Testville', capacity, nightlyPriceCents: 10_000 },
  });
  return id;
}

/** A stay of `nights` nights from `day` days ahead. */
const stay = (hotelId: string, day: number, nights: number, rooms = 1) => ({
  bookingId: randomUUID(),
  hotelId,
  checkIn: daysFromNow(day),
  checkOut: daysFromNow(day + nights),
  rooms,
});

const reserve = (input: ReturnType<typeof stay>) => run(activities.reserveHotel, input);

/** The rooms taken on each night that has a row, by night (YYYY-MM-DD). */
async function roomsTaken(hotelId: string): Promise<Record<string, number>> {
  const nights = await dbs.hotels.hotelNight.findMany({ where: { hotelId }, orderBy: { night: 'asc' } });
  return Object.fromEntries(nights.filter((n) => n.roomsTaken > 0).map((n) => [fromDbDate(n.night), n.roomsTaken]));
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

function expectSoldOutOn(failure: ApplicationFailure, night: string): void {
  expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({
    type: 'HotelSoldOut',
    nonRetryable: true,
  });
  expect(failure.message).toContain(`on the night of ${night}`);
}

// ---------- the stay's nights ----------

describe('a stay takes a room on each night from check-in to the night before check-out', () => {
  test('a hotel full on one night still sells every other night, the nights either side of it included', async () => {
    const hotelId = await smallHotel(2);
    await reserve(stay(hotelId, 10, 1, 2)); // the night of day 10: full
    // Checks out the morning of the full night; checks in the morning it ends.
    await reserve(stay(hotelId, 8, 2, 1));
    await reserve(stay(hotelId, 11, 2, 2));
    expectSoldOutOn(await failureOf(reserve(stay(hotelId, 10, 1, 1))), daysFromNow(10));

    expect(await roomsTaken(hotelId)).toEqual({
      [daysFromNow(8)]: 1,
      [daysFromNow(9)]: 1,
      [daysFromNow(10)]: 2,
      [daysFromNow(11)]: 2,
      [daysFromNow(12)]: 2,
    });
    const free = (day: number, nights: number) =>
      roomsFree(dbs, { hotelId, checkIn: daysFromNow(day), checkOut: daysFromNow(day + nights) });
    expect([await free(8, 2), await free(10, 1), await free(13, 5), await free(7, 1)]).toEqual([1, 0, 2, 2]);
  });

  test('overlapping stays share the nights they have in common', async () => {
    const hotelId = await smallHotel(2);
    await reserve(stay(hotelId, 20, 3)); // nights 20, 21, 22
    await reserve(stay(hotelId, 22, 3)); // nights 22, 23, 24
    await reserve(stay(hotelId, 23, 2)); // nights 23, 24
    expect(await roomsTaken(hotelId)).toEqual({
      [daysFromNow(20)]: 1,
      [daysFromNow(21)]: 1,
      [daysFromNow(22)]: 2,
      [daysFromNow(23)]: 2,
      [daysFromNow(24)]: 2,
    });
  });

  test('a stay that crosses a full night is refused, names that night, and takes nothing', async () => {
    const hotelId = await smallHotel(2);
    await reserve(stay(hotelId, 22, 1, 2)); // the night of day 22: full
    await reserve(stay(hotelId, 25, 1, 2)); // and the night of day 25
    const before = await roomsTaken(hotelId);
    const crossing = stay(hotelId, 20, 7); // nights 20 to 26: the first full one is 22
    expectSoldOutOn(await failureOf(reserve(crossing)), daysFromNow(22));
    expect(await roomsTaken(hotelId)).toEqual(before);
    expect(await dbs.hotels.hotelReservation.count({ where: { bookingId: crossing.bookingId } })).toBe(0);
  });
});

describe('concurrent reserves', () => {
  test('of the last room on a night, by stays that overlap on it in different ways: one wins, the others are sold out', async () => {
    const hotelId = await smallHotel(3);
    await reserve(stay(hotelId, 30, 1, 2)); // one room left on the night of day 30
    const contenders = Array.from({ length: 8 }, (_, i) => stay(hotelId, 30 - (i % 4), 1 + (i % 4) + (i % 3)));
    const outcomes = await Promise.allSettled(contenders.map(reserve));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(won).toHaveLength(1);
    for (const failure of lost) {
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expectSoldOutOn(failure as ApplicationFailure, daysFromNow(30));
    }
    expect((await roomsTaken(hotelId))[daysFromNow(30)]).toBe(3);
  });

  test('of many overlapping stays never deadlock: each takes its nights, every night adds up', async () => {
    const hotelId = await smallHotel(40);
    // Stays that start and end in every order, so their nights' rows are made and locked at once.
    const stays = Array.from({ length: 16 }, (_, i) => stay(hotelId, 40 + ((i * 7) % 6), 1 + ((i * 5) % 6)));
    const results = await Promise.all(stays.map(reserve));
    expect(results).toHaveLength(16);
    const expected: Record<string, number> = {};
    for (const s of stays) {
      for (
        let d = new Date(`${s.checkIn}T00:00:00Z`);
        fromDbDate(d) < s.checkOut;
        d = new Date(d.getTime() + 86_400_000)
      ) {
        expected[fromDbDate(d)] = (expected[fromDbDate(d)] ?? 0) + 1;
      }
    }
    expect(await roomsTaken(hotelId)).toEqual(expected);
  });
});

describe('cancel', () => {
  test('gives back exactly the nights of its stay, once', async () => {
    const hotelId = await smallHotel(3);
    const first = stay(hotelId, 50, 3, 2); // nights 50, 51, 52
    await reserve(first);
    await reserve(stay(hotelId, 51, 3, 1)); // nights 51, 52, 53
    expect(await roomsTaken(hotelId)).toEqual({
      [daysFromNow(50)]: 2,
      [daysFromNow(51)]: 3,
      [daysFromNow(52)]: 3,
      [daysFromNow(53)]: 1,
    });

    expect((await run(activities.cancelHotel, { bookingId: first.bookingId })).outcome).toBe('UNDONE');
    const after = { [daysFromNow(51)]: 1, [daysFromNow(52)]: 1, [daysFromNow(53)]: 1 };
    expect(await roomsTaken(hotelId)).toEqual(after);
    expect((await run(activities.cancelHotel, { bookingId: first.bookingId })).outcome).toBe('UNDONE');
    expect(await roomsTaken(hotelId)).toEqual(after);
    // The night it gave back sells again, in full.
    await reserve(stay(hotelId, 50, 1, 3));
  });
});

// ---------- the invariants ----------

describe('the invariants', () => {
  test('name the hotel and night whose rooms taken differ from the RESERVED stays covering it', async () => {
    const hotelId = await smallHotel(3);
    const booked = stay(hotelId, 35, 2);
    await reserve(booked);
    const night = daysFromNow(36);
    await dbs.hotels
      .$executeRaw`UPDATE hotel_nights SET rooms_taken = rooms_taken + 1 WHERE hotel_id = ${hotelId} AND night = ${night}::date`;
    expect(await invariantViolations(dbs)).toEqual([
      `hotel ${hotelId} on the night of ${night}: 2 room(s) taken <> 1 in RESERVED stays`,
    ]);
    // A stay marked cancelled without giving its nights back is caught on each of its nights.
    await dbs.hotels
      .$executeRaw`UPDATE hotel_nights SET rooms_taken = rooms_taken - 1 WHERE hotel_id = ${hotelId} AND night = ${night}::date`;
    await dbs.hotels.hotelReservation.update({ where: { bookingId: booked.bookingId }, data: { status: 'CANCELLED' } });
    expect((await invariantViolations(dbs)).sort()).toEqual([
      `hotel ${hotelId} on the night of ${daysFromNow(35)}: 1 room(s) taken <> 0 in RESERVED stays`,
      `hotel ${hotelId} on the night of ${night}: 1 room(s) taken <> 0 in RESERVED stays`,
    ]);
    await dbs.hotels.hotelReservation.update({ where: { bookingId: booked.bookingId }, data: { status: 'RESERVED' } });
  });
});

// ---------- the seed ----------

describe('the seed', () => {
  test('fills the sold-out hotel night by night; run again days later, it fills only the new nights', async () => {
    const full = (day: number, nights = 1) =>
      roomsFree(dbs, { hotelId: SOLD_OUT_HOTEL, checkIn: daysFromNow(day), checkOut: daysFromNow(day + nights) });
    expect([await full(0, SEED_DAYS), await full(SEED_DAYS)]).toEqual([0, 3]);
    const groups = () => dbs.hotels.hotelReservation.count({ where: { hotelId: SOLD_OUT_HOTEL, status: 'RESERVED' } });
    const before = await groups();
    await seedHotels(dbs.hotels, new Date(Date.now() + 5 * 86_400_000));
    expect([await full(0, SEED_DAYS + 5), await full(SEED_DAYS + 5)]).toEqual([0, 3]);
    expect(await groups()).toBe(before + 5);
  });
});
