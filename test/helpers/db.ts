// The databases of a test file of its own (the booking service's and each service's), created,
// migrated and seeded on the shared server, and the invariants every test checks against them.
import { randomBytes } from 'node:crypto';
import { poll } from './poll.ts';
import { inject } from 'vitest';
import {
  connectDatabases,
  disconnectDatabases,
  seedDatabases,
  type Databases,
} from '../../src/activities/databases.ts';
import type { BookingDb } from '../../src/db/booking-db.ts';
import { databaseEnv, databaseUrlsOn, type DatabaseUrls } from '../../src/db/databases.ts';
import { dropDatabases, prepareDatabases } from '../../src/db/provision.ts';
export { dropDatabases };
export { invariantViolations } from '../../src/activities/invariants.ts';
import { freeRoomsForStay } from '../../src/activities/hotels/room-nights.ts';
import { nightsBetween } from '../../src/common/dates.ts';

export interface TestDatabase {
  /** The booking service's database (DATABASE_URL). */
  url: string;
  /** Every database's URL. */
  urls: DatabaseUrls;
  /** The environment that names them (DATABASE_URL, FLIGHTS_DATABASE_URL, …), for a worker or an API process. */
  env: Record<string, string>;
  /** The booking service's client (the read model): `dbs.booking`. */
  db: BookingDb;
  /** Every database's client: `dbs.flights`, `dbs.hotels`, `dbs.payments`, `dbs.booking`. */
  dbs: Databases;
  close(): Promise<void>;
}

/**
 * The file's databases: `trip_test_<label>_<random>` for the booking service and `…_<service>` for
 * each service, as the server's own user (the tests need no role per service; test/db/provision.test.ts
 * checks the roles).
 */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const serverUrl = inject('databaseServerUrl');
  const name = `trip_test_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  const urls = databaseUrlsOn(serverUrl, name);
  await prepareDatabases(urls);
  const dbs = connectDatabases(urls, { max: 8 });
  await seedDatabases(dbs);
  return {
    url: urls.booking,
    urls,
    env: databaseEnv(urls),
    db: dbs.booking,
    dbs,
    async close() {
      await disconnectDatabases(dbs);
      await dropDatabases(serverUrl, Object.values(urls));
    },
  };
}

/** What the services hold for one booking, each read from its own database, and its read-model row. */
export async function serviceRows(dbs: Databases, bookingId: string) {
  const [flight, hotel, payment, booking] = await Promise.all([
    dbs.flights.flightReservation.findUnique({ where: { bookingId } }),
    dbs.hotels.hotelReservation.findUnique({ where: { bookingId } }),
    dbs.payments.payment.findUnique({ where: { bookingId } }),
    dbs.booking.booking.findUnique({ where: { id: bookingId } }),
  ]);
  return { flight, hotel, payment, booking };
}

/**
 * A service refuses to move one booking's row of `table` to `status` (a payment provider that
 * refuses the refund, a hotel that will not cancel): a trigger in the service's own database fails
 * every such update with `message`. Returns what drops the trigger again.
 */
export async function refuseUpdate(
  db: Pick<BookingDb, '$executeRawUnsafe'>,
  { table, bookingId, status, message }: { table: string; bookingId: string; status: string; message: string },
): Promise<() => Promise<void>> {
  const safe = (value: string) => {
    if (!/^[A-Za-z0-9_ -]+$/.test(value)) throw new Error(`refuseUpdate: unsupported value "${value}"`);
    return value;
  };
  const trigger = `refuse_${safe(table)}_${safe(bookingId).replaceAll('-', '')}`;
  await db.$executeRawUnsafe(`CREATE OR REPLACE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '${safe(message)}'; END $$`);
  await db.$executeRawUnsafe(
    `CREATE TRIGGER ${trigger} BEFORE UPDATE ON ${table} FOR EACH ROW
     WHEN (NEW.booking_id = '${bookingId}' AND NEW.status::text = '${safe(status)}') EXECUTE FUNCTION ${trigger}()`,
  );
  return async () => {
    await db.$executeRawUnsafe(`DROP TRIGGER ${trigger} ON ${table}`);
    await db.$executeRawUnsafe(`DROP FUNCTION ${trigger}()`);
  };
}

/**
 * The booking's read-model row once `until` holds: the workflow writes it beside the saga, so a
 * status the workflow's query shows reaches the row a moment later (at once only at the end).
 */
export function readModelRow(
  db: BookingDb,
  bookingId: string,
  until: (row: { status: string; state: unknown }) => boolean,
) {
  return poll(
    () => db.booking.findUnique({ where: { id: bookingId } }),
    (row): row is NonNullable<typeof row> => row !== null && until(row),
    { what: `booking ${bookingId}'s read-model row` },
  ).then((row) => row!);
}

/** How many rows the saga of one booking wrote in each service's table (and the read model). */
export async function rowCountsFor(dbs: Databases, bookingId: string) {
  const [bookings, flights, hotels, payments] = await Promise.all([
    dbs.booking.booking.count({ where: { id: bookingId } }),
    dbs.flights.flightReservation.count({ where: { bookingId } }),
    dbs.hotels.hotelReservation.count({ where: { bookingId } }),
    dbs.payments.payment.count({ where: { bookingId } }),
  ]);
  return { bookings, flights, hotels, payments };
}

/** Rooms a hotel has free on every night of a stay (check-in to the night before check-out). */
export async function roomsFree(
  dbs: Pick<Databases, 'hotels'>,
  stay: { hotelId: string; checkIn: string; checkOut: string },
): Promise<number> {
  const free = (await freeRoomsForStay(dbs.hotels, stay.checkIn, nightsBetween(stay.checkIn, stay.checkOut))).get(
    stay.hotelId,
  );
  if (free === undefined) throw new Error(`no hotel ${stay.hotelId}`);
  return free;
}
