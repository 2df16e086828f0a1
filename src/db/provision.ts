// Each service's database and its own role (issue #23: each service owns its data): a LOGIN role
// that owns its database, and so every table its migrations create, with CONNECT revoked from
// PUBLIC and granted to that role alone, so that no other service's role can even connect to it.
// `npm run dev` and the tests provision on the server they are given; in production an operator
// does the same once (docs/deploy.md, "Each service's database").
import pg from 'pg';
import { DATABASES, migrationsDir, type DatabaseName, type DatabaseUrls } from './databases.ts';
import { databaseName, ensureDatabase, migrate } from './migrate.ts';

/** The role a URL connects as. */
function userOf(databaseUrl: string): string {
  const user = decodeURIComponent(new URL(databaseUrl).username);
  if (!/^[A-Za-z0-9_]+$/.test(user)) throw new Error(`unsupported role name "${user}"`);
  return user;
}

/** The same server as `a`? (Roles and databases are made there, through `a`'s connection.) */
export function sameServer(a: string, b: string): boolean {
  const [x, y] = [new URL(a), new URL(b)];
  return x.hostname === y.hostname && (x.port || '5432') === (y.port || '5432');
}

/**
 * Creates the database `databaseUrl` names and, when it connects as a user other than the admin's,
 * that user as a LOGIN role with the URL's password (kept in step with it), owner of the database.
 * Either way CONNECT on it is revoked from PUBLIC, so only its owner (and superusers) may connect:
 * the roles of the other databases cannot. Connects as `adminUrl`'s user, which must be a superuser or have
 * CREATEDB and CREATEROLE. Returns whether the database was created.
 */
export async function provisionDatabase(adminUrl: string, databaseUrl: string): Promise<boolean> {
  const name = databaseName(databaseUrl);
  const role = userOf(databaseUrl);
  const admin = new URL(adminUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const own = role !== userOf(adminUrl);
    if (own) await ensureRole(client, role, decodeURIComponent(new URL(databaseUrl).password));
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    let created = false;
    if (!rowCount) {
      created = await client
        .query(
          `CREATE DATABASE ${client.escapeIdentifier(name)}${own ? ` OWNER ${client.escapeIdentifier(role)}` : ''}`,
        )
        .then(
          () => true,
          (error: { code?: string }) => {
            if (error.code === '42P04') return false; // lost a race with another creator
            throw error;
          },
        );
    }
    // The owner keeps its own CONNECT; nobody else has one.
    await client.query(`REVOKE CONNECT ON DATABASE ${client.escapeIdentifier(name)} FROM PUBLIC`);
    return created;
  } finally {
    await client.end();
  }
}

async function ensureRole(client: pg.Client, role: string, password: string): Promise<void> {
  const login = `LOGIN${password ? ` PASSWORD ${client.escapeLiteral(password)}` : ''}`;
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (rowCount) {
    await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} ${login}`);
    return;
  }
  await client.query(`CREATE ROLE ${client.escapeIdentifier(role)} ${login}`).catch((error: { code?: string }) => {
    if (error.code !== '42710') throw error; // created meanwhile by another provisioner
  });
}

export interface PrepareOptions {
  /**
   * Provision each database on this URL's server through its connection (provisionDatabase):
   * those on another server are only created if missing. Unset: every database is only created
   * if missing, as its own URL's user.
   */
  adminUrl?: string;
}

/**
 * Makes every database ready: created (and provisioned, with `adminUrl`), then migrated as its own
 * URL's role. Returns the migrations applied, per database.
 */
export async function prepareDatabases(
  urls: DatabaseUrls,
  options: PrepareOptions = {},
): Promise<Record<DatabaseName, string[]>> {
  const applied = {} as Record<DatabaseName, string[]>;
  for (const name of DATABASES) {
    const url = urls[name];
    if (options.adminUrl && sameServer(options.adminUrl, url)) await provisionDatabase(options.adminUrl, url);
    else await ensureDatabase(url);
    applied[name] = await migrate(url, migrationsDir(name));
  }
  return applied;
}

/**
 * Takes back what provisioning made, for throwaway stacks (the tests, the fuzz run): drops the
 * databases the URLs name, connections and all, then the roles they connect as that are not the
 * admin's own user.
 */
export async function dropDatabases(adminUrl: string, urls: readonly string[]): Promise<void> {
  const admin = new URL(adminUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    for (const url of urls) {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(databaseName(url))} WITH (FORCE)`);
    }
    const own = userOf(adminUrl);
    const roles = new Set(urls.map((url) => decodeURIComponent(new URL(url).username)).filter((r) => r && r !== own));
    for (const role of roles) await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(role)}`);
  } finally {
    await client.end();
  }
}
