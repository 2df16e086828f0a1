// The report as markdown (bench/results/latest.md): a column per mode and way of calling the
// services, side by side, the ratios against their targets, the absolutes, and the figures behind them.
import type { BenchOptions } from './options.ts';
import type { EndToEndResult, Mode, Ratios, TaskCounts, Way, WayResult, WorkflowWaits } from './result.ts';
import { TARGETS, meets, targetText, type Target } from './targets.ts';
import { READ_OPERATIONS } from './temporal-metrics.ts';

/** What the report says of its run besides the results. */
export interface RunDescription {
  /** When the run ended, as the heading gives it (`2026-12-01 21:19 UTC`). */
  when: string;
  machine: string;
  options: BenchOptions;
  /** The saga's worker's node arguments. */
  workerArgs: string[];
}

/** A table with a column per mode and way: its header rows, and a row's cells from each column's result. */
interface Columns {
  head: (first: string, rest?: string[]) => string[];
  cols: (cell: (r: WayResult) => string) => string;
}

const modeName = (m: Mode) => (m === 'memory' ? 'in memory' : 'SQLite file (WAL, synchronous=OFF)');
const wayName = (w: Way) => (w === 'activity' ? 'activities' : 'Nexus');
const columnName = (r: WayResult) => `${modeName(r.mode)}, ${wayName(r.way)}`;
const mark = (value: number, t: Target) => `${value} ${meets(value, t) ? '✅' : '❌'}`;

export function markdown(results: WayResult[], run: RunDescription): string {
  const columns: Columns = {
    head: (first, rest = []) => [
      `| ${[first, ...rest, ...results.map(columnName)].join(' | ')} |`,
      `| ${[first, ...rest, ...results.map(() => '')].map(() => '---').join(' | ')} |`,
    ],
    cols: (cell) => results.map(cell).join(' | '),
  };
  const lines = [
    ...heading(run),
    ...ratios(columns, run.options),
    ...absolutes(columns, run.options),
    ...figures(columns),
    ...cpuByProcess(columns),
    ...scale(columns, run.options),
    ...watchers(columns, run.options),
    ...eventTypes(results),
  ];
  return lines.join('\n');
}

function heading({ when, machine, options: o, workerArgs }: RunDescription): string[] {
  return [
    `# Benchmark ${when}`,
    '',
    `Machine: ${machine}. ${o.bookings} bookings at concurrency ${o.concurrency}; ${o.e2eBookings} end-to-end bookings; fixed rate for ${o.apiSeconds} s; ${o.watchers} watchers, ${o.watchSeconds} s windows; ${o.openSagas} open sagas (steps ${o.scaleSteps.join(', ')}).`,
    `Worker: \`${workerArgs.join(' ')}\`, one process running every role (the booking's and the services'); ${o.prebuiltBundle ? 'prebuilt workflow bundle' : 'bundles at start'}${o.workerEnv.length ? `; ${o.workerEnv.join(' ')}` : ''}.`,
    `Ways of calling the services, in turn on the same dev server, each with its own worker, API and database: ${o.ways.map((w) => (w === 'activity' ? 'activities on their task queues (SERVICES_VIA=activity)' : 'Nexus, each service in its own namespace (SERVICES_VIA=nexus)')).join('; ')}.`,
    '',
  ];
}

/** Each ratio's row: its key, what it divides, and the two figures it divides. */
function ratioRows({
  concurrency,
  watchers,
  watchSeconds,
}: BenchOptions): [keyof Ratios, string, (r: WayResult) => string][] {
  return [
    [
      'throughput',
      `sagas/s ÷ bare/s, concurrency ${concurrency}`,
      (r) => `${r.throughput.sagaPerSecond} / ${r.throughput.barePerSecond}`,
    ],
    [
      'events',
      "history events, CONFIRMED booking (POST /bookings; over Nexus with its services' serviceOperation workflows) ÷ bare",
      (r) =>
        r.events.services.length
          ? `${r.events.sagaTotal} / ${r.events.bare.count}; ${r.events.sagaTotal} = booking ${r.events.saga.count} + ${r.events.services.map((w) => `${w.service} ${w.count}`).join(' + ')}`
          : `${r.events.saga.count} / ${r.events.bare.count}`,
    ],
    [
      'serverCpu',
      'Temporal server CPU per workflow (ms)',
      (r) => `${r.cpuMsPerWorkflow.saga.temporal} / ${r.cpuMsPerWorkflow.bare.temporal}`,
    ],
    [
      'workerCpu',
      'worker CPU per workflow (ms)',
      (r) => `${r.cpuMsPerWorkflow.saga.worker} / ${r.cpuMsPerWorkflow.bare.worker}`,
    ],
    ['e2eP50', 'POST → CONFIRMED p50 ÷ bare start → result p50 (ms)', (r) => `${r.e2e.saga.p50} / ${r.e2e.bare.p50}`],
    [
      'postP99',
      'POST /bookings p99 ÷ bare client.workflow.start p99, at half the saga throughput (ms)',
      (r) => `${r.fixedRate.post.p99} / ${r.fixedRate.bareStart.p99}`,
    ],
    [
      'watchers',
      `Temporal calls/s, ${watchers} SSE clients on one changing booking ÷ 1 client`,
      (r) => {
        const one = r.watch.changing.find((w) => w.watchers === 1);
        const many = r.watch.changing.find((w) => w.watchers === watchers) ?? one;
        return `${many?.temporalCalls} / ${one?.temporalCalls} calls in ${watchSeconds} s`;
      },
    ],
  ];
}

function ratios({ head, cols }: Columns, options: BenchOptions): string[] {
  return [
    '## Ratios (saga ÷ bare workflow, same server, same run)',
    '',
    ...head('ratio', ['target']),
    ...ratioRows(options).map(
      ([key, label, parts]) =>
        `| \`${key}\`: ${label} | ${targetText(TARGETS.ratios[key])} | ${cols((r) => `${mark(r.ratios[key], TARGETS.ratios[key])} (${parts(r)})`)} |`,
    ),
  ];
}

function absolutes({ head, cols }: Columns, { openSagas, watchers }: BenchOptions): string[] {
  const t = TARGETS.absolutes;
  return [
    '',
    '## Absolutes',
    '',
    ...head('measure', ['target']),
    `| GET /bookings/:id p99 at half the saga throughput (ms) | ${targetText(t.getP99Ms)} | ${cols((r) => mark(r.absolutes.getP99Ms, t.getP99Ms))} |`,
    `| worker RSS with ${openSagas} open sagas (MB) | ${targetText(t.workerRssMbOpenSagas)} | ${cols((r) => mark(r.absolutes.workerRssMbOpenSagas, t.workerRssMbOpenSagas))} |`,
    `| Temporal calls/s, ${watchers} idle watched bookings (per booking) | ${targetText(t.idleWatchedCallsPerSecondPerBooking)} per booking | ${cols((r) => `${r.absolutes.idleWatchedCallsPerSecond} (${mark(r.absolutes.idleWatchedCallsPerSecondPerBooking, t.idleWatchedCallsPerSecondPerBooking)})`)} |`,
  ];
}

function figures({ head, cols }: Columns): string[] {
  return [
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
    `| end to end, per workflow (p50 of sums, ms; saga / bare): waiting for activities and Nexus operations to start · for workflow tasks to start · running workflow tasks | ${cols((r) => waitsText(r.e2e))} |`,
    `| tasks per saga in the throughput phase: workflow + activity + Nexus | ${cols((r) => taskSum(r.tasksPerWorkflow.saga))} |`,
    `| tasks per bare workflow: the same | ${cols((r) => taskSum(r.tasksPerWorkflow.bare))} |`,
    `| saga outcomes in the throughput phase | ${cols((r) =>
      Object.entries(r.throughput.sagaStatuses)
        .map(([s, n]) => `${s} ${n}`)
        .join(', '),
    )} |`,
  ];
}

/** `45.1 / 0.2 · 60 / 41 · 120 / 50`: the saga's waits against the bare workflow's, where recorded. */
function waitsText({ waits }: EndToEndResult): string {
  if (!waits) return 'not recorded';
  const pair = (pick: (w: WorkflowWaits) => number) => `${pick(waits.saga)} / ${pick(waits.bare)}`;
  return `${pair((w) => w.callDispatchMs)} · ${pair((w) => w.workflowTaskDispatchMs)} · ${pair((w) => w.workflowTaskRunMs)} (${waits.saga.sampled} and ${waits.bare.sampled} histories)`;
}

/** `5 + 4 + 0 = 9`: a workflow's tasks by kind, as the server counted their completions. */
const taskSum = (t: TaskCounts) => `${t.workflow} + ${t.activity} + ${t.nexus} = ${t.total}`;

const PROCESS_NAMES = {
  temporal: 'Temporal server',
  worker: 'worker (every role; bare: its own worker)',
  postgres: 'postgres',
  api: 'api',
  bench: 'load generator (client)',
} as const;

function cpuByProcess({ head, cols }: Columns): string[] {
  return [
    '',
    'CPU per workflow in the throughput phase (ms; saga / bare), by process:',
    '',
    ...head('process'),
    ...(Object.keys(PROCESS_NAMES) as (keyof typeof PROCESS_NAMES)[]).map(
      (k) =>
        `| ${PROCESS_NAMES[k]} | ${cols((r) => `${r.cpuMsPerWorkflow.saga[k]} / ${r.cpuMsPerWorkflow.bare[k]}`)} |`,
    ),
  ];
}

function scale({ head, cols }: Columns, { scaleSteps }: BenchOptions): string[] {
  return [
    '',
    '## Scale',
    '',
    "Sagas held open (waiting for an operator) on a fresh worker: worker CPU per saga to bring each step's sagas there, and RSS once they wait.",
    '',
    ...head('sagas open'),
    `| 0 (after warm-up): RSS MB | ${cols((r) => `${r.scale.rssMbIdle}`)} |`,
    ...scaleSteps.map(
      (n) =>
        `| ${n}: worker ms CPU per saga, RSS MB | ${cols((r) => {
          const s = r.scale.steps.find((x) => x.sagasOpen === n);
          return s ? `${s.workerCpuMsPerSaga} ms, ${s.workerRssMb} MB` : '';
        })} |`,
    ),
  ];
}

function watchers(
  { head, cols }: Columns,
  { watcherSteps, watchers: idleBookings, watchSeconds }: BenchOptions,
): string[] {
  return [
    '',
    `One booking whose payment retries, watched over SSE for ${watchSeconds} s; Temporal calls are the frontend's read operations (${[...READ_OPERATIONS].slice(0, 5).join(', ')}, …):`,
    '',
    ...head('watchers'),
    ...watcherSteps.map(
      (n) =>
        `| ${n}: Temporal calls/s, API CPU ms/s, server CPU ms/s, events received | ${cols((r) => {
          const w = r.watch.changing.find((x) => x.watchers === n);
          return w
            ? `${w.temporalCallsPerSecond}, ${w.apiCpuMsPerSecond}, ${w.temporalCpuMsPerSecond}, ${w.eventsReceived}`
            : '';
        })} |`,
    ),
    `| ${idleBookings} idle bookings, one watcher each: same figures | ${cols((r) => `${r.watch.idle.temporalCallsPerSecond}, ${r.watch.idle.apiCpuMsPerSecond}, ${r.watch.idle.temporalCpuMsPerSecond}, ${r.watch.idle.eventsReceived}`)} |`,
  ];
}

function eventTypes(results: WayResult[]): string[] {
  return [
    '',
    '## Where the events go',
    '',
    ...results.flatMap((r) => [
      `- ${columnName(r)}, CONFIRMED booking (${r.events.saga.count}): ${eventSummary(r.events.saga.types)}`,
      ...r.events.services.map(
        (w) =>
          `- ${columnName(r)}, its ${w.service} serviceOperation workflow in namespace ${w.namespace} (${w.count}): ${eventSummary(w.types)}`,
      ),
      `- ${columnName(r)}, bare workflow (${r.events.bare.count}): ${eventSummary(r.events.bare.types)}`,
    ]),
    '',
  ];
}

/** Event types with their counts, in the order they first occur. */
function eventSummary(types: string[]): string {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].map(([t, n]) => `${t} ×${n}`).join(', ');
}
