// The stack a run measures. Once per run: PostgreSQL (DATABASE_URL's server, or an embedded one)
// and, with --prebuilt-bundle, the workflow bundle. For each mode: a Temporal dev server with its
// Prometheus metrics, and the bare worker. On it, for each way of calling the services in turn: a
// database of the way's own, the saga's worker (one process running every role: the booking's and
// the three services', as `npm run worker` does) and the API, each a process of its own, as in
// production, both with SERVICES_VIA set to the way; over Nexus, the services' namespaces and
// endpoints are made first (ensureServiceEndpoints, as `npm run dev` does).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../src/config.ts';
import { connectDatabases, disconnectDatabases, seedDatabases, type Databases } from '../src/activities/databases.ts';
import { databaseEnv, databaseUrlsOn, type DatabaseUrls } from '../src/db/databases.ts';
import { prepareDatabases } from '../src/db/provision.ts';
import { databaseUrlFor, freePort, startEmbeddedPostgres } from '../src/dev/postgres.ts';
import { ensureServiceEndpoints } from '../src/temporal/nexus-setup.ts';
import { serviceTransport, type ServiceTransportPlan } from '../src/temporal/service-transport.ts';
import { WORKFLOWS_PATH } from '../src/temporal/worker-factory.ts';
import { temporalCli } from '../src/temporal/executables.ts';
import type { Pids } from './process-stats.ts';
import type { Mode, Way } from './result.ts';
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
  /** The PostgreSQL server's URL: each way makes a database of its own there. */
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

/** A mode's dev server and the bare worker, which every way on it shares. */
export interface ServerStack {
  mode: Mode;
  temporal: Temporal;
  /** The bare worker's process. */
  bare: ChildProcess;
  /** Closes the connection and stops the bare worker and the dev server. */
  stop: () => Promise<void>;
}

/** A way's running stack on its mode's server, as the measurements reach it. */
export interface Stack {
  way: Way;
  /** How the way's bookings call their services: the routes in their input, and over Nexus each service's namespace. */
  services: ServiceTransportPlan;
  client: Client;
  /** The way's databases: the booking service's and each service's. */
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
  /** Closes the database and stops the way's worker and API (the server and the bare worker run on). */
  stop: () => Promise<void>;
}

/** The environment every process of the stack starts with, before its own. */
const PROCESS_ENV = { NODE_ENV: 'development', LOG_LEVEL: 'warn' };

/** The mode's dev server, and the bare worker on it. */
export async function startServer(mode: Mode, setup: StackSetup): Promise<ServerStack> {
  const processes = new Processes();
  try {
    const temporal = await startTemporal(processes, mode, setup.dir);
    const bare = processes.node(['--import', 'tsx', 'bench/bare-worker.ts'], { TEMPORAL_ADDRESS: temporal.address });
    return {
      mode,
      temporal,
      bare,
      stop: async () => {
        try {
          await temporal.connection.close();
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

/** The way's database, worker and API on the mode's server; `stop` stops them and leaves the server running. */
export async function startWay(server: ServerStack, way: Way, setup: StackSetup): Promise<Stack> {
  const { temporal } = server;
  const processes = new Processes();
  const urls = await createBenchDatabases(setup.serverUrl, `${server.mode}_${way}`);
  const dbs = connectDatabases(urls, { max: 4 });
  try {
    await seedDatabases(dbs);
    await makeRoomForEveryBooking(dbs);

    const env = {
      ...databaseEnv(urls),
      TEMPORAL_ADDRESS: temporal.address,
      FAULT_INJECTION: 'on',
      CARD_VAULT_KEY: VAULT_KEY,
      SERVICES_VIA: way,
    };
    // The plan the worker and the API make of the same environment (src/temporal/service-transport.ts).
    const services = serviceTransport(loadConfig({ ...process.env, ...PROCESS_ENV, ...env }, { service: 'worker' }), {
      fallback: way,
    });
    if (services.nexus) await ensureServiceEndpoints(temporal.connection, services.nexus);
    const startWorker = () =>
      processes.node(setup.workerArgs, {
        ...env,
        ...setup.workerEnv,
        ...(setup.bundlePath ? { WORKFLOW_BUNDLE_PATH: setup.bundlePath } : {}),
      });
    let worker = startWorker();
    const api = await startApi(processes, env, setup.sseStreamsPerCaller);

    const pidsWith = (w: ChildProcess): Pids => ({
      temporal: temporal.process.pid!,
      worker: w.pid!,
      api: api.process.pid!,
    });
    return {
      way,
      services,
      client: temporal.client,
      dbs,
      apiUrl: api.url,
      authorization: api.authorization,
      metricsUrl: temporal.metricsUrl,
      pids: () => pidsWith(worker),
      barePids: () => pidsWith(server.bare),
      workerPid: () => worker.pid!,
      restartWorker: async () => {
        await stopProcess(worker);
        worker = startWorker();
      },
      stop: async () => {
        try {
          await disconnectDatabases(dbs);
        } finally {
          await processes.stopAll();
        }
      },
    };
  } catch (error) {
    await processes.stopAll();
    await disconnectDatabases(dbs);
    throw error;
  }
}

type Temporal = Awaited<ReturnType<typeof startTemporal>>;

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

/** The databases of its own (`name`: the mode and the way) on the server, migrated; returns their URLs. */
async function createBenchDatabases(serverUrl: string, name: string): Promise<DatabaseUrls> {
  const urls = databaseUrlsOn(serverUrl, `trip_bench_${name}_${Date.now()}`);
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
        env: { ...process.env, ...PROCESS_ENV, ...env },
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
