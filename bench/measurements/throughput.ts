// Throughput, and what each workflow costs meanwhile: --bookings sagas and as many bare workflows,
// --concurrency at a time, started with the client; the two take turns in rounds. Per workflow: the
// CPU of each process (serverCpu, workerCpu), and the tasks the workers completed and every call
// the server's frontend served (its metrics).
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { ROUNDS, inRounds, pool } from '../load.ts';
import { cpuDuring, type Pids } from '../process-stats.ts';
import type { CpuShare, TaskCounts } from '../result.ts';
import type { Stack } from '../stack.ts';
import { round } from '../stats.ts';
import { METRICS_SETTLE_MS, frontendRequests, requestsBetween, tasksOf } from '../temporal-metrics.ts';
import type { Workload } from '../workload.ts';

export interface ThroughputMeasure {
  /** Unrounded: the ratio and the fixed rate are computed from these. */
  sagaPerSecond: number;
  barePerSecond: number;
  sagaStatuses: Record<string, number>;
  cpuMsPerWorkflow: { saga: CpuShare; bare: CpuShare };
  tasksPerWorkflow: { saga: TaskCounts; bare: TaskCounts };
  callsPerWorkflow: { saga: Record<string, number>; bare: Record<string, number> };
}

/** The time, the CPU (ms, by process) and the frontend's calls (by operation) one side's rounds have taken so far. */
interface Run {
  seconds: number;
  cpu: CpuShare | undefined;
  calls: Record<string, number>;
}

export async function measureThroughput(
  stack: Stack,
  workload: Workload,
  { bookings, concurrency }: { bookings: number; concurrency: number },
  log: (line: string) => void,
): Promise<ThroughputMeasure> {
  log(
    `throughput: ${bookings} sagas and ${bookings} bare workflows at concurrency ${concurrency}, in ${ROUNDS} alternating rounds`,
  );
  const sagaStatuses: Record<string, number> = {};
  const saga: Run = { seconds: 0, cpu: undefined, calls: {} };
  const bare: Run = { seconds: 0, cpu: undefined, calls: {} };
  await inRounds(bookings, async (share, index) => {
    await timed(saga, stack, stack.pids(), () =>
      pool(share, concurrency, async (i) => {
        const status = await workload.executeSaga(workload.input(index * bookings + i)).then(
          (s) => s.status,
          () => 'FAILED',
        );
        sagaStatuses[status] = (sagaStatuses[status] ?? 0) + 1;
      }),
    );
    // The bare worker's CPU is counted as the worker's here.
    await timed(bare, stack, stack.barePids(), () =>
      pool(share, concurrency, () => workload.executeBare(`bare-${randomUUID()}`)),
    );
  });
  const perWorkflow = <K extends string>(totals: Record<K, number>, digits = 1) =>
    Object.fromEntries(Object.entries<number>(totals).map(([k, v]) => [k, round(v / bookings, digits)])) as Record<
      K,
      number
    >;
  return {
    sagaPerSecond: bookings / saga.seconds,
    barePerSecond: bookings / bare.seconds,
    sagaStatuses,
    cpuMsPerWorkflow: { saga: perWorkflow(saga.cpu!), bare: perWorkflow(bare.cpu!) },
    tasksPerWorkflow: { saga: perWorkflow(tasksOf(saga.calls), 2), bare: perWorkflow(tasksOf(bare.calls), 2) },
    callsPerWorkflow: { saga: perWorkflow(saga.calls, 2), bare: perWorkflow(bare.calls, 2) },
  };
}

/**
 * Runs `work`, adding its time to `run`'s, and its CPU and the frontend's calls until the server's
 * metrics have settled (METRICS_SETTLE_MS later): so each side's round is counted whole, with what
 * its workflows leave the server to do once they close, and none of it in the other side's round.
 */
async function timed(run: Run, { metricsUrl }: Stack, pids: Pids, work: () => Promise<void>) {
  const callsBefore = await frontendRequests(metricsUrl);
  const cpu = await cpuDuring(pids, 1, async () => {
    const t0 = performance.now();
    await work();
    run.seconds += (performance.now() - t0) / 1000;
    await delay(METRICS_SETTLE_MS);
  });
  for (const [op, n] of Object.entries(requestsBetween(callsBefore, await frontendRequests(metricsUrl))))
    run.calls[op] = (run.calls[op] ?? 0) + n;
  run.cpu = run.cpu
    ? (Object.fromEntries(Object.entries(run.cpu).map(([k, v]) => [k, v + cpu[k as keyof CpuShare]])) as CpuShare)
    : cpu;
}
