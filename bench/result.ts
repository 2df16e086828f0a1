// What a run measures for each mode, as bench/results/latest.json holds it (`results[]`).

export type Mode = 'memory' | 'sqlite';

/** The ratios: the saga's cost over the bare workflow's (watchers: 100 clients over 1). */
export interface Ratios {
  throughput: number;
  events: number;
  serverCpu: number;
  workerCpu: number;
  e2eP50: number;
  postP99: number;
  watchers: number;
}

export interface Absolutes {
  /** GET /bookings/:id p99 at half the saga throughput (ms). */
  getP99Ms: number;
  /** Worker RSS with --open-sagas sagas waiting for an operator (MB). */
  workerRssMbOpenSagas: number;
  /** Temporal calls per second while --watchers bookings that do not change are watched, one client each. */
  idleWatchedCallsPerSecond: number;
  /** The same, per watched booking. */
  idleWatchedCallsPerSecondPerBooking: number;
}

export interface Latency {
  p50: number;
  p99: number;
  count: number;
}

export type LatencyWithErrors = Latency & { errors: number };

/** CPU milliseconds by process of the stack (the benchmark's own process is `bench`). */
export type CpuShare = Record<'temporal' | 'worker' | 'api' | 'postgres' | 'bench', number>;

export interface ThroughputResult {
  sagaPerSecond: number;
  barePerSecond: number;
  sagaStatuses: Record<string, number>;
}

export interface EventCounts {
  saga: { count: number; types: string[]; workflowId: string };
  bare: { count: number; types: string[] };
}

export interface EndToEndResult {
  saga: Latency;
  bare: Latency;
}

export interface FixedRateResult {
  ratePerSecond: number;
  seconds: number;
  post: LatencyWithErrors;
  bareStart: LatencyWithErrors;
  get: LatencyWithErrors;
}

export interface WatchWindow {
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

export interface WatchResult {
  changing: WatchWindow[];
  idle: WatchWindow;
  changingBooking: string;
}

export interface ScaleStep {
  sagasOpen: number;
  added: number;
  workerCpuMsPerSaga: number;
  workerRssMb: number;
}

export interface ScaleResult {
  rssMbIdle: number;
  steps: ScaleStep[];
}

export interface ModeResult {
  mode: Mode;
  ratios: Ratios;
  absolutes: Absolutes;
  throughput: ThroughputResult;
  /** CPU milliseconds per workflow in the throughput phase, by process: where the work goes. */
  cpuMsPerWorkflow: { saga: CpuShare; bare: CpuShare };
  events: EventCounts;
  e2e: EndToEndResult;
  fixedRate: FixedRateResult;
  watch: WatchResult;
  scale: ScaleResult;
}
