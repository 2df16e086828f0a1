// The trip's databases: the booking service's (the read model, the idempotency keys) and one per
// service (issue #23: each service owns its data). Each has its URL's variable, its own Prisma
// schema and migrations under prisma/<name>/, and, in development, a URL derived from the booking
// service's. Pure: the configuration reads it; the clients are each service's own.
import { fileURLToPath } from 'node:url';

/** The services' databases, one per service of src/activities/services.ts (each names its own). */
export const SERVICE_DATABASES = ['flights', 'hotels', 'payments'] as const;
export type ServiceDatabaseName = (typeof SERVICE_DATABASES)[number];

export const DATABASES = ['booking', ...SERVICE_DATABASES] as const;
export type DatabaseName = (typeof DATABASES)[number];

/** Each database's connection URL. */
export type DatabaseUrls = Record<DatabaseName, string>;

/** The variable of a database's URL: DATABASE_URL for the booking service, FLIGHTS_DATABASE_URL for flights, … */
export function urlVariable(name: DatabaseName): string {
  return name === 'booking' ? 'DATABASE_URL' : `${name.toUpperCase()}_DATABASE_URL`;
}

/** Where a database's migrations are: prisma/<name>/migrations. */
export function migrationsDir(name: DatabaseName): string {
  return fileURLToPath(new URL(`../../prisma/${name}/migrations/`, import.meta.url));
}

/**
 * Development's URL of a service's database, from the booking service's: on the same server, the
 * database `<booking database>_<name>` and a role of the same name, with the booking URL's password
 * (the dev stack creates both: src/db/provision.ts). Production sets every URL itself.
 */
export function derivedDatabaseUrl(bookingUrl: string, name: ServiceDatabaseName): string {
  const url = new URL(bookingUrl);
  const own = `${decodeURIComponent(url.pathname.slice(1)) || 'postgres'}_${name}`;
  url.pathname = `/${own}`;
  url.username = own;
  return url.toString();
}

/**
 * Every database on one server as the server URL's own user: `<name>` for the booking service and
 * `<name>_<service>` for each service. For throwaway databases (the tests, the chaos run, the
 * benchmark), which need no role per service.
 */
export function databaseUrlsOn(serverUrl: string, name: string): DatabaseUrls {
  const on = (database: string) => {
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    return url.toString();
  };
  return Object.fromEntries(DATABASES.map((db) => [db, on(db === 'booking' ? name : `${name}_${db}`)])) as DatabaseUrls;
}

/** The same URLs through another host and port (a proxy in front of the server). */
export function databaseUrlsVia(urls: DatabaseUrls, host: string, port: number): DatabaseUrls {
  return Object.fromEntries(
    Object.entries(urls).map(([db, value]) => {
      const url = new URL(value);
      url.hostname = host;
      url.port = String(port);
      return [db, url.toString()];
    }),
  ) as DatabaseUrls;
}

/** The environment that names every database: DATABASE_URL, FLIGHTS_DATABASE_URL, … */
export function databaseEnv(urls: DatabaseUrls): Record<string, string> {
  return Object.fromEntries(DATABASES.map((db) => [urlVariable(db), urls[db]]));
}

/** Every database's URL: the booking service's, and each service's as given or, when `derive`, derived from it. */
export function databaseUrls(
  bookingUrl: string,
  given: Partial<Record<ServiceDatabaseName, string>>,
  derive: boolean,
): { urls: DatabaseUrls; missing: ServiceDatabaseName[] } {
  const missing = SERVICE_DATABASES.filter((name) => !given[name] && !derive);
  const urls = { booking: bookingUrl } as DatabaseUrls;
  for (const name of SERVICE_DATABASES) urls[name] = given[name] ?? derivedDatabaseUrl(bookingUrl, name);
  return { urls, missing };
}
