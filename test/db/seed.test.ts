// The seed that every start runs (npm run dev, the worker's stack, each test file's databases),
// each service's in its own database: it must finish however long the database keeps it waiting.
// Its transaction once had Prisma's default 5 s lease, and a loaded machine outlasted it.
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { seedDatabases } from '../../src/activities/databases.ts';
import { createTestDatabase, invariantViolations, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase('seed');
});
afterAll(async () => {
  await tdb?.close();
});

test('a seed kept waiting longer than 5 s by a lock still completes, and everything adds up', async () => {
  // Empty databases of the same schema: what a first start seeds.
  await tdb.dbs.flights.$executeRawUnsafe('TRUNCATE flight_reservations, flights RESTART IDENTITY CASCADE');
  await tdb.dbs.hotels.$executeRawUnsafe('TRUNCATE hotel_reservations, hotel_nights, hotels RESTART IDENTITY CASCADE');
  const locker = new pg.Client({ connectionString: tdb.urls.flights });
  await locker.connect();
  try {
    // Another session holds the flights table for 6 s (a migration, a long report, a slow disk).
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE flights IN EXCLUSIVE MODE');
    const release = setTimeout(() => void locker.query('COMMIT'), 6_000);
    const started = Date.now();
    const seeded = await seedDatabases(tdb.dbs).finally(() => clearTimeout(release));
    expect(Date.now() - started).toBeGreaterThanOrEqual(5_500);
    expect(seeded).toEqual([
      expect.stringMatching(/^[1-9]\d* flight\(s\)$/),
      expect.stringMatching(/^[1-9]\d* hotel\(s\)$/),
    ]);
  } finally {
    await locker.end();
  }
  expect(
    await tdb.dbs.flights.flightReservation.count({ where: { bookingId: { startsWith: 'seed-charter-' } } }),
  ).toBeGreaterThan(0);
  // The full hotel is full on every seeded night: one group reservation a night.
  expect(
    await tdb.dbs.hotels.hotelReservation.count({ where: { bookingId: { startsWith: 'seed-group-' } } }),
  ).toBeGreaterThan(1);
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
  // And again: a seed changes nothing that exists.
  expect(await seedDatabases(tdb.dbs)).toEqual(['0 flight(s)', '0 hotel(s)']);
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
});
