// Applies one database's migrations (prisma/<database>/migrations, src/db/databases.ts) in order,
// recording them in Prisma's own `_prisma_migrations` table (same checksum), so `prisma migrate
// status` and `migrate deploy` agree with the result. Needs no schema engine, so the dev stack and
// the tests migrate on any machine. Run it as the database's own role: the tables are then its.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';

/** The advisory lock Prisma Migrate takes, so this never runs beside it. */
const PRISMA_MIGRATE_LOCK = 72707369;

/** Applies the migrations of `dir` that the database has not applied yet; returns their names. */
export async function migrate(databaseUrl: string, dir: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const { rows } = await client.query<{
      migration_name: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
    }>('SELECT migration_name, finished_at, rolled_back_at FROM "_prisma_migrations"');
    const broken = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null);
    if (broken.length > 0) {
      throw new Error(`a failed migration must be resolved first: ${broken.map((r) => r.migration_name).join(', ')}`);
    }
    const done = new Set(rows.filter((r) => r.rolled_back_at === null).map((r) => r.migration_name));
    const names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    // Migrations of another history (another service's database, or the single database of the
    // builds before #23): applying these on top would fail half-way, or mix two services' tables.
    const foreign = [...done].filter((name) => !names.includes(name)).sort();
    if (foreign.length > 0) {
      throw new ForeignMigrationsError(
        `the database ${databaseName(databaseUrl)} has applied migrations that ${dir} does not have (${foreign.join(', ')}): it is another database's, or the single database of a build before each service had its own (docs/deploy.md, "Moving from one database")`,
        foreign,
      );
    }
    const applied: string[] = [];
    for (const name of names.filter((n) => !done.has(n))) {
      const sql = await readFile(`${dir}/${name}/migration.sql`, 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const id = randomUUID();
      await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ($1, $2, $3)', [
        id,
        checksum,
        name,
      ]);
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        await client.query('DELETE FROM "_prisma_migrations" WHERE id = $1', [id]);
        throw new Error(`migration ${name} failed: ${(error as Error).message}`, { cause: error });
      }
      await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [
        id,
      ]);
      applied.push(name);
    }
    return applied;
  } finally {
    await client.end();
  }
}

/** The database has migrations its folder does not know: it is not the database the folder is for. */
export class ForeignMigrationsError extends Error {
  override name = 'ForeignMigrationsError';
  /** The migrations the database has that the folder does not. */
  readonly migrations: string[];
  constructor(message: string, migrations: string[]) {
    super(message);
    this.migrations = migrations;
  }
}

/** The database a URL names; only letters, digits and `_`, as the provisioning writes them into SQL. */
export function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported database name "${name}"`);
  return name;
}

/** Creates the database named in the URL when it does not exist yet (connecting as the URL's user to `postgres`). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const name = databaseName(databaseUrl);
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE "${name}"`);
    return true;
  } catch (error) {
    // Lost a race with another creator.
    if ((error as { code?: string }).code === '42P04') return false;
    throw error;
  } finally {
    await client.end();
  }
}
