// The stack a run measures. Once per run: PostgreSQL (DATABASE_URL's server, or an embedded one)
// and, with --prebuilt-bundle, the workflow bundle. For each mode: a Temporal dev server with its
// Prometheus metrics, databases of the mode's own (the booking service's and each service's), the
// saga's worker, the bare worker and the API,
// each a process of its own, as in production.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { connectDatabases, disconnectDatabases, seedDatabases, type Databases } from '../src/activities/databases.ts';
import { databaseEnv, databaseUrlsOn, type DatabaseUrls } from '../src/db/databases.ts';
import { prepareDatabases } from '../src/db/provision.ts';
import { databaseUrlFor, freePort, startEmbeddedPostgres } from '../src/dev/postgres.ts';
import { WORKFLOWS_PATH } from '../src/temporal/worker-factory.ts';
import { temporalCli } from '../src/temporal/executables.ts';
import type { Pids } from './process-stats.ts';
import type { Mode } from './result.ts';
import { waitFor } from './wait.ts';

/** The card vault's key in the benchmark's stack (the API, the worker and the card tokens). */
export const VAULT_KEY = 'bench-vault-key-0123456789';

const root = new URL('../', import.meta.url);

export interface Postgres {
  /** URL of the server's `postgres` database. */
  serverUrl: string;
  stop(): Promise<void>;
}

/** DATABASE_URL's server, or else an embedded one in `dir`, which `stop` stops. */
export async function startPostgres(dir: string): Promise<Postgres> {
  if (process.env.DATABASE_URL)
    return { serverUrl: databaseUrlFor(process.env.DATABASE_URL, 'postgres'), stop: () => Promise.resolve() };
  const pg = await startEmbeddedPostgres({ dir: join(dir, 'pg'), persistent: false });
  return { serverUrl: pg.serverUrl, stop: () => pg.stop() };
}

/** Builds the workflow bundle ahead (--prebuilt-bundle), for the worker's WORKFLOW_BUNDLE_PATH. */
export async function buildWorkflowBundle(dir: string): Promise<string> {
  const bundlePath = join(dir, 'workflow-bundle.js');
  await writeFile(bundlePath, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH })).code);
  return bundlePath;
}

/** `npm run worker`'s node flags and script (package.json), so the benchmark runs the worker as users do. */
export async function npmWorkerArgs(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { scripts: { worker: string } };
  return manifest.scripts.worker.split(' ').slice(1);
}

/** What every mode's stack is started with. */
export interface StackSetup {
  /** The PostgreSQL server's URL: each mode makes databases of its own there. */
  serverUrl: string;
  /** The run's scratch folder (the SQLite mode's database file). */
  dir: string;
  /** The saga's worker's node arguments (npmWorkerArgs). */
  workerArgs: string[];
  /** More environment for the saga's worker (--worker-env). */
  workerEnv: Record<string, string>;
  /** The prebuilt workflow bundle, if any. */
  bundlePath: string | undefined;
  /** SSE streams the API lets one caller hold: the benchmark opens every watcher with one token. */
  sseStreamsPerCaller: number;
}

/** A mode's running stack, as the measurements reach it. */
export interface Stack {
  client: Client;
  /** Every database's client. */
  dbs: Databases;
  apiUrl: string;
  /** The benchmark's `authorization` header: an operator's bearer token. */
  authorization: string;
  /** The dev server's Prometheus endpoint. */
  metricsUrl: string;
  /** The processes a CPU measure reads, the saga's worker as the worker. */
  pids: () => Pids;
  /** The same, the bare worker as the worker. */
  barePids: () => Pids;
  /** The saga's worker's process id (the current one, after a restart). */
  workerPid: () => number;
  /** Stops the saga's worker and starts a fresh one. */
  restartWorker: () => Promise<void>;
  /** Closes the connections and stops every process, the last started first. */
  stop: () => Promise<void>;
}

export async function startStack(mode: Mode, setup: StackSetup): Promise<Stack> {
  const processes = new Processes();
  try {
    const temporal = await startTemporal(processes, mode, setup.dir);
    const urls = await createBenchDatabases(setup.serverUrl, mode);
    const dbs = connectDatabases(urls, { max: 4 });
    await seedDatabases(dbs);
    await makeRoomForEveryBooking(dbs);

    const env = {
      ...databaseEnv(urls),
      TEMPORAL_ADDRESS: temporal.address,
      FAULT_INJECTION: 'on',
      CARD_VAULT_KEY: VAULT_KEY,
    };
    const startWorker = () =>
      processes.node(setup.workerArgs, {
        ...env,
        ...setup.workerEnv,
        ...(setup.bundlePath ? { WORKFLOW_BUNDLE_PATH: setup.bundlePath } : {}),
      });
    let worker = startWorker();
    const bare = processes.node(['--import', 'tsx', 'bench/bare-worker.ts'], env);
    const api = await startApi(processes, env, setup.sseStreamsPerCaller);

    const pidsWith = (w: ChildProcess): Pids => ({
      temporal: temporal.process.pid!,
      worker: w.pid!,
      api: api.process.pid!,
    });
    return {
      client: temporal.client,
      dbs,
      apiUrl: api.url,
      authorization: api.authorization,
      metricsUrl: temporal.metricsUrl,
      pids: () => pidsWith(worker),
      barePids: () => pidsWith(bare),
      workerPid: () => worker.pid!,
      restartWorker: async () => {
        await stopProcess(worker);
        worker = startWorker();
      },
      stop: async () => {
        try {
          await temporal.connection.close();
          await disconnectDatabases(dbs);
        } finally {
          await processes.stopAll();
        }
      },
    };
  } catch (error) {
    await processes.stopAll();
    throw error;
  }
}

/** A dev server (in memory, or on a SQLite file) with its metrics, and a client connected to it. */
async function startTemporal(processes: Processes, mode: Mode, dir: string) {
  const [port, uiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const address = `127.0.0.1:${port}`;
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--metrics-port',
    String(metricsPort),
    '--headless',
    '--log-level',
    'error',
    '--search-attribute',
    'BookingStatus=Keyword',
  ];
  if (mode === 'sqlite') {
    args.push(
      '--db-filename',
      join(dir, `${mode}.db`),
      '--sqlite-pragma',
      'journal_mode=WAL',
      '--sqlite-pragma',
      'synchronous=OFF',
    );
  }
  const child = processes.track(spawn(temporalCli()?.path ?? 'temporal', args, { stdio: 'ignore' }));
  const connection = await connectWithRetries(address);
  const client = new Client({ connection });
  await waitFor(() => fetch(metricsUrl).then((r) => r.ok), 30_000, "the dev server's metrics");
  return { process: child, address, metricsUrl, connection, client };
}

async function connectWithRetries(address: string): Promise<Connection> {
  for (let i = 0; ; i++) {
    try {
      return await Connection.connect({ address });
    } catch (error) {
      if (i > 100) throw error;
      await delay(200);
    }
  }
}

/** The databases of this mode's own on the server, migrated; returns their URLs. */
async function createBenchDatabases(serverUrl: string, mode: Mode): Promise<DatabaseUrls> {
  const urls = databaseUrlsOn(serverUrl, `trip_bench_${mode}_${Date.now()}`);
  await prepareDatabases(urls);
  return urls;
}

/** The seeded flights and hotels, with room for every booking of the run. */
async function makeRoomForEveryBooking(dbs: Databases) {
  await dbs.flights
    .$executeRaw`UPDATE flights SET capacity = 100000, seats_available = 100000 WHERE flight_number <> 'TB404'`;
  await dbs.hotels.$executeRaw`UPDATE hotels SET capacity = 100000 WHERE id <> 'HTL-JEJU-FULL'`; // its nights are made on demand, with this capacity
}

/** The API, once healthy, and an operator's token from its dev issuer. */
async function startApi(processes: Processes, env: NodeJS.ProcessEnv, sseStreamsPerCaller: number) {
  const port = await freePort();
  // One bench token opens every watcher's stream: the per-caller cap (default 10) would refuse them.
  const child = processes.node(['--import', 'tsx', 'src/api/main.ts'], {
    ...env,
    PORT: String(port),
    SSE_MAX_STREAMS_PER_CALLER: String(sseStreamsPerCaller),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => fetch(`${url}/healthz`).then((r) => r.ok), 60_000, 'the API');
  // Identity on: the API runs its dev issuer (NODE_ENV=development); the bench calls as an
  // operator (it books for many customers), with limits high enough for its load (development's).
  const tokenRes = await fetch(`${url}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: 'bench-operator', scope: 'bookings:operate' }),
  });
  const authorization = `Bearer ${((await tokenRes.json()) as { access_token: string }).access_token}`;
  return { process: child, url, authorization };
}

/** The processes a stack started, stopped the last started first. */
class Processes {
  private readonly started: ChildProcess[] = [];

  track(child: ChildProcess): ChildProcess {
    this.started.push(child);
    return child;
  }

  /** A node process in the repository's root, its logs shown with BENCH_VERBOSE. */
  node(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
    return this.track(
      spawn(process.execPath, args, {
        cwd: root,
        env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'ignore', process.env.BENCH_VERBOSE ? 'inherit' : 'ignore'],
      }),
    );
  }

  async stopAll() {
    for (const child of [...this.started].reverse()) await stopProcess(child);
  }
}

/** SIGTERM, and SIGKILL if it has not exited 15 s later. */
async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, delay(15_000).then(() => child.kill('SIGKILL'))]);
}
