// Throughput, and the CPU each process spends per workflow: --bookings sagas and as many bare
// workflows, --concurrency at a time, started with the client; the two take turns in rounds.
import { randomUUID } from 'node:crypto';
import { ROUNDS, inRounds, pool } from '../load.ts';
import { cpuDuring, type Pids } from '../process-stats.ts';
import type { CpuShare } from '../result.ts';
import type { Stack } from '../stack.ts';
import { round } from '../stats.ts';
import type { Workload } from '../workload.ts';

export interface ThroughputMeasure {
  /** Unrounded: the ratio and the fixed rate are computed from these. */
  sagaPerSecond: number;
  barePerSecond: number;
  sagaStatuses: Record<string, number>;
  cpuMsPerWorkflow: { saga: CpuShare; bare: CpuShare };
}

/** The time and the CPU (ms, by process) one side's rounds have taken so far. */
interface Run {
  seconds: number;
  cpu: CpuShare | undefined;
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
  const saga: Run = { seconds: 0, cpu: undefined };
  const bare: Run = { seconds: 0, cpu: undefined };
  await inRounds(bookings, async (share, index) => {
    await timed(saga, stack.pids(), () =>
      pool(share, concurrency, async (i) => {
        const status = await workload.executeSaga(workload.input(index * bookings + i)).then(
          (s) => s.status,
          () => 'FAILED',
        );
        sagaStatuses[status] = (sagaStatuses[status] ?? 0) + 1;
      }),
    );
    // The bare worker's CPU is counted as the worker's here.
    await timed(bare, stack.barePids(), () =>
      pool(share, concurrency, () => workload.executeBare(`bare-${randomUUID()}`)),
    );
  });
  const perWorkflow = (cpu: CpuShare) =>
    Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v / bookings)])) as CpuShare;
  return {
    sagaPerSecond: bookings / saga.seconds,
    barePerSecond: bookings / bare.seconds,
    sagaStatuses,
    cpuMsPerWorkflow: { saga: perWorkflow(saga.cpu!), bare: perWorkflow(bare.cpu!) },
  };
}

/** Runs `work`, adding its time and its CPU to `run`'s. */
async function timed(run: Run, pids: Pids, work: () => Promise<void>) {
  const t0 = performance.now();
  const cpu = await cpuDuring(pids, 1, work);
  run.cpu = run.cpu
    ? (Object.fromEntries(Object.entries(run.cpu).map(([k, v]) => [k, v + cpu[k as keyof CpuShare]])) as CpuShare)
    : cpu;
  run.seconds += (performance.now() - t0) / 1000;
}
