// Each service's database and its own role (src/db/provision.ts), on a real PostgreSQL: each role
// owns its database's tables and reads and writes them, and cannot connect to another service's
// database nor to the booking service's; even if it could connect, another's tables would not be
// its to read. A database's migrations are its own: another history is refused.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import {
  DATABASES,
  databaseUrls,
  migrationsDir,
  type DatabaseName,
  type DatabaseUrls,
} from '../../src/db/databases.ts';
import { ForeignMigrationsError, migrate } from '../../src/db/migrate.ts';
import { prepareDatabases } from '../../src/db/provision.ts';
import { databaseUrlFor } from '../../src/dev/postgres.ts';
import { dropDatabases } from '../helpers/db.ts';

const INSUFFICIENT_PRIVILEGE = '42501';

/** A table of each database, and a row its own role may write there. */
const OWN_TABLE: Record<DatabaseName, { table: string; write: string }> = {
  booking: {
    table: 'idempotency_keys',
    write: `INSERT INTO idempotency_keys (subject, key, booking_id, request_hash, expires_at) VALUES ('s', 'k', 'b', 'h', now())`,
  },
  flights: {
    table: 'flights',
    write: `INSERT INTO flights (flight_number, date, origin, destination, capacity, seats_available, price_cents) VALUES ('TB1', '2030-01-01', 'A', 'B', 1, 1, 100)`,
  },
  hotels: {
    table: 'hotels',
    write: `INSERT INTO hotels (id, name, city, capacity, nightly_price_cents) VALUES ('H', 'H', 'C', 1, 100)`,
  },
  payments: {
    table: 'payment_methods',
    write: `INSERT INTO payment_methods (token, customer_id, fingerprint, brand, last4, exp_month, exp_year) VALUES ('t', 'c', 'f', 'visa', '4242', 1, 2030)`,
  },
};
const SERVICES = DATABASES.filter((name) => name !== 'booking');

const serverUrl = inject('databaseServerUrl');
const name = `trip_test_provision_${randomBytes(4).toString('hex')}`;
/** The booking service's database as the server's own user (npm run dev's DATABASE_URL), each service's derived: a role of its own. */
const urls: DatabaseUrls = databaseUrls(databaseUrlFor(serverUrl, name), {}, true).urls;
/** Each service's role, connecting to a database of another's. */
const as = (role: DatabaseName, database: DatabaseName) => {
  const url = new URL(urls[database]);
  url.username = new URL(urls[role]).username;
  return url.toString();
};

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The SQLSTATE a connection or statement was refused with; fails the test if it was not. */
async function refusal(attempt: Promise<unknown>): Promise<string | undefined> {
  const outcome = await attempt.then(
    () => ({ refused: false as const }),
    (error: { code?: string }) => ({ refused: true as const, code: error.code }),
  );
  if (!outcome.refused) throw new Error('it was let through');
  return outcome.code;
}

beforeAll(async () => {
  await prepareDatabases(urls, { adminUrl: urls.booking });
});

afterAll(async () => {
  await dropDatabases(serverUrl, Object.values(urls));
  for (const service of SERVICES) await query(serverUrl, `DROP ROLE IF EXISTS "${new URL(urls[service]).username}"`);
});

describe('each service has a database and a role of its own', () => {
  test('each service connects as its own role, which owns every table of its database', async () => {
    for (const service of SERVICES) {
      const role = new URL(urls[service]).username;
      expect(role).toBe(`${name}_${service}`);
      const { rows } = await query(
        urls[service],
        `SELECT tableowner, tablename FROM pg_tables WHERE schemaname = 'public'`,
      );
      expect(rows.length, service).toBeGreaterThan(1);
      expect(new Set(rows.map((r: { tableowner: string }) => r.tableowner)), service).toEqual(new Set([role]));
    }
  });

  test.each(DATABASES)('the %s role reads and writes its own tables', async (own) => {
    await query(urls[own], OWN_TABLE[own].write);
    const { rows } = await query(urls[own], `SELECT count(*)::int AS n FROM ${OWN_TABLE[own].table}`);
    expect(rows[0]).toEqual({ n: 1 });
  });

  test.each(SERVICES)(
    "the %s role cannot connect to another service's database, nor to the booking service's",
    async (role) => {
      for (const other of DATABASES.filter((d) => d !== role)) {
        expect(await refusal(query(as(role, other), 'SELECT 1')), `${role} → ${other}`).toBe(INSUFFICIENT_PRIVILEGE);
      }
    },
  );

  test("were it let in, another service's tables are still not its to read", async () => {
    // An operator's mistake: CONNECT on the hotels' database granted to everyone.
    const hotels = `"${new URL(urls.hotels).pathname.slice(1)}"`;
    await query(serverUrl, `GRANT CONNECT ON DATABASE ${hotels} TO PUBLIC`);
    try {
      expect(await refusal(query(as('flights', 'hotels'), 'SELECT * FROM hotels'))).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await refusal(query(as('payments', 'hotels'), 'SELECT * FROM hotel_reservations'))).toBe(
        INSUFFICIENT_PRIVILEGE,
      );
    } finally {
      await query(serverUrl, `REVOKE CONNECT ON DATABASE ${hotels} FROM PUBLIC`);
    }
  });

  test('provisioning again changes nothing and applies no migration', async () => {
    expect(await prepareDatabases(urls, { adminUrl: urls.booking })).toEqual({
      booking: [],
      flights: [],
      hotels: [],
      payments: [],
    });
  });
});

test("a database's migrations are its own: another database's folder is refused, naming what it has", async () => {
  const error = await migrate(urls.flights, migrationsDir('hotels')).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ForeignMigrationsError);
  expect((error as ForeignMigrationsError).message).toContain(name + '_flights');
  expect((error as ForeignMigrationsError).migrations).toEqual(['20261206000000_flights_baseline']);
  // Nor does the single database of the builds before #23 pass for one of the new ones.
  await query(
    urls.flights,
    `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at) VALUES ('x', 'c', '20261122155406_init', now())`,
  );
  try {
    const old = await migrate(urls.flights, migrationsDir('flights')).catch((e: unknown) => e);
    expect(old).toBeInstanceOf(ForeignMigrationsError);
    expect((old as ForeignMigrationsError).migrations).toEqual(['20261122155406_init']);
  } finally {
    await query(urls.flights, `DELETE FROM "_prisma_migrations" WHERE id = 'x'`);
  }
});
