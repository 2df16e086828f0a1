// What a run measures for each mode and each way of calling the services, as
// bench/results/latest.json holds it (`results[]`).

export type Mode = 'memory' | 'sqlite';

/** How the booking calls its services (SERVICES_VIA): activities on their task queues, or Nexus. */
export type Way = 'activity' | 'nexus';
export const WAYS: readonly Way[] = ['activity', 'nexus'];

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

/** Tasks a worker completed, per workflow, as the server counted their completions. */
export interface TaskCounts {
  workflow: number;
  activity: number;
  nexus: number;
  total: number;
}

/** A workflow's history: how many events, and their types in order (EVENT_TYPE_ left off). */
export interface History {
  count: number;
  types: string[];
}

/** A serviceOperation workflow a booking's Nexus operation ran, in its service's namespace. */
export interface ServiceOperationHistory extends History {
  service: string;
  namespace: string;
  workflowId: string;
}

export interface EventCounts {
  /** The booking's own history. */
  saga: History & { workflowId: string };
  /** Over Nexus, the workflow each of the booking's operations ran in its service's namespace; else none. */
  services: ServiceOperationHistory[];
  /** The booking's events and its services' workflows' together: the `events` ratio's numerator. */
  sagaTotal: number;
  bare: History;
}

export interface EndToEndResult {
  saga: Latency;
  bare: Latency;
  /** Where a workflow's time went, from a sample of the phase's histories (absent in runs before #23's). */
  waits?: { saga: WorkflowWaits; bare: WorkflowWaits };
}

/**
 * One workflow's time from its history, as the medians over the sampled workflows of per-workflow
 * sums (ms): scheduled → started of its activities and Nexus operations (an activity handed out
 * with the workflow task's completion waits ~0), of its workflow tasks, and started → completed of
 * its workflow tasks (the worker's turn).
 */
export interface WorkflowWaits {
  sampled: number;
  callDispatchMs: number;
  workflowTaskDispatchMs: number;
  workflowTaskRunMs: number;
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

/** What one way measured on one mode's dev server: a column of the report. */
export interface WayResult {
  mode: Mode;
  way: Way;
  ratios: Ratios;
  absolutes: Absolutes;
  throughput: ThroughputResult;
  /** CPU milliseconds per workflow in the throughput phase, by process: where the work goes. */
  cpuMsPerWorkflow: { saga: CpuShare; bare: CpuShare };
  /** Tasks per workflow in the throughput phase (the server's task completions). */
  tasksPerWorkflow: { saga: TaskCounts; bare: TaskCounts };
  /** Every frontend operation per workflow in the throughput phase (polls, completions, starts). */
  callsPerWorkflow: { saga: Record<string, number>; bare: Record<string, number> };
  events: EventCounts;
  e2e: EndToEndResult;
  fixedRate: FixedRateResult;
  watch: WatchResult;
  scale: ScaleResult;
}
