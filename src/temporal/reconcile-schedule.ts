// The reconciler's Temporal Schedule: every RECONCILE_INTERVAL it starts reconcileBookings
// (src/workflows/reconcile.ts) on the worker's task queue. The worker and `npm run dev` ensure it at
// start: created when absent, updated when it exists (an interval changed by configuration), so
// several workers starting at once leave one schedule. The Web UI lists it under Schedules.
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsAction,
  type ScheduleSpec,
} from '@temporalio/client';
import { TASK_QUEUE } from '../booking/booking.ts';
import type { ServiceRoutes } from '../booking/service-routes.ts';
import type { reconcileBookings } from '../workflows/reconcile.ts';

export interface ReconcileSchedule {
  taskQueue?: string;
  intervalMs: number;
  batch: number;
  /** How each pass calls the services' undos, as the bookings do (absent: activities beside the task queue). */
  services?: ServiceRoutes;
}

/** One schedule per task queue: `reconcile-bookings` for the app's own. */
export function reconcileScheduleId(taskQueue = TASK_QUEUE): string {
  return taskQueue === TASK_QUEUE ? 'reconcile-bookings' : `reconcile-bookings-${taskQueue}`;
}

function scheduleParts({ taskQueue = TASK_QUEUE, intervalMs, batch, services }: ReconcileSchedule): {
  spec: ScheduleSpec;
  action: ScheduleOptionsAction;
} {
  const args: Parameters<typeof reconcileBookings> = [{ batch, ...(services ? { services } : {}) }];
  return {
    spec: { intervals: [{ every: intervalMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'reconcileBookings',
      workflowId: reconcileScheduleId(taskQueue),
      taskQueue,
      args,
      staticSummary: `Give back what bookings held when their workflow closed without unwinding (up to ${batch} per pass)`,
      staticDetails:
        'Finds bookings whose workflow was terminated, timed out or is gone while the read model shows them open, ' +
        'runs their undos (refundPayment, cancelHotel, cancelFlight) and writes them TERMINATED. ' +
        'The current details of each pass say what it gave back.',
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the schedule, or brings an existing one to these settings. Returns which it did. */
export async function ensureReconcileSchedule(
  client: Client,
  settings: ReconcileSchedule,
): Promise<'created' | 'updated'> {
  const scheduleId = reconcileScheduleId(settings.taskQueue);
  const { spec, action } = scheduleParts(settings);
  try {
    // A pass that outlives its interval is not doubled (SKIP); after an outage, one pass catches up.
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  // Another worker may update it at the same moment, to the same settings: a refused update is tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      await client.schedule.getHandle(scheduleId).update((current) => ({ ...current, spec, action }));
      return 'updated';
    } catch (error) {
      if (attempt >= 3) throw error;
      await pause(200 * attempt);
    }
  }
}
