// A database of the test file's own, created, migrated and seeded on the shared server, and the
// invariants every test checks against it.
import { randomBytes } from 'node:crypto';
import { poll } from './poll.ts';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Db } from '../../src/db/client.ts';
import { ensureDatabase, migrate } from '../../src/db/migrate.ts';
import { seed } from '../../src/db/seed.ts';
export { invariantViolations } from '../../src/activities/invariants.ts';
import { databaseUrlFor } from '../../src/dev/postgres.ts';
import { freeRoomsForStay } from '../../src/activities/hotels/room-nights.ts';
import { nightsBetween } from '../../src/common/dates.ts';

export interface TestDatabase {
  url: string;
  db: Db;
  close(): Promise<void>;
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const serverUrl = inject('databaseServerUrl');
  const name = `trip_test_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  const url = databaseUrlFor(serverUrl, name);
  await ensureDatabase(url);
  await migrate(url);
  const db = createDb(url, { max: 8 });
  await seed(db);
  return {
    url,
    db,
    async close() {
      await db.$disconnect();
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** What the services hold for one booking. */
export async function serviceRows(db: Db, bookingId: string) {
  const [flight, hotel, payment, booking] = await Promise.all([
    db.flightReservation.findUnique({ where: { bookingId } }),
    db.hotelReservation.findUnique({ where: { bookingId } }),
    db.payment.findUnique({ where: { bookingId } }),
    db.booking.findUnique({ where: { id: bookingId } }),
  ]);
  return { flight, hotel, payment, booking };
}

/**
 * The booking's read-model row once `until` holds: the workflow writes it beside the saga, so a
 * status the workflow's query shows reaches the row a moment later (at once only at the end).
 */
export function readModelRow(db: Db, bookingId: string, until: (row: { status: string; state: unknown }) => boolean) {
  return poll(
    () => db.booking.findUnique({ where: { id: bookingId } }),
    (row): row is NonNullable<typeof row> => row !== null && until(row),
    { what: `booking ${bookingId}'s read-model row` },
  ).then((row) => row!);
}

/** How many rows the saga of one booking wrote in each service's table (and the read model). */
export async function rowCountsFor(db: Db, bookingId: string) {
  const [bookings, flights, hotels, payments] = await Promise.all([
    db.booking.count({ where: { id: bookingId } }),
    db.flightReservation.count({ where: { bookingId } }),
    db.hotelReservation.count({ where: { bookingId } }),
    db.payment.count({ where: { bookingId } }),
  ]);
  return { bookings, flights, hotels, payments };
}

/** Rooms a hotel has free on every night of a stay (check-in to the night before check-out). */
export async function roomsFree(db: Db, stay: { hotelId: string; checkIn: string; checkOut: string }): Promise<number> {
  const free = (await freeRoomsForStay(db, stay.checkIn, nightsBetween(stay.checkIn, stay.checkOut))).get(stay.hotelId);
  if (free === undefined) throw new Error(`no hotel ${stay.hotelId}`);
  return free;
}
