// The clients of the trip's databases, for what runs or checks the saga (the worker, the dev
// stack, the tests, the chaos run): the booking service's, and each service's own, connected as
// its service declares (src/activities/<service>/index.ts), keyed by its database's name. The API
// builds only the clients it needs, from each service's db.ts.
import { createBookingDb, type BookingDb } from '../db/booking-db.ts';
import type { DbOptions } from '../db/client.ts';
import { SERVICE_DATABASES, type DatabaseName, type DatabaseUrls } from '../db/databases.ts';
import { TRIP_SERVICES } from './services.ts';

type TripServiceEntry = (typeof TRIP_SERVICES)[number];

/** Each service's client, by its database's name. */
export type ServiceDbs = {
  [S in TripServiceEntry as S['database']['name']]: ReturnType<S['database']['connect']>;
};

/** Every database's client: the booking service's and each service's. */
export type Databases = { booking: BookingDb } & ServiceDbs;

/**
 * What is wrong between the services and the list of their databases (src/db/databases.ts), if
 * anything: each service has a database of the list, of its own, and each of the list has a service.
 */
export function databasesMismatch(listed: readonly string[], declared: readonly string[]): string | undefined {
  const problems = [
    ...declared.filter((name) => !listed.includes(name)).map((name) => `a service's database ${name} is not listed`),
    ...listed.filter((name) => !declared.includes(name)).map((name) => `no service for database ${name}`),
    ...declared.filter((name, i) => declared.indexOf(name) !== i).map((name) => `database ${name} named twice`),
  ];
  return problems.length > 0
    ? `the services (src/activities/services.ts) do not match their databases (src/db/databases.ts): ${problems.join('; ')}`
    : undefined;
}

/** A client for every database, each over its own pool of `options.max` connections. */
export function connectDatabases(urls: DatabaseUrls, options: DbOptions = {}): Databases {
  const mismatch = databasesMismatch(
    SERVICE_DATABASES,
    TRIP_SERVICES.map((s) => s.database.name),
  );
  if (mismatch) throw new Error(mismatch);
  return {
    booking: createBookingDb(urls.booking, options),
    ...Object.fromEntries(
      TRIP_SERVICES.map((s) => [s.database.name, s.database.connect(urls[s.database.name], options)]),
    ),
  } as Databases;
}

/**
 * The clients of some databases only (a worker of some roles: a service's worker connects to its
 * own database and no other). The others are absent: only the roles that need them read them.
 */
export function connectSomeDatabases(urls: Partial<DatabaseUrls>, options: DbOptions = {}): Databases {
  const dbs: Record<string, unknown> = {};
  if (urls.booking) dbs.booking = createBookingDb(urls.booking, options);
  for (const s of TRIP_SERVICES) {
    const url = urls[s.database.name];
    if (url) dbs[s.database.name] = s.database.connect(url, options);
  }
  return dbs as Databases;
}

/** The databases a worker of these roles uses: the booking's for its role, each service's own for its. */
export function databasesOfRoles(roles: readonly string[]): DatabaseName[] {
  return [
    ...(roles.includes('booking') ? (['booking'] as const) : []),
    ...TRIP_SERVICES.filter((s) => roles.includes(s.name)).map((s) => s.database.name),
  ];
}

export async function disconnectDatabases(dbs: Databases): Promise<void> {
  const connected = Object.values(dbs as Partial<Databases>).filter(Boolean) as { $disconnect(): Promise<void> }[];
  await Promise.all(connected.map((db) => db.$disconnect()));
}

/** Seeds every service that has seed data, each in its own database; says what each added. */
export async function seedDatabases(dbs: Databases, today = new Date()): Promise<string[]> {
  const added: string[] = [];
  for (const service of TRIP_SERVICES) {
    if (!('seed' in service)) continue;
    added.push(
      await (service.seed as (db: unknown, today: Date) => Promise<string>)(dbs[service.database.name], today),
    );
  }
  return added;
}
