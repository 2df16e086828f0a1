// The seed that every start runs (npm run dev, the worker's stack, each test file's database): it
// must finish however long the database keeps it waiting. Its transaction once had Prisma's
// default 5 s lease, and a loaded machine outlasted it.
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { seed } from '../../src/db/seed.ts';
import { createTestDatabase, invariantViolations, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase('seed');
});
afterAll(async () => {
  await tdb?.close();
});

test('a seed kept waiting longer than 5 s by a lock still completes, and everything adds up', async () => {
  // An empty database of the same schema: what a first start seeds.
  await tdb.db.$executeRawUnsafe(
    'TRUNCATE flight_reservations, hotel_reservations, hotel_nights, flights, hotels RESTART IDENTITY CASCADE',
  );
  const locker = new pg.Client({ connectionString: tdb.url });
  await locker.connect();
  try {
    // Another session holds the flights table for 6 s (a migration, a long report, a slow disk).
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE flights IN EXCLUSIVE MODE');
    const release = setTimeout(() => void locker.query('COMMIT'), 6_000);
    const started = Date.now();
    const seeded = await seed(tdb.db).finally(() => clearTimeout(release));
    expect(Date.now() - started).toBeGreaterThanOrEqual(5_500);
    expect(seeded.flights).toBeGreaterThan(0);
    expect(seeded.hotels).toBeGreaterThan(0);
  } finally {
    await locker.end();
  }
  expect(
    await tdb.db.flightReservation.count({ where: { bookingId: { startsWith: 'seed-charter-' } } }),
  ).toBeGreaterThan(0);
  // The full hotel is full on every seeded night: one group reservation a night.
  expect(await tdb.db.hotelReservation.count({ where: { bookingId: { startsWith: 'seed-group-' } } })).toBeGreaterThan(
    1,
  );
  expect(await invariantViolations(tdb.db)).toEqual([]);
  // And again: a seed changes nothing that exists.
  expect(await seed(tdb.db)).toEqual({ flights: 0, hotels: 0 });
  expect(await invariantViolations(tdb.db)).toEqual([]);
});
