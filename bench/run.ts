// npm run bench [-- --bookings 1000 --concurrency 50 --modes memory --watchers 100 --scale 10,100,1000 ...]
// Measures what the saga costs against a bare workflow of 3 no-op activities, on the same Temporal
// dev server in the same run, and reports the ratios (bench/README.md says what each one means):
//   events      history events of a CONFIRMED booking (started by POST /bookings) / the bare workflow's;
//   throughput  sagas/s / bare workflows/s, at --concurrency; with CPU per workflow by process
//               (serverCpu, workerCpu);
//   e2eP50      POST → CONFIRMED p50 / the bare workflow's start → result p50, 5 at a time;
//   postP99     POST /bookings p99 / a bare client.workflow.start p99, both at half the saga throughput,
//               then GET /bookings/:id at that rate (absolute p99);
//   watchers    Temporal calls/s while --watchers clients watch one changing booking over SSE / with
//               one client (the dev server's Prometheus metrics), and the API's CPU with 1, 10, N;
//   scale       worker CPU per saga and RSS at each --scale step of sagas held open (an operator wait);
//   idle        Temporal calls/s while --watchers bookings that do not change are watched.
// A run at the full (default) sizes writes bench/results/latest.json and latest.md and appends a line
// to bench/results/history.jsonl; any other run only prints, unless --out <file.json> (and .md beside it).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import autocannon from 'autocannon';
import { createDb, type Db } from '../src/db/client.ts';
import { ensureDatabase, migrate } from '../src/db/migrate.ts';
import { seed } from '../src/db/seed.ts';
import { databaseUrlFor, freePort, startEmbeddedPostgres } from '../src/dev/postgres.ts';
import { tokenizeCard } from '../src/activities/payments/vault.ts';
import { TASK_QUEUE, workflowIdFor, type BookTripInput } from '../src/booking/booking.ts';
import { WORKFLOWS_PATH, temporalCli } from '../src/temporal/worker-factory.ts';
import { sampleCards } from '../src/activities/payments/cards.ts';

const CARDS = sampleCards();

/** The full-size run's options: only a run with all of these writes bench/results. */
const FULL = {
  bookings: '1000',
  concurrency: '50',
  'open-sagas': '1000',
  'api-seconds': '10',
  'e2e-bookings': '200',
  watchers: '100',
  'watch-seconds': '20',
  scale: '10,100,1000',
} as const;

const { values } = parseArgs({
  options: {
    bookings: { type: 'string', default: FULL.bookings },
    concurrency: { type: 'string', default: FULL.concurrency },
    /** memory, sqlite or both (memory,sqlite); memory alone keeps the full run under 15 minutes on 2 cores. */
    modes: { type: 'string', default: 'memory' },
    'open-sagas': { type: 'string', default: FULL['open-sagas'] },
    'api-seconds': { type: 'string', default: FULL['api-seconds'] },
    'e2e-bookings': { type: 'string', default: FULL['e2e-bookings'] },
    /** Clients watching one booking (the watchers ratio), and bookings watched in the idle phase. */
    watchers: { type: 'string', default: FULL.watchers },
    /** Length of each watch window. */
    'watch-seconds': { type: 'string', default: FULL['watch-seconds'] },
    /** Sagas held open at each step of the scale phase (the last step is --open-sagas). */
    scale: { type: 'string', default: FULL.scale },
    /** Where a run that is not full-size writes its JSON (and .md beside it); without it, it only prints. */
    out: { type: 'string' },
    /** Tuning: run the worker on a bundle built ahead (WORKFLOW_BUNDLE_PATH). */
    'prebuilt-bundle': { type: 'boolean', default: false },
    /** Tuning: more environment for the saga's worker, e.g. WORKER_MAX_CACHED_WORKFLOWS=200. */
    'worker-env': { type: 'string', multiple: true, default: [] },
  },
});
const WORKER_ENV = Object.fromEntries(values['worker-env'].map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string]));
const BOOKINGS = Number(values.bookings);
const CONCURRENCY = Number(values.concurrency);
const OPEN_SAGAS = Number(values['open-sagas']);
const API_SECONDS = Number(values['api-seconds']);
const E2E_BOOKINGS = Number(values['e2e-bookings']);
const WATCHERS = Number(values.watchers);
const WATCH_SECONDS = Number(values['watch-seconds']);
/** The saga and the bare workflow take turns in this many rounds (throughput, end to end). */
const ROUNDS = 4;
/** The scale phase's steps: sagas held open, ending at --open-sagas. */
const SCALE_STEPS = [...new Set([...values.scale.split(',').map(Number).filter((n) => n > 0 && n < OPEN_SAGAS), OPEN_SAGAS])].sort((a, b) => a - b);
/** Watchers of one changing booking: 1 and --watchers give the ratio; 10 is the scale's middle step. */
const WATCHER_STEPS = [...new Set([1, 10, WATCHERS].filter((n) => n >= 1 && n <= WATCHERS))].sort((a, b) => a - b);
const IS_FULL = (Object.keys(FULL) as (keyof typeof FULL)[]).every((k) => values[k] === FULL[k]);
const VAULT_KEY = 'bench-vault-key-0123456789';
const root = new URL('../', import.meta.url);

for (const [name, n] of Object.entries({ BOOKINGS, CONCURRENCY, OPEN_SAGAS, API_SECONDS, E2E_BOOKINGS, WATCHERS, WATCH_SECONDS })) {
  if (!Number.isFinite(n) || n < 1) throw new Error(`${name} must be a number ≥ 1`);
}

type Mode = 'memory' | 'sqlite';

/** The issue's ratios: the saga's cost over the bare workflow's (watchers: 100 clients over 1). */
interface Ratios {
  throughput: number;
  events: number;
  serverCpu: number;
  workerCpu: number;
  e2eP50: number;
  postP99: number;
  watchers: number;
}

interface Absolutes {
  /** GET /bookings/:id p99 at half the saga throughput (ms). */
  getP99Ms: number;
  /** Worker RSS with --open-sagas sagas waiting for an operator (MB). */
  workerRssMbOpenSagas: number;
  /** Temporal calls per second while --watchers bookings that do not change are watched, one client each. */
  idleWatchedCallsPerSecond: number;
  /** The same, per watched booking. */
  idleWatchedCallsPerSecondPerBooking: number;
}

interface WatchWindow {
  watchers: number;
  bookings: number;
  seconds: number;
  /** Temporal calls of the read operations in READ_OPERATIONS, in the window (a count). */
  temporalCalls: number;
  /** The same per second (the ratio divides these, unrounded: counts are small). */
  temporalCallsPerSecond: number;
  /** Every frontend operation that moved in the window, per second (the worker's polls too). */
  byOperation: Record<string, number>;
  apiCpuMsPerSecond: number;
  temporalCpuMsPerSecond: number;
  /** `event: booking` messages the clients received in the window, all together. */
  eventsReceived: number;
}

interface ModeResult {
  mode: Mode;
  ratios: Ratios;
  absolutes: Absolutes;
  throughput: { sagaPerSecond: number; barePerSecond: number; sagaStatuses: Record<string, number> };
  /** CPU milliseconds per workflow in the throughput phase, by process: where the work goes. */
  cpuMsPerWorkflow: { saga: CpuShare; bare: CpuShare };
  events: { saga: { count: number; types: string[]; workflowId: string }; bare: { count: number; types: string[] } };
  e2e: { saga: Latency; bare: Latency };
  fixedRate: { ratePerSecond: number; seconds: number; post: Latency & { errors: number }; bareStart: Latency & { errors: number }; get: Latency & { errors: number } };
  watch: { changing: WatchWindow[]; idle: WatchWindow; changingBooking: string };
  scale: { rssMbIdle: number; steps: { sagasOpen: number; added: number; workerCpuMsPerSaga: number; workerRssMb: number }[] };
}

interface Latency {
  p50: number;
  p99: number;
  count: number;
}

type CpuShare = Record<'temporal' | 'worker' | 'api' | 'postgres' | 'bench', number>;

/**
 * The frontend operations an API (or its watcher) reads a booking with. The worker's own calls
 * (polls, task completions, heartbeats) are not among them; they are in each window's byOperation.
 */
const READ_OPERATIONS = new Set([
  'QueryWorkflow',
  'DescribeWorkflowExecution',
  'GetWorkflowExecutionHistory',
  'GetWorkflowExecutionHistoryReverse',
  'PollWorkflowExecutionUpdate',
  'UpdateWorkflowExecution',
  'ListWorkflowExecutions',
  'CountWorkflowExecutions',
  'ScanWorkflowExecutions',
  'DescribeTaskQueue',
]);

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** The CPU seconds in a `/proc/<pid>/stat` line: the process's own, and its exited children's. */
function cpuOfStat(stat: string): { own: number; children: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number); // fields[0] is stat's 3rd field
  return { own: ((fields[11] ?? 0) + (fields[12] ?? 0)) / CLOCK_TICKS, children: ((fields[13] ?? 0) + (fields[14] ?? 0)) / CLOCK_TICKS };
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
async function cpuSeconds(pid: number): Promise<number> {
  return cpuOfStat(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).own;
}

/**
 * Every PostgreSQL process on this machine, together: the backends that run, and through the
 * server's children's time, those that have ended (a connection that closes takes its CPU along).
 */
async function postgresCpuSeconds(): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (!stat.includes('(postgres)')) continue;
    const { own, children } = cpuOfStat(stat);
    total += own + children;
  }
  return total;
}

type Pids = { temporal: number; worker: number; api: number };

async function cpuSnapshot(pids: Pids): Promise<CpuShare> {
  const usage = process.cpuUsage();
  return {
    temporal: await cpuSeconds(pids.temporal),
    worker: await cpuSeconds(pids.worker),
    api: await cpuSeconds(pids.api),
    postgres: await postgresCpuSeconds(),
    bench: (usage.user + usage.system) / 1e6,
  };
}

/** CPU milliseconds used by each part of the stack while `work` runs, divided by `per`. */
async function cpuDuring(pids: Pids, per: number, work: () => Promise<void>): Promise<CpuShare> {
  const before = await cpuSnapshot(pids);
  await work();
  const after = await cpuSnapshot(pids);
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, round(((v - before[k as keyof CpuShare]) * 1000) / per)])) as CpuShare;
}

/** The dev server's frontend request counters (Prometheus `service_requests`), by operation. */
async function frontendRequests(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^service_requests\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (labels.service_name !== 'frontend' || labels.namespace === 'temporal_system') continue;
    const op = labels.operation ?? '?';
    counts[op] = (counts[op] ?? 0) + Number(m[2]);
  }
  return counts;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

function latencyOf(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), count: sorted.length };
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await delay(200);
  }
  throw new Error(`timed out: ${what}`);
}

/** `npm run worker`'s node flags and script (package.json), so the benchmark runs the worker as users do. */
const WORKER_ARGS = (JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { scripts: { worker: string } }).scripts.worker.split(' ').slice(1);

function node(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', process.env.BENCH_VERBOSE ? 'inherit' : 'ignore'],
  });
}

async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, delay(15_000).then(() => child.kill('SIGKILL'))]);
}

/** Runs `count` jobs, `concurrency` at a time. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

/**
 * Starts `job` at a fixed rate for `seconds`, whether or not earlier ones have answered (an open
 * loop, like autocannon's overallRate), and returns each one's latency from its start.
 */
async function fixedRate(perSecond: number, seconds: number, job: () => Promise<unknown>): Promise<Latency & { errors: number }> {
  const total = Math.max(1, Math.round(perSecond * seconds));
  const latencies: number[] = [];
  let errors = 0;
  const runs: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / perSecond - performance.now();
    if (wait > 0) await delay(wait);
    const started = performance.now();
    runs.push(
      job().then(
        () => void latencies.push(performance.now() - started),
        () => void errors++,
      ),
    );
  }
  await Promise.all(runs);
  return { ...latencyOf(latencies), errors };
}

/**
 * Opens one SSE client (a plain fetch stream) per entry of `bookingIds` on GET /bookings/:id/events
 * and keeps reading; resolves once every client has its response headers.
 */
async function openWatchers(apiUrl: string, authorization: string, bookingIds: string[]) {
  const abort = new AbortController();
  let events = 0;
  const readers: Promise<void>[] = [];
  await Promise.all(
    bookingIds.map(async (id) => {
      const res = await fetch(`${apiUrl}/bookings/${id}/events`, { headers: { authorization, accept: 'text/event-stream' }, signal: abort.signal });
      if (!res.ok || !res.body) throw new Error(`GET /bookings/${id}/events: ${res.status}`);
      const body = res.body;
      readers.push(
        (async () => {
          const decoder = new TextDecoder();
          let partial = '';
          try {
            for await (const chunk of body) {
              const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n');
              partial = lines.pop() ?? '';
              events += lines.filter((l) => l === 'event: booking').length;
            }
          } catch {
            // aborted: the window is over
          }
        })(),
      );
    }),
  );
  return {
    events: () => events,
    close: async () => {
      abort.abort();
      await Promise.allSettled(readers);
    },
  };
}

/** A date 1–50 days ahead, spread by `i`, plus `extra` days. */
function dayOffset(i: number, extra = 0) {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1 + (i % 50) + extra)).toISOString().slice(0, 10);
}

const EVENT_TYPES = proto.temporal.api.enums.v1.EventType;

/** A workflow's history: how many events, and their types in order (EVENT_TYPE_ left off). */
async function historyOf(client: Client, workflowId: string): Promise<{ count: number; types: string[] }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const types = (history.events ?? []).map((e) => (EVENT_TYPES[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, ''));
  return { count: types.length, types };
}

async function runMode(mode: Mode, serverUrl: string, dir: string, bundlePath: string | undefined): Promise<ModeResult> {
  const log = (line: string) => console.log(`[${mode}] ${line}`);
  const children: ChildProcess[] = [];
  try {
    // Temporal, with its Prometheus metrics: the watch phases count its frontend's requests.
    const [port, uiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const address = `127.0.0.1:${port}`;
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--metrics-port', String(metricsPort), '--headless', '--log-level', 'error', '--search-attribute', 'BookingStatus=Keyword'];
    if (mode === 'sqlite') {
      args.push('--db-filename', join(dir, `${mode}.db`), '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF');
    }
    const temporal = spawn(temporalCli()?.path ?? 'temporal', args, { stdio: 'ignore' });
    children.push(temporal);
    const connection = await (async () => {
      for (let i = 0; ; i++) {
        try {
          return await Connection.connect({ address });
        } catch (error) {
          if (i > 100) throw error;
          await delay(200);
        }
      }
    })();
    const client = new Client({ connection });
    await waitFor(() => fetch(metricsUrl).then((r) => r.ok), 30_000, 'the dev server\'s metrics');

    // PostgreSQL: a database of this run's own, with room for every booking.
    const databaseUrl = databaseUrlFor(serverUrl, `trip_bench_${mode}_${Date.now()}`);
    await ensureDatabase(databaseUrl);
    await migrate(databaseUrl);
    const db: Db = createDb(databaseUrl, { max: 4 });
    await seed(db);
    await db.$executeRaw`UPDATE flights SET capacity = 100000, seats_available = 100000 WHERE flight_number <> 'TB404'`;
    await db.$executeRaw`UPDATE hotels SET capacity = 100000 WHERE id <> 'HTL-JEJU-FULL'`; // its nights are made on demand, with this capacity

    // The saga's worker, the bare worker and the API: processes of their own.
    const env = { DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: address, FAULT_INJECTION: 'on', CARD_VAULT_KEY: VAULT_KEY };
    const startWorker = () => {
      const child = node(WORKER_ARGS, { ...env, ...WORKER_ENV, ...(bundlePath ? { WORKFLOW_BUNDLE_PATH: bundlePath } : {}) });
      children.push(child);
      return child;
    };
    let worker = startWorker();
    const bare = node(['--import', 'tsx', 'bench/bare-worker.ts'], env);
    const apiPort = await freePort();
    // One bench token opens every watcher's stream: the per-caller cap (default 10) would refuse them.
    const api = node(['--import', 'tsx', 'src/api/main.ts'], { ...env, PORT: String(apiPort), SSE_MAX_STREAMS_PER_CALLER: String(Math.max(WATCHERS, OPEN_SAGAS) + 10) });
    children.push(bare, api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitFor(() => fetch(`${apiUrl}/healthz`).then((r) => r.ok), 60_000, 'the API');
    // Identity on: the API runs its dev issuer (NODE_ENV=development); the bench calls as an
    // operator (it books for many customers), with limits high enough for its load (development's).
    const tokenRes = await fetch(`${apiUrl}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'bench-operator', scope: 'bookings:operate' }) });
    const authorization = `Bearer ${((await tokenRes.json()) as { access_token: string }).access_token}`;
    const pids = (w: ChildProcess = worker): Pids => ({ temporal: temporal.pid!, worker: w.pid!, api: api.pid! });

    const good = await tokenizeCard(db, VAULT_KEY, 'bench', CARDS.good);
    const declined = await tokenizeCard(db, VAULT_KEY, 'bench', CARDS.declined);
    const input = (i: number, overrides: Partial<BookTripInput> = {}): BookTripInput => ({
      bookingId: randomUUID(),
      customerId: `bench-${i % 100}`,
      flight: { flightNumber: ['TB100', 'TB200', 'TB300', 'TB400'][i % 4]!, date: dayOffset(i), seats: 1 },
      hotel: { hotelId: ['HTL-TOKYO-SHINJUKU', 'HTL-SEOUL-MYEONGDONG', 'HTL-SF-UNION'][i % 3]!, checkIn: dayOffset(i), checkOut: dayOffset(i, 2), rooms: 1 },
      payment: { token: good.token, brand: good.brand, last4: good.last4 },
      ...overrides,
    });
    /** A booking that waits for an operator: the card is declined, and the hotel's undo fails. */
    const waiting = (i: number, customerId: string) =>
      input(i, { customerId, payment: { token: declined.token, brand: declined.brand, last4: declined.last4 }, faults: { cancelHotel: 'fail' } });
    const bodyFor = (customerId: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        customerId,
        flight: { flightNumber: 'TB100', date: dayOffset(3), seats: 1 },
        hotel: { hotelId: 'HTL-TOKYO-SHINJUKU', checkIn: dayOffset(3), nights: 2, rooms: 1 },
        payment: { card: CARDS.good },
        ...extra,
      });
    const postBooking = async (body: string): Promise<string> => {
      const res = await fetch(`${apiUrl}/bookings`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
      if (res.status !== 201) throw new Error(`POST /bookings: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { bookingId: string }).bookingId;
    };
    const resultOf = async (bookingId: string) => ((await client.workflow.getHandle(workflowIdFor(bookingId)).result()) as { status: string }).status;
    const startBare = (id = `bare-${randomUUID()}`) => client.workflow.start('bareWorkflow', { taskQueue: 'bench-bare', workflowId: id });
    const ended = (customerId: string, count: number, what: string) =>
      waitFor(async () => (await db.booking.count({ where: { customerId, status: { in: ['CONFIRMED', 'FAILED', 'CANCELLED'] } } })) >= count, 600_000, what);

    const warmUp = (w: string) =>
      pool(20, 10, async (i) => {
        const b = input(i, { customerId: `bench-warm-${w}` });
        await client.workflow.execute('bookTrip', { taskQueue: TASK_QUEUE, workflowId: workflowIdFor(b.bookingId), args: [b] });
        if (w === 'first') await client.workflow.execute('bareWorkflow', { taskQueue: 'bench-bare', workflowId: `bare-warm-${randomUUID()}` });
      });
    await warmUp('first');

    // 1. Events: one CONFIRMED booking started through POST /bookings, and one bare workflow.
    log('events: the history of a booking started by POST /bookings, and of the bare workflow');
    const eventsBookingId = await postBooking(bodyFor('bench-events'));
    const eventsStatus = await resultOf(eventsBookingId);
    if (eventsStatus !== 'CONFIRMED') throw new Error(`the events phase's booking ended ${eventsStatus}, not CONFIRMED`);
    const sagaHistory = await historyOf(client, workflowIdFor(eventsBookingId));
    const bareId = `bare-events-${randomUUID()}`;
    await (await startBare(bareId)).result();
    const bareHistory = await historyOf(client, bareId);

    // 2. Throughput, and the CPU each process spends per workflow. The saga and the bare workflow
    // take turns, in ROUNDS rounds of a share each: a machine whose speed drifts during the run
    // (a shared host) slows both alike, and the ratio stays the ratio.
    log(`throughput: ${BOOKINGS} sagas and ${BOOKINGS} bare workflows at concurrency ${CONCURRENCY}, in ${ROUNDS} alternating rounds`);
    const statuses: Record<string, number> = {};
    const sagaRun = { seconds: 0, cpu: undefined as CpuShare | undefined };
    const bareRun = { seconds: 0, cpu: undefined as CpuShare | undefined };
    const addCpu = (total: CpuShare | undefined, more: CpuShare): CpuShare =>
      total ? (Object.fromEntries(Object.entries(total).map(([k, v]) => [k, v + more[k as keyof CpuShare]])) as CpuShare) : more;
    for (let round = 0; round < ROUNDS; round++) {
      const share = Math.floor(BOOKINGS / ROUNDS) + (round < BOOKINGS % ROUNDS ? 1 : 0);
      let t0 = performance.now();
      sagaRun.cpu = addCpu(
        sagaRun.cpu,
        await cpuDuring(pids(), 1, () =>
          pool(share, CONCURRENCY, async (i) => {
            const b = input(round * BOOKINGS + i);
            const result = await client.workflow
              .execute('bookTrip', { taskQueue: TASK_QUEUE, workflowId: workflowIdFor(b.bookingId), args: [b] })
              .then((s: { status: string }) => s.status, () => 'FAILED');
            statuses[result] = (statuses[result] ?? 0) + 1;
          }),
        ),
      );
      sagaRun.seconds += (performance.now() - t0) / 1000;
      t0 = performance.now();
      // The bare worker's CPU is counted as the worker's here.
      bareRun.cpu = addCpu(
        bareRun.cpu,
        await cpuDuring(pids(bare), 1, () =>
          pool(share, CONCURRENCY, async () => {
            await client.workflow.execute('bareWorkflow', { taskQueue: 'bench-bare', workflowId: `bare-${randomUUID()}` });
          }),
        ),
      );
      bareRun.seconds += (performance.now() - t0) / 1000;
    }
    const perWorkflow = (cpu: CpuShare) => Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v / BOOKINGS)])) as CpuShare;
    const sagaCpu = perWorkflow(sagaRun.cpu!);
    const bareCpu = perWorkflow(bareRun.cpu!);
    const sagaPerSecond = BOOKINGS / sagaRun.seconds;
    const barePerSecond = BOOKINGS / bareRun.seconds;

    // 3. End to end, 5 at a time: POST /bookings → CONFIRMED, and the bare workflow's start →
    // result, taking turns in ROUNDS rounds as above.
    log(`end to end: ${E2E_BOOKINGS} bookings and ${E2E_BOOKINGS} bare workflows, 5 at a time, in ${ROUNDS} alternating rounds`);
    const e2eSaga: number[] = [];
    const e2eBare: number[] = [];
    const e2eBody = bodyFor('bench-e2e');
    for (let round = 0; round < ROUNDS; round++) {
      const share = Math.floor(E2E_BOOKINGS / ROUNDS) + (round < E2E_BOOKINGS % ROUNDS ? 1 : 0);
      await pool(share, 5, async () => {
        const started = performance.now();
        const status = await resultOf(await postBooking(e2eBody));
        if (status === 'CONFIRMED') e2eSaga.push(performance.now() - started);
      });
      await pool(share, 5, async () => {
        const started = performance.now();
        await (await startBare()).result();
        e2eBare.push(performance.now() - started);
      });
    }

    // 4. At a fixed rate, half the saga throughput just measured: POST /bookings, a bare
    // client.workflow.start, then GET /bookings/:id of a running booking (read live).
    const rate = Math.max(1, Math.round(sagaPerSecond / 2));
    log(`fixed rate: ${API_SECONDS} s each of POST /bookings, bare starts and GET /bookings/:id at ${rate}/s`);
    const open = waiting(0, 'bench-get');
    await client.workflow.start('bookTrip', { taskQueue: TASK_QUEUE, workflowId: workflowIdFor(open.bookingId), args: [open] });
    await waitFor(
      async () => ((await (await fetch(`${apiUrl}/bookings/${open.bookingId}`, { headers: { authorization } })).json()) as { status: string }).status === 'COMPENSATION_FAILED',
      60_000,
      'an open booking',
    );
    const post = await autocannon({
      url: `${apiUrl}/bookings`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: bodyFor('bench-api'),
      connections: 10,
      overallRate: rate,
      duration: API_SECONDS,
    });
    // Each phase measures its own load, not the one before's backlog.
    await ended('bench-api', post['2xx'], 'the sagas the POSTs started to end');
    const bareStarts = await fixedRate(rate, API_SECONDS, () => startBare());
    await delay(2_000);
    const get = await autocannon({ url: `${apiUrl}/bookings/${open.bookingId}`, headers: { authorization }, connections: 10, overallRate: rate, duration: API_SECONDS });

    // 5. Watchers of one booking that keeps changing: its payment fails and is retried (1 s, 2 s,
    // 4 s, … apart), so its view changes at each attempt. A fresh booking for each count, watched
    // over the same span of its life (from 4 s after its POST), so each window sees the same attempts.
    const watchWindow = async (watchers: number, bookingIds: string[], from?: number): Promise<WatchWindow> => {
      const clients = await openWatchers(apiUrl, authorization, bookingIds.flatMap((id) => Array.from({ length: watchers }, () => id)));
      // Past the connections' first reads; for a changing booking, at its fixed age.
      await delay(from === undefined ? 1_000 : Math.max(0, from - performance.now()));
      const [callsBefore, cpuBefore, eventsBefore] = [await frontendRequests(metricsUrl), await cpuSnapshot(pids()), clients.events()];
      const started = performance.now();
      await delay(WATCH_SECONDS * 1000);
      const [callsAfter, cpuAfter, eventsAfter] = [await frontendRequests(metricsUrl), await cpuSnapshot(pids()), clients.events()];
      const seconds = (performance.now() - started) / 1000;
      await clients.close();
      const counts = Object.entries(callsAfter)
        .map(([op, n]) => [op, n - (callsBefore[op] ?? 0)] as const)
        .filter(([, n]) => n > 0);
      const byOperation = Object.fromEntries(counts.map(([op, n]) => [op, round(n / seconds, 2)]));
      const temporalCalls = counts.reduce((sum, [op, n]) => sum + (READ_OPERATIONS.has(op) ? n : 0), 0);
      return {
        watchers: watchers * bookingIds.length,
        bookings: bookingIds.length,
        seconds: round(seconds),
        temporalCalls,
        temporalCallsPerSecond: round(temporalCalls / seconds, 3),
        byOperation,
        apiCpuMsPerSecond: round(((cpuAfter.api - cpuBefore.api) * 1000) / seconds),
        temporalCpuMsPerSecond: round(((cpuAfter.temporal - cpuBefore.temporal) * 1000) / seconds),
        eventsReceived: eventsAfter - eventsBefore,
      };
    };
    const changing: WatchWindow[] = [];
    let changingBooking = '';
    for (const watchers of WATCHER_STEPS) {
      log(`watchers: ${watchers} client(s) on one booking whose payment retries, for ${WATCH_SECONDS} s`);
      const posted = performance.now();
      const id = await postBooking(bodyFor('bench-watch', { faults: { chargePayment: 'transient:40' } }));
      changingBooking = id;
      changing.push(await watchWindow(watchers, [id], posted + 4_000));
      await client.workflow.getHandle(workflowIdFor(id)).terminate('bench: done watching');
    }

    // 6. Scale: worker CPU per saga and RSS with 10, 100, 1,000 sagas held open (each waiting for
    // an operator), on a fresh worker so that the earlier phases' heap does not hide the growth.
    log(`scale: a fresh worker, then ${SCALE_STEPS.join(', ')} open sagas`);
    await stop(worker);
    worker = startWorker();
    await warmUp('fresh');
    await delay(2_000);
    const rssIdle = await rssMb(worker.pid!);
    const openIds: string[] = [];
    const steps: ModeResult['scale']['steps'] = [];
    for (const target of SCALE_STEPS) {
      const added = target - openIds.length;
      const cpu = await cpuDuring(pids(), added, async () => {
        await pool(added, 50, async () => {
          const b = waiting(openIds.length, 'bench-open');
          openIds.push(b.bookingId);
          await client.workflow.start('bookTrip', { taskQueue: TASK_QUEUE, workflowId: workflowIdFor(b.bookingId), args: [b] });
        });
        await waitFor(async () => (await db.booking.count({ where: { customerId: 'bench-open', status: 'COMPENSATION_FAILED' } })) >= target, 600_000, `${target} sagas to wait for an operator`);
      });
      await delay(2_000);
      steps.push({ sagasOpen: target, added, workerCpuMsPerSaga: cpu.worker, workerRssMb: await rssMb(worker.pid!) });
      log(`scale: ${target} open sagas, worker ${cpu.worker} ms CPU per saga, RSS ${steps.at(-1)!.workerRssMb} MB`);
    }

    // 7. Idle: --watchers bookings that do not change (waiting for an operator), one client each.
    const idleIds = openIds.slice(-Math.min(WATCHERS, openIds.length));
    log(`idle: ${idleIds.length} watched bookings waiting for an operator, for ${WATCH_SECONDS} s`);
    const idle = await watchWindow(1, idleIds);

    await connection.close();
    await db.$disconnect();

    const e2e = { saga: latencyOf(e2eSaga), bare: latencyOf(e2eBare) };
    const postLatency = { p50: post.latency.p50, p99: post.latency.p99, count: post['2xx'], errors: post.errors + post.non2xx };
    const getLatency = { p50: get.latency.p50, p99: get.latency.p99, count: get['2xx'], errors: get.errors + get.non2xx };
    const one = changing.find((w) => w.watchers === 1)!;
    const many = changing.find((w) => w.watchers === WATCHERS) ?? one;
    return {
      mode,
      ratios: {
        throughput: round(sagaPerSecond / barePerSecond, 2),
        events: round(sagaHistory.count / bareHistory.count, 2),
        serverCpu: round(sagaCpu.temporal / bareCpu.temporal, 2),
        workerCpu: round(sagaCpu.worker / bareCpu.worker, 2),
        e2eP50: round(e2e.saga.p50 / e2e.bare.p50, 2),
        postP99: round(postLatency.p99 / bareStarts.p99, 2),
        // No calls in either window (a watch path that only polls slowly): nothing grew, 1.
        watchers: many.temporalCallsPerSecond === 0 && one.temporalCallsPerSecond === 0 ? 1 : round(many.temporalCallsPerSecond / one.temporalCallsPerSecond, 2),
      },
      absolutes: {
        getP99Ms: getLatency.p99,
        workerRssMbOpenSagas: steps.at(-1)!.workerRssMb,
        idleWatchedCallsPerSecond: idle.temporalCallsPerSecond,
        idleWatchedCallsPerSecondPerBooking: round(idle.temporalCallsPerSecond / idle.bookings, 3),
      },
      throughput: { sagaPerSecond: round(sagaPerSecond), barePerSecond: round(barePerSecond), sagaStatuses: statuses },
      cpuMsPerWorkflow: { saga: sagaCpu, bare: bareCpu },
      events: { saga: { ...sagaHistory, workflowId: workflowIdFor(eventsBookingId) }, bare: bareHistory },
      e2e,
      fixedRate: { ratePerSecond: rate, seconds: API_SECONDS, post: postLatency, bareStart: bareStarts, get: getLatency },
      watch: { changing, idle, changingBooking },
      scale: { rssMbIdle: rssIdle, steps },
    };
  } finally {
    for (const child of children.reverse()) await stop(child);
  }
}

function round(n: number, digits = 1) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The issue's targets ("Fast by design", section 1). */
const TARGETS = {
  ratios: {
    throughput: { min: 0.8 },
    events: { max: 1.3 },
    serverCpu: { max: 1.3 },
    workerCpu: { max: 1.5 },
    e2eP50: { max: 1.5 },
    postP99: { max: 2 },
    watchers: { max: 1.2 },
  },
  absolutes: {
    getP99Ms: { below: 20 },
    workerRssMbOpenSagas: { below: 600 },
    /** A slow safety poll: at most one read of query + describe per watched booking every 10 s. */
    idleWatchedCallsPerSecondPerBooking: { max: 0.2 },
  },
} as const;

type Target = { min?: number; max?: number; below?: number };
const meets = (value: number, t: Target) =>
  Number.isFinite(value) && (t.min === undefined || value >= t.min) && (t.max === undefined || value <= t.max) && (t.below === undefined || value < t.below);
const targetText = (t: Target) => (t.min !== undefined ? `≥ ${t.min}` : t.max !== undefined ? `≤ ${t.max}` : `< ${t.below}`);
const mark = (value: number, t: Target) => `${value} ${meets(value, t) ? '✅' : '❌'}`;

const RATIO_ROWS: [keyof Ratios, string, (r: ModeResult) => string][] = [
  ['throughput', `sagas/s ÷ bare/s, concurrency ${CONCURRENCY}`, (r) => `${r.throughput.sagaPerSecond} / ${r.throughput.barePerSecond}`],
  ['events', 'history events, CONFIRMED booking (POST /bookings) ÷ bare', (r) => `${r.events.saga.count} / ${r.events.bare.count}`],
  ['serverCpu', 'Temporal server CPU per workflow (ms)', (r) => `${r.cpuMsPerWorkflow.saga.temporal} / ${r.cpuMsPerWorkflow.bare.temporal}`],
  ['workerCpu', 'worker CPU per workflow (ms)', (r) => `${r.cpuMsPerWorkflow.saga.worker} / ${r.cpuMsPerWorkflow.bare.worker}`],
  ['e2eP50', 'POST → CONFIRMED p50 ÷ bare start → result p50 (ms)', (r) => `${r.e2e.saga.p50} / ${r.e2e.bare.p50}`],
  ['postP99', 'POST /bookings p99 ÷ bare client.workflow.start p99, at half the saga throughput (ms)', (r) => `${r.fixedRate.post.p99} / ${r.fixedRate.bareStart.p99}`],
  ['watchers', `Temporal calls/s, ${WATCHERS} SSE clients on one changing booking ÷ 1 client`, (r) => {
    const one = r.watch.changing.find((w) => w.watchers === 1);
    const many = r.watch.changing.find((w) => w.watchers === WATCHERS) ?? one;
    return `${many?.temporalCalls} / ${one?.temporalCalls} calls in ${WATCH_SECONDS} s`;
  }],
];

const modeName = (m: Mode) => (m === 'memory' ? 'in memory' : 'SQLite file (WAL, synchronous=OFF)');

/** Event types with their counts, in the order they first occur. */
function eventSummary(types: string[]): string {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].map(([t, n]) => `${t} ×${n}`).join(', ');
}

function markdown(results: ModeResult[], when: string, machine: string): string {
  const cols = (f: (r: ModeResult) => string) => results.map(f).join(' | ');
  const head = (first: string, rest: string[] = []) => [`| ${[first, ...rest, ...results.map((r) => modeName(r.mode))].join(' | ')} |`, `| ${[first, ...rest, ...results.map(() => '')].map(() => '---').join(' | ')} |`];
  const lines = [
    `# Benchmark ${when}`,
    '',
    `Machine: ${machine}. ${BOOKINGS} bookings at concurrency ${CONCURRENCY}; ${E2E_BOOKINGS} end-to-end bookings; fixed rate for ${API_SECONDS} s; ${WATCHERS} watchers, ${WATCH_SECONDS} s windows; ${OPEN_SAGAS} open sagas (steps ${SCALE_STEPS.join(', ')}).`,
    `Worker: \`${WORKER_ARGS.join(' ')}\`; ${values['prebuilt-bundle'] ? 'prebuilt workflow bundle' : 'bundles at start'}${values['worker-env'].length ? `; ${values['worker-env'].join(' ')}` : ''}.`,
    '',
    '## Ratios (saga ÷ bare workflow, same server, same run)',
    '',
    ...head('ratio', ['target']),
  ];
  for (const [key, label, parts] of RATIO_ROWS) {
    lines.push(`| \`${key}\`: ${label} | ${targetText(TARGETS.ratios[key])} | ${cols((r) => `${mark(r.ratios[key], TARGETS.ratios[key])} (${parts(r)})`)} |`);
  }
  lines.push(
    '',
    '## Absolutes',
    '',
    ...head('measure', ['target']),
    `| GET /bookings/:id p99 at half the saga throughput (ms) | ${targetText(TARGETS.absolutes.getP99Ms)} | ${cols((r) => mark(r.absolutes.getP99Ms, TARGETS.absolutes.getP99Ms))} |`,
    `| worker RSS with ${OPEN_SAGAS} open sagas (MB) | ${targetText(TARGETS.absolutes.workerRssMbOpenSagas)} | ${cols((r) => mark(r.absolutes.workerRssMbOpenSagas, TARGETS.absolutes.workerRssMbOpenSagas))} |`,
    `| Temporal calls/s, ${WATCHERS} idle watched bookings (per booking) | ${targetText(TARGETS.absolutes.idleWatchedCallsPerSecondPerBooking)} per booking | ${cols((r) => `${r.absolutes.idleWatchedCallsPerSecond} (${mark(r.absolutes.idleWatchedCallsPerSecondPerBooking, TARGETS.absolutes.idleWatchedCallsPerSecondPerBooking)})`)} |`,
    '',
    '## The figures behind them',
    '',
    ...head('measure'),
    `| fixed rate (half the saga throughput, /s) | ${cols((r) => `${r.fixedRate.ratePerSecond}`)} |`,
    `| POST /bookings p50 / p99 (ms), errors | ${cols((r) => `${r.fixedRate.post.p50} / ${r.fixedRate.post.p99}, ${r.fixedRate.post.errors}`)} |`,
    `| bare client.workflow.start p50 / p99 (ms), errors | ${cols((r) => `${r.fixedRate.bareStart.p50} / ${r.fixedRate.bareStart.p99}, ${r.fixedRate.bareStart.errors}`)} |`,
    `| GET /bookings/:id p50 / p99 (ms), errors | ${cols((r) => `${r.fixedRate.get.p50} / ${r.fixedRate.get.p99}, ${r.fixedRate.get.errors}`)} |`,
    `| POST → CONFIRMED p50 / p99 (ms) | ${cols((r) => `${r.e2e.saga.p50} / ${r.e2e.saga.p99} (${r.e2e.saga.count} confirmed)`)} |`,
    `| bare start → result p50 / p99 (ms) | ${cols((r) => `${r.e2e.bare.p50} / ${r.e2e.bare.p99}`)} |`,
    `| saga outcomes in the throughput phase | ${cols((r) => Object.entries(r.throughput.sagaStatuses).map(([s, n]) => `${s} ${n}`).join(', '))} |`,
    '',
    'CPU per workflow in the throughput phase (ms; saga / bare), by process:',
    '',
    ...head('process'),
    ...(['temporal', 'worker', 'postgres', 'api', 'bench'] as const).map(
      (k) => `| ${k === 'temporal' ? 'Temporal server' : k === 'worker' ? 'worker (bare: its own worker)' : k === 'bench' ? 'load generator (client)' : k} | ${cols((r) => `${r.cpuMsPerWorkflow.saga[k]} / ${r.cpuMsPerWorkflow.bare[k]}`)} |`,
    ),
    '',
    '## Scale',
    '',
    'Sagas held open (waiting for an operator) on a fresh worker: worker CPU per saga to bring each step\'s sagas there, and RSS once they wait.',
    '',
    ...head('sagas open'),
    `| 0 (after warm-up): RSS MB | ${cols((r) => `${r.scale.rssMbIdle}`)} |`,
    ...SCALE_STEPS.map((n) => `| ${n}: worker ms CPU per saga, RSS MB | ${cols((r) => {
      const s = r.scale.steps.find((x) => x.sagasOpen === n);
      return s ? `${s.workerCpuMsPerSaga} ms, ${s.workerRssMb} MB` : '';
    })} |`),
    '',
    `One booking whose payment retries, watched over SSE for ${WATCH_SECONDS} s; Temporal calls are the frontend's read operations (${[...READ_OPERATIONS].slice(0, 5).join(', ')}, …):`,
    '',
    ...head('watchers'),
    ...WATCHER_STEPS.map((n) => `| ${n}: Temporal calls/s, API CPU ms/s, server CPU ms/s, events received | ${cols((r) => {
      const w = r.watch.changing.find((x) => x.watchers === n);
      return w ? `${w.temporalCallsPerSecond}, ${w.apiCpuMsPerSecond}, ${w.temporalCpuMsPerSecond}, ${w.eventsReceived}` : '';
    })} |`),
    `| ${WATCHERS} idle bookings, one watcher each: same figures | ${cols((r) => `${r.watch.idle.temporalCallsPerSecond}, ${r.watch.idle.apiCpuMsPerSecond}, ${r.watch.idle.temporalCpuMsPerSecond}, ${r.watch.idle.eventsReceived}`)} |`,
    '',
    '## Where the events go',
    '',
  );
  for (const r of results) {
    lines.push(`- ${modeName(r.mode)}, CONFIRMED booking (${r.events.saga.count}): ${eventSummary(r.events.saga.types)}`);
    lines.push(`- ${modeName(r.mode)}, bare workflow (${r.events.bare.count}): ${eventSummary(r.events.bare.types)}`);
  }
  lines.push('');
  return lines.join('\n');
}

const dir = await mkdtemp(join(tmpdir(), 'trip-bench-'));
let stopPg: (() => Promise<void>) | undefined;
try {
  let serverUrl = process.env.DATABASE_URL ? databaseUrlFor(process.env.DATABASE_URL, 'postgres') : undefined;
  if (!serverUrl) {
    const pg = await startEmbeddedPostgres({ dir: join(dir, 'pg'), persistent: false });
    stopPg = () => pg.stop();
    serverUrl = pg.serverUrl;
  }
  let bundlePath: string | undefined;
  if (values['prebuilt-bundle']) {
    bundlePath = join(dir, 'workflow-bundle.js');
    await writeFile(bundlePath, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH })).code);
  }
  const results: ModeResult[] = [];
  for (const mode of values.modes.split(',') as Mode[]) results.push(await runMode(mode, serverUrl, dir, bundlePath));
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}`;
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  })();
  const first = results[0]!;
  const options = { ...Object.fromEntries(Object.keys(FULL).map((k) => [k, values[k as keyof typeof FULL]])), modes: values.modes, 'prebuilt-bundle': values['prebuilt-bundle'], 'worker-env': values['worker-env'] };
  const report = { when, machine, commit, full: IS_FULL, options, targets: TARGETS, readOperations: [...READ_OPERATIONS], mode: first.mode, ratios: first.ratios, absolutes: first.absolutes, results };
  const md = markdown(results, `${when} UTC`, machine);
  console.log(`\n${md}`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (IS_FULL) {
    const out = new URL('./results/', import.meta.url);
    await writeFile(new URL('latest.json', out), json);
    await writeFile(new URL('latest.md', out), md);
    const line = { when, machine, commit, harness: 'v2: ratios against the bare workflow', options, ...Object.fromEntries(results.map((r) => [r.mode, { ratios: r.ratios, absolutes: r.absolutes, sagaPerSecond: r.throughput.sagaPerSecond, barePerSecond: r.throughput.barePerSecond }])) };
    await appendFile(new URL('history.jsonl', out), `${JSON.stringify(line)}\n`);
    console.log('wrote bench/results/latest.json and latest.md, and a line in history.jsonl');
  } else if (values.out) {
    const path = resolve(process.env.INIT_CWD ?? process.cwd(), values.out);
    await writeFile(path, json);
    const mdPath = path.replace(/\.json$/, '') + '.md';
    await writeFile(mdPath, md);
    console.log(`wrote ${path} and ${mdPath} (not a full-size run: bench/results is left alone)`);
  } else {
    console.log('not a full-size run: nothing written (--out <file.json> keeps it)');
  }
} finally {
  await stopPg?.();
  await rm(dir, { recursive: true, force: true });
}
