// npm run bench [-- --bookings 1000 --concurrency 50 --modes memory --ways activity,nexus --watchers 100 ...]
// Measures what the saga costs against a bare workflow of 3 no-op activities, on the same Temporal
// dev server in the same run, and reports the ratios (bench/README.md says what each one means),
// for each way of calling the services in turn (--ways: as activities on their task queues, and
// over Nexus, each service in its own namespace), each against its own rounds of the same bare
// workflow on the same server:
//   events      history events of a CONFIRMED booking (started by POST /bookings; over Nexus with
//               its services' workflows) / the bare workflow's;
//   throughput  sagas/s / bare workflows/s, at --concurrency; with CPU per workflow by process
//               (serverCpu, workerCpu) and the tasks per workflow the server counted;
//   e2eP50      POST → CONFIRMED p50 / the bare workflow's start → result p50, 5 at a time;
//   postP99     POST /bookings p99 / a bare client.workflow.start p99, both at half the saga throughput,
//               then GET /bookings/:id at that rate (absolute p99);
//   watchers    Temporal calls/s while --watchers clients watch one changing booking over SSE / with
//               one client (the dev server's Prometheus metrics), and the API's CPU with 1, 10, N;
//   scale       worker CPU per saga and RSS at each --scale step of sagas held open (an operator wait);
//   idle        Temporal calls/s while --watchers bookings that do not change are watched.
// A run at the full (default) sizes writes bench/results/latest.json and latest.md and appends a line
// to bench/results/history.jsonl; any other run only prints, unless --out <file.json> (and .md beside it).
// This file is the outline: the stack is in stack.ts, each measurement in measurements/, the report
// in report.ts and markdown.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureEndToEnd } from './measurements/end-to-end.ts';
import { measureEvents } from './measurements/events.ts';
import { measureFixedRate } from './measurements/fixed-rate.ts';
import { measureScale } from './measurements/scale.ts';
import { measureThroughput } from './measurements/throughput.ts';
import { measureChangingWatchers, measureIdleWatchers } from './measurements/watchers.ts';
import { parseOptions, type BenchOptions } from './options.ts';
import { writeReport } from './report.ts';
import type { Mode, Way, WayResult } from './result.ts';
import {
  buildWorkflowBundle,
  npmWorkerArgs,
  startPostgres,
  startServer,
  startWay,
  type Postgres,
  type ServerStack,
  type StackSetup,
} from './stack.ts';
import { wayResult } from './way-result.ts';
import { createWorkload } from './workload.ts';

/** Each way in turn on a dev server of the mode's own; the server is stopped whatever happens. */
async function runMode(mode: Mode, setup: StackSetup, options: BenchOptions): Promise<WayResult[]> {
  const server = await startServer(mode, setup);
  try {
    const results: WayResult[] = [];
    for (const way of options.ways) results.push(await runWay(server, way, setup, options));
    return results;
  } finally {
    await server.stop();
  }
}

/** Every phase, in order, on the way's own worker, API and database; they are stopped whatever happens. */
async function runWay(server: ServerStack, way: Way, setup: StackSetup, options: BenchOptions): Promise<WayResult> {
  const { mode } = server;
  const log = (line: string) => console.log(`[${mode}, ${way}] ${line}`);
  const stack = await startWay(server, way, setup);
  try {
    const workload = await createWorkload(stack);
    await workload.warmUp('first');
    const events = await measureEvents(stack, workload, log);
    const throughput = await measureThroughput(stack, workload, options, log);
    const e2e = await measureEndToEnd(workload, options.e2eBookings, log);
    const rate = Math.max(1, Math.round(throughput.sagaPerSecond / 2));
    const fixedRate = await measureFixedRate(stack, workload, rate, options.apiSeconds, log);
    const changing = await measureChangingWatchers(
      stack,
      workload,
      { watcherSteps: options.watcherSteps, seconds: options.watchSeconds },
      log,
    );
    const { scale, openBookingIds } = await measureScale(stack, workload, options.scaleSteps, log);
    const idle = await measureIdleWatchers(
      stack,
      openBookingIds,
      { count: options.watchers, seconds: options.watchSeconds },
      log,
    );
    return wayResult(
      mode,
      way,
      { events, throughput, e2e, fixedRate, watch: { ...changing, idle }, scale },
      options.watchers,
    );
  } finally {
    await stack.stop();
  }
}

const options = parseOptions();
const workerArgs = await npmWorkerArgs();
const dir = await mkdtemp(join(tmpdir(), 'trip-bench-'));
let postgres: Postgres | undefined;
try {
  postgres = await startPostgres(dir);
  const setup: StackSetup = {
    serverUrl: postgres.serverUrl,
    dir,
    workerArgs,
    workerEnv: options.workerEnvVars,
    bundlePath: options.prebuiltBundle ? await buildWorkflowBundle(dir) : undefined,
    sseStreamsPerCaller: Math.max(options.watchers, options.openSagas) + 10,
  };
  const results: WayResult[] = [];
  for (const mode of options.modes) results.push(...(await runMode(mode, setup, options)));
  await writeReport(results, options, workerArgs);
} finally {
  await postgres?.stop();
  await rm(dir, { recursive: true, force: true });
}
