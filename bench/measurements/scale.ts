// Scale: worker CPU per saga and RSS with 10, 100, 1,000 sagas held open (each waiting for an
// operator), on a fresh worker so that the earlier phases' heap does not hide the growth.
import { setTimeout as delay } from 'node:timers/promises';
import { pool } from '../load.ts';
import { cpuDuring, rssMb } from '../process-stats.ts';
import type { ScaleResult, ScaleStep } from '../result.ts';
import type { Stack } from '../stack.ts';
import type { Workload } from '../workload.ts';

/** The scale's figures, and the ids of the bookings it left waiting for an operator. */
export async function measureScale(
  stack: Stack,
  workload: Workload,
  steps: number[],
  log: (line: string) => void,
): Promise<{ scale: ScaleResult; openBookingIds: string[] }> {
  log(`scale: a fresh worker, then ${steps.join(', ')} open sagas`);
  await stack.restartWorker();
  await workload.warmUp('fresh');
  await delay(2_000);
  const rssMbIdle = await rssMb(stack.workerPid());
  const openBookingIds: string[] = [];
  const done: ScaleStep[] = [];
  for (const target of steps) {
    const added = target - openBookingIds.length;
    const cpu = await cpuDuring(stack.pids(), added, async () => {
      await pool(added, 50, async () => {
        const b = workload.waiting(openBookingIds.length, 'bench-open');
        openBookingIds.push(b.bookingId);
        await workload.startSaga(b);
      });
      await workload.waitForAwaitingOperator('bench-open', target, `${target} sagas to wait for an operator`);
    });
    await delay(2_000);
    done.push({
      sagasOpen: target,
      added,
      workerCpuMsPerSaga: cpu.worker,
      workerRssMb: await rssMb(stack.workerPid()),
    });
    log(`scale: ${target} open sagas, worker ${cpu.worker} ms CPU per saga, RSS ${done.at(-1)!.workerRssMb} MB`);
  }
  return { scale: { rssMbIdle, steps: done }, openBookingIds };
}
