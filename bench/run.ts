// npm run bench [-- --bookings 1000 --concurrency 50 --modes memory,sqlite]
// Measures the saga stack on this machine, in two modes of the Temporal dev server (in memory, and
// with --db-filename plus the SQLite pragmas journal_mode=WAL and synchronous=OFF):
//   1. saga throughput vs a bare workflow of 3 no-op activities, same server, same run;
//   2. API latency, p50/p99 of POST /bookings and GET /bookings/:id at a fixed 100 requests/s;
//   3. end-to-end latency, POST /bookings until CONFIRMED;
//   4. worker RSS with 1,000 open sagas (held open by an operator wait).
// Writes bench/results/<date>.json and bench/results/<date>.md, and latest.md for a run at the
// full sizes (smaller runs, for tuning, leave the README's latest table alone).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import autocannon from 'autocannon';
import { createDb, type Db } from '../src/db/client.ts';
import { ensureDatabase, migrate } from '../src/db/migrate.ts';
import { seed } from '../src/db/seed.ts';
import { databaseUrlFor, freePort, startEmbeddedPostgres } from '../src/dev/postgres.ts';
import { tokenizeCard } from '../src/payments/vault.ts';
import { TASK_QUEUE, workflowIdFor, type BookTripInput } from '../src/domain/booking.ts';
import { WORKFLOWS_PATH, temporalCli } from '../src/temporal.ts';
import { sampleCards } from '../src/payments/cards.ts';

const CARDS = sampleCards();

const { values } = parseArgs({
  options: {
    bookings: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '50' },
    modes: { type: 'string', default: 'memory,sqlite' },
    'open-sagas': { type: 'string', default: '1000' },
    'api-seconds': { type: 'string', default: '10' },
    'e2e-bookings': { type: 'string', default: '200' },
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
const VAULT_KEY = 'bench-vault-key-0123456789';
const root = new URL('../', import.meta.url);

type Mode = 'memory' | 'sqlite';

interface ModeResult {
  mode: Mode;
  throughput: { sagaPerSecond: number; barePerSecond: number; ratio: number; sagaStatuses: Record<string, number> };
  api: { postP50: number; postP99: number; getP50: number; getP99: number; postRate: number; getRate: number; errors: number };
  e2e: { p50: number; p99: number; count: number };
  worker: { rssMbIdle: number; rssMbWithOpenSagas: number; openSagas: number };
  /** CPU milliseconds per workflow in the throughput phase, by process: where the work goes. */
  cpuMsPerWorkflow: { saga: CpuShare; bare: CpuShare };
}

type CpuShare = Record<'temporal' | 'worker' | 'api' | 'postgres' | 'bench', number>;

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

/** CPU used by each part of the stack while `work` runs, in milliseconds per workflow. */
async function cpuPerWorkflow(pids: { temporal: number; worker: number; api: number }, count: number, work: () => Promise<void>): Promise<CpuShare> {
  const snapshot = async () => {
    const usage = process.cpuUsage();
    return {
      temporal: await cpuSeconds(pids.temporal),
      worker: await cpuSeconds(pids.worker),
      api: await cpuSeconds(pids.api),
      postgres: await postgresCpuSeconds(),
      bench: (usage.user + usage.system) / 1e6,
    };
  };
  const before = await snapshot();
  await work();
  const after = await snapshot();
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, round(((v - before[k as keyof CpuShare]) * 1000) / count)])) as CpuShare;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
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

/** A date 1–50 days ahead, spread by `i`, plus `extra` days. */
function dayOffset(i: number, extra = 0) {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1 + (i % 50) + extra)).toISOString().slice(0, 10);
}

async function runMode(mode: Mode, serverUrl: string, dir: string, bundlePath: string | undefined): Promise<ModeResult> {
  const log = (line: string) => console.log(`[${mode}] ${line}`);
  const children: ChildProcess[] = [];
  try {
    // Temporal
    const [port, uiPort] = [await freePort(), await freePort()];
    const address = `127.0.0.1:${port}`;
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--headless', '--log-level', 'error', '--search-attribute', 'BookingStatus=Keyword'];
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

    // PostgreSQL: a database of this run's own, with room for every booking.
    const databaseUrl = databaseUrlFor(serverUrl, `trip_bench_${mode}_${Date.now()}`);
    await ensureDatabase(databaseUrl);
    await migrate(databaseUrl);
    const db: Db = createDb(databaseUrl, { max: 4 });
    await seed(db);
    await db.$executeRaw`UPDATE flights SET capacity = 100000, seats_available = 100000 WHERE flight_number <> 'TB404'`;
    await db.$executeRaw`UPDATE hotels SET capacity = 100000, rooms_available = 100000 WHERE id <> 'HTL-JEJU-FULL'`;

    // The saga's worker, the bare worker and the API: processes of their own.
    const env = { DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: address, FAULT_INJECTION: 'on', CARD_VAULT_KEY: VAULT_KEY };
    const worker = node(WORKER_ARGS, { ...env, ...WORKER_ENV, ...(bundlePath ? { WORKFLOW_BUNDLE_PATH: bundlePath } : {}) });
    const bare = node(['--import', 'tsx', 'bench/bare-worker.ts'], env);
    const apiPort = await freePort();
    const api = node(['--import', 'tsx', 'src/api/main.ts'], { ...env, PORT: String(apiPort) });
    children.push(worker, bare, api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitFor(() => fetch(`${apiUrl}/healthz`).then((r) => r.ok), 60_000, 'the API');
    // Identity on: the API runs its dev issuer (NODE_ENV=development); the bench calls as an
    // operator (it books for many customers), with limits high enough for its load (development's).
    const tokenRes = await fetch(`${apiUrl}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub: 'bench-operator', scope: 'bookings:operate' }) });
    const authorization = `Bearer ${((await tokenRes.json()) as { access_token: string }).access_token}`;

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

    // Warm up both workers (bundles built, caches filled).
    await pool(20, 10, async (i) => {
      const b = input(i);
      await client.workflow.execute('bookTrip', { taskQueue: TASK_QUEUE, workflowId: workflowIdFor(b.bookingId), args: [b] });
      await client.workflow.execute('bareWorkflow', { taskQueue: 'bench-bare', workflowId: `bare-warm-${randomUUID()}` });
    });
    const rssIdle = await rssMb(worker.pid!);

    // 1. Throughput
    log(`throughput: ${BOOKINGS} sagas at concurrency ${CONCURRENCY}`);
    const statuses: Record<string, number> = {};
    let t0 = performance.now();
    const sagaCpu = await cpuPerWorkflow({ temporal: temporal.pid!, worker: worker.pid!, api: api.pid! }, BOOKINGS, () =>
      pool(BOOKINGS, CONCURRENCY, async (i) => {
        const b = input(i);
        const result = await client.workflow
          .execute('bookTrip', { taskQueue: TASK_QUEUE, workflowId: workflowIdFor(b.bookingId), args: [b] })
          .then((s: { status: string }) => s.status, () => 'FAILED');
        statuses[result] = (statuses[result] ?? 0) + 1;
      }),
    );
    const sagaPerSecond = BOOKINGS / ((performance.now() - t0) / 1000);
    log(`throughput: ${BOOKINGS} bare workflows at concurrency ${CONCURRENCY}`);
    t0 = performance.now();
    // The bare worker's CPU is counted as the worker's here.
    const bareCpu = await cpuPerWorkflow({ temporal: temporal.pid!, worker: bare.pid!, api: api.pid! }, BOOKINGS, () =>
      pool(BOOKINGS, CONCURRENCY, async () => {
        await client.workflow.execute('bareWorkflow', { taskQueue: 'bench-bare', workflowId: `bare-${randomUUID()}` });
      }),
    );
    const barePerSecond = BOOKINGS / ((performance.now() - t0) / 1000);

    // 2. API latency at a fixed rate
    log(`API latency: ${API_SECONDS} s of POST /bookings, then of GET /bookings/:id, at 100 requests/s`);
    const body = JSON.stringify({
      customerId: 'bench-api',
      flight: { flightNumber: 'TB100', date: dayOffset(3), seats: 1 },
      hotel: { hotelId: 'HTL-TOKYO-SHINJUKU', checkIn: dayOffset(3), nights: 2, rooms: 1 },
      payment: { card: CARDS.good },
    });
    // The GET phase reads a booking whose workflow is open (waiting for an operator), so it is read live.
    const open = input(0, { payment: { token: declined.token, brand: declined.brand, last4: declined.last4 }, faults: { cancelHotel: 'fail' } });
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
      body,
      connections: 10,
      overallRate: 100,
      duration: API_SECONDS,
    });
    // The POSTs started more sagas than this machine runs in the same time: the GETs (and the
    // end-to-end phase) wait until those have ended, so each measures its own load, not a backlog.
    await waitFor(
      async () => (await db.booking.count({ where: { customerId: 'bench-api', status: { in: ['CONFIRMED', 'FAILED', 'CANCELLED'] } } })) >= post['2xx'],
      600_000,
      'the sagas the POSTs started to end',
    );
    const get = await autocannon({ url: `${apiUrl}/bookings/${open.bookingId}`, headers: { authorization }, connections: 10, overallRate: 100, duration: API_SECONDS });

    // 3. End to end: POST /bookings → CONFIRMED.
    log(`end to end: ${E2E_BOOKINGS} bookings, 5 at a time`);
    const e2e: number[] = [];
    await pool(E2E_BOOKINGS, 5, async () => {
      const started = performance.now();
      const res = await fetch(`${apiUrl}/bookings`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
      const { bookingId } = (await res.json()) as { bookingId: string };
      const state = (await client.workflow.getHandle(workflowIdFor(bookingId)).result()) as { status: string };
      if (state.status === 'CONFIRMED') e2e.push(performance.now() - started);
    });
    e2e.sort((a, b) => a - b);

    // 4. Worker memory with open sagas, each waiting for an operator.
    log(`worker memory: ${OPEN_SAGAS} open sagas`);
    await pool(OPEN_SAGAS, 50, async (i) => {
      const b = input(i, { payment: { token: declined.token, brand: declined.brand, last4: declined.last4 }, faults: { cancelHotel: 'fail' } });
      await client.workflow.start('bookTrip', { taskQueue: TASK_QUEUE, workflowId: workflowIdFor(b.bookingId), args: [b] });
    });
    await waitFor(
      async () => (await db.booking.count({ where: { status: 'COMPENSATION_FAILED' } })) >= OPEN_SAGAS,
      300_000,
      'every saga to wait for an operator',
    );
    await delay(2_000);
    const rssOpen = await rssMb(worker.pid!);
    await connection.close();
    await db.$disconnect();

    return {
      mode,
      throughput: { sagaPerSecond: round(sagaPerSecond), barePerSecond: round(barePerSecond), ratio: round(sagaPerSecond / barePerSecond, 2), sagaStatuses: statuses },
      api: {
        postP50: post.latency.p50,
        postP99: post.latency.p99,
        getP50: get.latency.p50,
        getP99: get.latency.p99,
        postRate: round(post.requests.average),
        getRate: round(get.requests.average),
        errors: post.errors + post.non2xx + get.errors + get.non2xx,
      },
      e2e: { p50: round(percentile(e2e, 50)), p99: round(percentile(e2e, 99)), count: e2e.length },
      worker: { rssMbIdle: rssIdle, rssMbWithOpenSagas: rssOpen, openSagas: OPEN_SAGAS },
      cpuMsPerWorkflow: { saga: sagaCpu, bare: bareCpu },
    };
  } finally {
    for (const child of children.reverse()) await stop(child);
  }
}

function round(n: number, digits = 1) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const TARGETS = { ratio: 0.8, postP99: 50, getP99: 20, e2eP50: 300, rssMb: 600 };
const mark = (ok: boolean) => (ok ? '✅' : '❌');

function table(results: ModeResult[], when: string): string {
  const row = (label: string, target: string, f: (r: ModeResult) => string) => `| ${label} | ${target} | ${results.map(f).join(' | ')} |`;
  return [
    `# Benchmark ${when}`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}. ${BOOKINGS} bookings at concurrency ${CONCURRENCY}; API at 100 requests/s for ${API_SECONDS} s; ${E2E_BOOKINGS} end-to-end bookings; ${OPEN_SAGAS} open sagas.`,
    `Worker: \`${WORKER_ARGS.join(' ')}\`; ${values['prebuilt-bundle'] ? 'prebuilt workflow bundle' : 'bundles at start'}${values['worker-env'].length ? `; ${values['worker-env'].join(' ')}` : ''}.`,
    '',
    `| measure | target | ${results.map((r) => `${r.mode === 'memory' ? 'in memory' : 'SQLite file (WAL, synchronous=OFF)'}`).join(' | ')} |`,
    `| --- | --- | ${results.map(() => '---').join(' | ')} |`,
    row('saga throughput (bookings/s)', '', (r) => `${r.throughput.sagaPerSecond}`),
    row('bare workflow, 3 no-op activities (/s)', '', (r) => `${r.throughput.barePerSecond}`),
    row('ratio saga / bare', `≥ ${TARGETS.ratio}`, (r) => `${r.throughput.ratio} ${mark(r.throughput.ratio >= TARGETS.ratio)}`),
    row('POST /bookings p50 / p99 (ms)', `p99 < ${TARGETS.postP99}`, (r) => `${r.api.postP50} / ${r.api.postP99} ${mark(r.api.postP99 < TARGETS.postP99)}`),
    row('GET /bookings/:id p50 / p99 (ms)', `p99 < ${TARGETS.getP99}`, (r) => `${r.api.getP50} / ${r.api.getP99} ${mark(r.api.getP99 < TARGETS.getP99)}`),
    row('POST → CONFIRMED p50 / p99 (ms)', `p50 < ${TARGETS.e2eP50}`, (r) => `${r.e2e.p50} / ${r.e2e.p99} ${mark(r.e2e.p50 < TARGETS.e2eP50)}`),
    row(`worker RSS idle → with open sagas (MB)`, `< ${TARGETS.rssMb}`, (r) => `${r.worker.rssMbIdle} → ${r.worker.rssMbWithOpenSagas} ${mark(r.worker.rssMbWithOpenSagas < TARGETS.rssMb)}`),
    row('API errors (non-2xx or failed)', '0', (r) => `${r.api.errors}`),
    '',
    'CPU per workflow in the throughput phase (ms; saga / bare), by process:',
    '',
    `| process | ${results.map((r) => (r.mode === 'memory' ? 'in memory' : 'SQLite file')).join(' | ')} |`,
    `| --- | ${results.map(() => '---').join(' | ')} |`,
    ...(['temporal', 'worker', 'postgres', 'api', 'bench'] as const).map(
      (k) => `| ${k === 'temporal' ? 'Temporal server' : k === 'worker' ? 'worker (bare: its own worker)' : k === 'bench' ? 'load generator (client)' : k} | ${results.map((r) => `${r.cpuMsPerWorkflow.saga[k]} / ${r.cpuMsPerWorkflow.bare[k]}`).join(' | ')} |`,
    ),
    '',
  ].join('\n');
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
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const markdown = table(results, `${when} UTC`);
  const out = new URL('./results/', import.meta.url);
  await writeFile(new URL(`${stamp}.json`, out), `${JSON.stringify({ when, bookings: BOOKINGS, concurrency: CONCURRENCY, targets: TARGETS, results }, null, 2)}\n`);
  await writeFile(new URL(`${stamp}.md`, out), markdown);
  const full = BOOKINGS === 1000 && CONCURRENCY === 50 && OPEN_SAGAS === 1000 && API_SECONDS === 10 && E2E_BOOKINGS === 200;
  if (full) await writeFile(new URL('latest.md', out), markdown);
  console.log(`\n${markdown}\nwrote bench/results/${stamp}.json and .md${full ? ', and latest.md' : ' (not latest.md: not a full-size run)'}`);
} finally {
  await stopPg?.();
  await rm(dir, { recursive: true, force: true });
}
