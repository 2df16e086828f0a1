// End to end, 5 at a time: POST /bookings → CONFIRMED, and the bare workflow's start → result,
// taking turns in rounds. A booking's end is its workflow's result. Then, from a sample of both
// kinds' histories, where the time went: waiting for calls and workflow tasks to be handed out,
// and the worker's turns.
import type { temporal } from '@temporalio/proto';
import { ROUNDS, inRounds, pool } from '../load.ts';
import type { EndToEndResult, WorkflowWaits } from '../result.ts';
import { latencyOf } from '../stats.ts';
import type { Workload } from '../workload.ts';

/** Histories read per kind for the waits. */
const SAMPLED = 40;

export async function measureEndToEnd(
  workload: Workload,
  bookings: number,
  log: (line: string) => void,
): Promise<EndToEndResult> {
  log(`end to end: ${bookings} bookings and ${bookings} bare workflows, 5 at a time, in ${ROUNDS} alternating rounds`);
  const saga: number[] = [];
  const bare: number[] = [];
  const sagaIds: string[] = [];
  const bareIds: string[] = [];
  const body = workload.bodyFor('bench-e2e');
  await inRounds(bookings, async (share) => {
    await pool(share, 5, async () => {
      const started = performance.now();
      const bookingId = await workload.postBooking(body);
      const status = await workload.resultOf(bookingId);
      if (status === 'CONFIRMED') {
        saga.push(performance.now() - started);
        sagaIds.push(workload.workflowIdOf(bookingId));
      }
    });
    await pool(share, 5, async () => {
      const started = performance.now();
      const handle = await workload.startBare();
      await handle.result();
      bare.push(performance.now() - started);
      bareIds.push(handle.workflowId);
    });
  });
  return {
    saga: latencyOf(saga),
    bare: latencyOf(bare),
    waits: { saga: await waitsOf(workload, sagaIds), bare: await waitsOf(workload, bareIds) },
  };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

async function waitsOf(workload: Workload, workflowIds: string[]): Promise<WorkflowWaits> {
  const sample = workflowIds.filter((_, i) => i % Math.max(1, Math.floor(workflowIds.length / SAMPLED)) === 0);
  const sums = await Promise.all(sample.slice(0, SAMPLED).map(async (id) => sumsOf(await workload.historyOf(id))));
  const median = (pick: (s: Sums) => number) => latencyOf(sums.map(pick)).p50;
  return {
    sampled: sums.length,
    callDispatchMs: median((s) => s.callDispatch),
    workflowTaskDispatchMs: median((s) => s.workflowTaskDispatch),
    workflowTaskRunMs: median((s) => s.workflowTaskRun),
  };
}

interface Sums {
  callDispatch: number;
  workflowTaskDispatch: number;
  workflowTaskRun: number;
}

/** The sums of one history's gaps: each started event against the event it names as scheduled. */
function sumsOf(events: HistoryEvent[]): Sums {
  const timeOf = new Map(events.map((e) => [Number(e.eventId), millisOf(e)]));
  const since = (scheduledId: unknown, e: HistoryEvent) =>
    millisOf(e) - (timeOf.get(Number(scheduledId)) ?? millisOf(e));
  const sums: Sums = { callDispatch: 0, workflowTaskDispatch: 0, workflowTaskRun: 0 };
  for (const e of events) {
    if (e.activityTaskStartedEventAttributes)
      sums.callDispatch += since(e.activityTaskStartedEventAttributes.scheduledEventId, e);
    if (e.nexusOperationStartedEventAttributes)
      sums.callDispatch += since(e.nexusOperationStartedEventAttributes.scheduledEventId, e);
    if (e.workflowTaskStartedEventAttributes)
      sums.workflowTaskDispatch += since(e.workflowTaskStartedEventAttributes.scheduledEventId, e);
    if (e.workflowTaskCompletedEventAttributes)
      sums.workflowTaskRun += since(e.workflowTaskCompletedEventAttributes.startedEventId, e);
  }
  return sums;
}

function millisOf(e: HistoryEvent): number {
  const t = e.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : 0;
}
