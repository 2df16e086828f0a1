// One way's result on one mode's server, from its measurements: the ratios (saga ÷ bare
// workflow), the absolutes, and the figures behind them, in the shape of bench/results/latest.json.
import type { ThroughputMeasure } from './measurements/throughput.ts';
import type {
  Absolutes,
  EndToEndResult,
  EventCounts,
  FixedRateResult,
  Mode,
  Ratios,
  ScaleResult,
  WatchResult,
  Way,
  WayResult,
} from './result.ts';
import { round } from './stats.ts';

export interface Measurements {
  events: EventCounts;
  throughput: ThroughputMeasure;
  e2e: EndToEndResult;
  fixedRate: FixedRateResult;
  watch: WatchResult;
  scale: ScaleResult;
}

/** `watchers`: the clients of the watchers ratio's numerator (--watchers). */
export function wayResult(mode: Mode, way: Way, m: Measurements, watchers: number): WayResult {
  return {
    mode,
    way,
    ratios: ratiosOf(m, watchers),
    absolutes: absolutesOf(m),
    throughput: {
      sagaPerSecond: round(m.throughput.sagaPerSecond),
      barePerSecond: round(m.throughput.barePerSecond),
      sagaStatuses: m.throughput.sagaStatuses,
    },
    cpuMsPerWorkflow: m.throughput.cpuMsPerWorkflow,
    tasksPerWorkflow: m.throughput.tasksPerWorkflow,
    callsPerWorkflow: m.throughput.callsPerWorkflow,
    events: m.events,
    e2e: m.e2e,
    fixedRate: m.fixedRate,
    // In this order, as the JSON has always had it.
    watch: { changing: m.watch.changing, idle: m.watch.idle, changingBooking: m.watch.changingBooking },
    scale: m.scale,
  };
}

function ratiosOf({ throughput, events, e2e, fixedRate, watch }: Measurements, watchers: number): Ratios {
  const { saga: sagaCpu, bare: bareCpu } = throughput.cpuMsPerWorkflow;
  const one = watch.changing.find((w) => w.watchers === 1)!;
  const many = watch.changing.find((w) => w.watchers === watchers) ?? one;
  return {
    throughput: round(throughput.sagaPerSecond / throughput.barePerSecond, 2),
    // Over Nexus, the services' workflows' events are the saga's too.
    events: round(events.sagaTotal / events.bare.count, 2),
    serverCpu: round(sagaCpu.temporal / bareCpu.temporal, 2),
    workerCpu: round(sagaCpu.worker / bareCpu.worker, 2),
    e2eP50: round(e2e.saga.p50 / e2e.bare.p50, 2),
    postP99: round(fixedRate.post.p99 / fixedRate.bareStart.p99, 2),
    // No calls in either window (a watch path that only polls slowly): nothing grew, 1.
    watchers:
      many.temporalCallsPerSecond === 0 && one.temporalCallsPerSecond === 0
        ? 1
        : round(many.temporalCallsPerSecond / one.temporalCallsPerSecond, 2),
  };
}

function absolutesOf({ fixedRate, scale, watch }: Measurements): Absolutes {
  return {
    getP99Ms: fixedRate.get.p99,
    workerRssMbOpenSagas: scale.steps.at(-1)!.workerRssMb,
    idleWatchedCallsPerSecond: watch.idle.temporalCallsPerSecond,
    idleWatchedCallsPerSecondPerBooking: round(watch.idle.temporalCallsPerSecond / watch.idle.bookings, 3),
  };
}
