// The benchmark's command line (bench/README.md, "Running it"): the sizes of its phases, its modes,
// the ways of calling the services it measures, where a run that is not full-size writes, and the
// worker's tuning.
import { parseArgs } from 'node:util';
import { WAYS, type Mode, type Way } from './result.ts';

/** The full-size run's options: only a run with all of these writes bench/results. */
export const FULL = {
  bookings: '1000',
  concurrency: '50',
  'open-sagas': '1000',
  'api-seconds': '10',
  'e2e-bookings': '200',
  watchers: '100',
  'watch-seconds': '20',
  scale: '10,100,1000',
} as const;

export interface BenchOptions {
  bookings: number;
  concurrency: number;
  openSagas: number;
  apiSeconds: number;
  e2eBookings: number;
  watchers: number;
  watchSeconds: number;
  /** The scale phase's steps: sagas held open, ending at --open-sagas. */
  scaleSteps: number[];
  /** Watchers of one changing booking: 1 and --watchers give the ratio; 10 is the scale's middle step. */
  watcherSteps: number[];
  modes: Mode[];
  /** The ways of calling the services, each measured in turn on each mode's dev server. */
  ways: Way[];
  /** Where a run that is not full-size writes its JSON (and .md beside it). */
  out: string | undefined;
  prebuiltBundle: boolean;
  /** --worker-env as given (NAME=value each). */
  workerEnv: string[];
  /** The same as an environment. */
  workerEnvVars: Record<string, string>;
  /** Every size option at its default: the run writes bench/results. */
  full: boolean;
  /** The options as the JSON records them: the sizes as given, the modes and the tuning. */
  recorded: Record<string, string | boolean | string[]>;
}

function parse(args: string[] | undefined) {
  return parseArgs({
    args,
    options: {
      bookings: { type: 'string', default: FULL.bookings },
      concurrency: { type: 'string', default: FULL.concurrency },
      /** memory, sqlite or both (memory,sqlite); memory alone keeps the full run under 15 minutes on 2 cores. */
      modes: { type: 'string', default: 'memory' },
      /** activity, nexus or both (activity,nexus): how the booking calls its services (SERVICES_VIA). */
      ways: { type: 'string', default: WAYS.join(',') },
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
  }).values;
}

/** The options of `args` (the process's arguments by default); throws on a size below 1. */
export function parseOptions(args?: string[]): BenchOptions {
  const values = parse(args);
  const sizes = {
    BOOKINGS: Number(values.bookings),
    CONCURRENCY: Number(values.concurrency),
    OPEN_SAGAS: Number(values['open-sagas']),
    API_SECONDS: Number(values['api-seconds']),
    E2E_BOOKINGS: Number(values['e2e-bookings']),
    WATCHERS: Number(values.watchers),
    WATCH_SECONDS: Number(values['watch-seconds']),
  };
  for (const [name, n] of Object.entries(sizes)) {
    if (!Number.isFinite(n) || n < 1) throw new Error(`${name} must be a number ≥ 1`);
  }
  const sizeKeys = Object.keys(FULL) as (keyof typeof FULL)[];
  return {
    bookings: sizes.BOOKINGS,
    concurrency: sizes.CONCURRENCY,
    openSagas: sizes.OPEN_SAGAS,
    apiSeconds: sizes.API_SECONDS,
    e2eBookings: sizes.E2E_BOOKINGS,
    watchers: sizes.WATCHERS,
    watchSeconds: sizes.WATCH_SECONDS,
    scaleSteps: scaleSteps(values.scale, sizes.OPEN_SAGAS),
    watcherSteps: [...new Set([1, 10, sizes.WATCHERS].filter((n) => n >= 1 && n <= sizes.WATCHERS))].sort(
      (a, b) => a - b,
    ),
    modes: values.modes.split(',') as Mode[],
    ways: waysOf(values.ways),
    out: values.out,
    prebuiltBundle: values['prebuilt-bundle'],
    workerEnv: values['worker-env'],
    workerEnvVars: Object.fromEntries(
      values['worker-env'].map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string]),
    ),
    full: sizeKeys.every((k) => values[k] === FULL[k]),
    recorded: {
      ...Object.fromEntries(sizeKeys.map((k) => [k, values[k]])),
      modes: values.modes,
      ways: values.ways,
      'prebuilt-bundle': values['prebuilt-bundle'],
      'worker-env': values['worker-env'],
    },
  };
}

/** --scale's steps below --open-sagas, then --open-sagas, in order and each once. */
function scaleSteps(scale: string, openSagas: number): number[] {
  return [
    ...new Set([
      ...scale
        .split(',')
        .map(Number)
        .filter((n) => n > 0 && n < openSagas),
      openSagas,
    ]),
  ].sort((a, b) => a - b);
}

/** --ways's ways, each once, in the order given; throws on one that is not a way. */
function waysOf(ways: string): Way[] {
  const named = [...new Set(ways.split(',').map((w) => w.trim()))];
  const unknown = named.filter((w) => !WAYS.includes(w as Way));
  if (unknown.length > 0 || named.length === 0)
    throw new Error(`--ways must name ${WAYS.join(' and/or ')}, comma-separated (not ${unknown.join(', ') || ways})`);
  return named as Way[];
}
