// reconcileBookings: gives back what a saga held when its workflow closed without unwinding. An
// operator's `temporal workflow terminate`, a workflow timeout, or a workflow that is gone runs no
// compensation: its seats, rooms and payment stay taken. A Temporal Schedule starts this workflow
// every RECONCILE_INTERVAL (src/temporal/reconcile-schedule.ts); each pass finds up to `batch` such bookings,
// runs the saga's own undos for each, last step first (the step table's order, reversed), and then
// writes the booking TERMINATED. The undos are idempotent by booking ID: two passes, or two
// reconcilers at once, give back once. The Web UI shows each undo, and the pass's details say
// what it gave back.
import {
  log,
  proxyActivities,
  setCurrentDetails,
  setWorkflowOptions,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { ReconciledUndo, UnwoundBooking } from '../activities/reconcile.ts';
import { routeTo, type ServiceRoutes } from '../booking/service-routes.ts';
import { TRIP_STEPS, type UndoActivity } from '../booking/steps.ts';
import { callService } from './service-call.ts';

export interface ReconcileInput {
  /** How many bookings one pass gives back at most (RECONCILE_BATCH). */
  batch: number;
  /** Where the services run, as for the bookings (src/booking/service-routes.ts); absent: beside this task queue. */
  services?: ServiceRoutes;
}

export interface GaveBack extends UnwoundBooking {
  undos: ReconciledUndo[];
}

export interface ReconcileResult {
  gaveBack: GaveBack[];
  /** Bookings whose undo failed in this pass: the next pass tries them again. */
  failed: { bookingId: string; error: string }[];
  summary: string;
}

const { findUnwoundBookings, markTerminated } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * The saga's own undos, with a pass's patience: a few attempts, then the next pass tries again (a
 * pass never waits a day for one booking, as the saga's undo would). Each runs on its service's
 * task queue, as the saga's did.
 */
const UNDO_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
};

/** Each step's undo, in unwind order: the last step first. */
const UNWIND = TRIP_STEPS.flatMap((s) =>
  'undo' in s ? [{ step: s.name, service: s.service, activity: s.undo }] : [],
).reverse();

// A pass is short and new each time: it runs on the current build.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, reconcileBookings);

export async function reconcileBookings(input: ReconcileInput): Promise<ReconcileResult> {
  setCurrentDetails('Looking for bookings whose workflow closed without unwinding');
  const found = await findUnwoundBookings.executeWithOptions(
    { summary: `Find up to ${input.batch} booking(s) whose workflow closed without unwinding` },
    [{ batch: input.batch }],
  );
  const results = await Promise.all(found.map((booking) => giveBack(booking, input.services)));
  const gaveBack = results.filter((r): r is GaveBack => 'undos' in r);
  const failed = results.filter((r): r is { bookingId: string; error: string } => 'error' in r);
  const summary = describePass(gaveBack, failed);
  setCurrentDetails(summary);
  if (gaveBack.length || failed.length) log.info(summary);
  return { gaveBack, failed, summary };
}

/** Runs every undo of one booking, last step first, then writes it TERMINATED. */
async function giveBack(
  booking: UnwoundBooking,
  routes: ServiceRoutes | undefined,
): Promise<GaveBack | { bookingId: string; error: string } | { bookingId: string; skipped: true }> {
  const undos: ReconciledUndo[] = [];
  for (const { step, service, activity } of UNWIND) {
    const route = routeTo(service, workflowInfo().taskQueue, routes);
    try {
      const result = (await callService(service, route, {
        step,
        kind: 'undo',
        activity,
        options: UNDO_OPTIONS,
        summary: `Give back ${step} of booking ${booking.bookingId} (${booking.cause})`,
        args: { bookingId: booking.bookingId },
      })) as Awaited<ReturnType<Activities[UndoActivity]>>;
      undos.push({ step, activity, outcome: result.outcome, attempts: result.attempt });
    } catch (error) {
      // The booking stays as it is; the next pass runs its undos again (each is idempotent).
      return { bookingId: booking.bookingId, error: `${activity}: ${(error as Error).message}` };
    }
  }
  const written = await markTerminated.executeWithOptions(
    { summary: `Read model: booking ${booking.bookingId} TERMINATED` },
    [{ bookingId: booking.bookingId, cause: booking.cause, undos }],
  );
  // Another pass wrote it first: what it gave back is that pass's to tell.
  return written ? { ...booking, undos } : { bookingId: booking.bookingId, skipped: true };
}

/** The pass in words, as the Web UI shows it: "Gave back 2 bookings: b1 (WorkflowTerminated): …". */
function describePass(gaveBack: GaveBack[], failed: { bookingId: string; error: string }[]): string {
  const lines = [
    gaveBack.length === 0
      ? 'Gave back nothing: no booking held anything for a closed workflow'
      : `Gave back ${gaveBack.length} booking(s):`,
  ];
  for (const b of gaveBack) {
    const undone = b.undos.filter((u) => u.outcome === 'UNDONE').map((u) => u.activity);
    lines.push(
      `- ${b.bookingId} (${b.cause}, was ${b.status}): ${undone.length ? undone.join(', ') : 'it held nothing'}`,
    );
  }
  if (failed.length)
    lines.push(
      `Could not give back ${failed.length} booking(s) yet (the next pass tries again):`,
      ...failed.map((f) => `- ${f.bookingId}: ${f.error}`),
    );
  return lines.join('\n');
}
