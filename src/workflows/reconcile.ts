// reconcileBookings: gives back what a saga held when its workflow closed without unwinding. An
// operator's `temporal workflow terminate`, a workflow timeout, or a workflow that is gone runs no
// compensation: its seats, rooms and payment stay taken. A Temporal Schedule starts this workflow
// every RECONCILE_INTERVAL (src/temporal/reconcile-schedule.ts); each pass finds up to `batch` such bookings,
// runs the saga's own undos for each, last step first (the step table's order, reversed), and then
// writes the booking TERMINATED. The undos are idempotent by booking ID: two passes, or two
// reconcilers at once, give back once. A booking whose undo still fails after a pass's few attempts
// is handed to a giveBackBooking workflow of its own (./give-back.ts): it retries with each undo's
// own patience, then waits for an operator; passes leave the booking to it. The Web UI shows each
// undo, and the pass's details say what it gave back and what it handed over.
import {
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setWorkflowOptions,
  startChild,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index.ts';
import type { ServiceRoutes } from '../booking/service-routes.ts';
import {
  failuresInWords,
  giveBackWorkflowIdFor,
  type ReconciledUndo,
  type UndoFailure,
  type UnwoundBooking,
} from '../booking/unwound.ts';
import { giveBackBooking } from './give-back.ts';
import { runUndos } from './unwound-undos.ts';

export interface ReconcileInput {
  /** How many bookings one pass gives back at most (RECONCILE_BATCH). */
  batch: number;
  /** Where the services run, as for the bookings (src/booking/service-routes.ts); absent: beside this task queue. */
  services?: ServiceRoutes;
}

export interface GaveBack extends UnwoundBooking {
  undos: ReconciledUndo[];
}

/** A booking this pass could not give back: why, and the workflow it was handed to. */
export interface NotGivenBack {
  bookingId: string;
  error: string;
  /** The giveBackBooking workflow that goes on with it (absent: a pass of a build before hand-overs). */
  handedTo?: string;
}

export interface ReconcileResult {
  gaveBack: GaveBack[];
  /** Bookings whose undo failed in this pass: each goes on in a giveBackBooking workflow of its own. */
  failed: NotGivenBack[];
  summary: string;
}

const { findUnwoundBookings, markTerminated } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * The saga's own undos, with a pass's patience: a few attempts within half a minute (over Nexus,
 * the operation's budget), then the booking is handed over (a pass never waits a day for one
 * booking, as the saga's undo would). Each runs on its service, as the saga's did.
 */
const UNDO_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
};

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
  const failed = results.filter((r): r is NotGivenBack => 'error' in r);
  const summary = describePass(gaveBack, failed);
  setCurrentDetails(summary);
  if (gaveBack.length || failed.length) log.info(summary);
  return { gaveBack, failed, summary };
}

/** Runs every undo of one booking, last step first, then writes it TERMINATED; or hands it over. */
async function giveBack(
  booking: UnwoundBooking,
  services: ServiceRoutes | undefined,
): Promise<GaveBack | NotGivenBack | { bookingId: string; skipped: true }> {
  // Passes of builds before hand-overs stopped at the first failed undo and left the booking to the next pass.
  const handsOver = patched('give-back-hand-over');
  const { undos, failed } = await runUndos(booking, [], {
    routes: services,
    taskQueue: workflowInfo().taskQueue,
    options: UNDO_OPTIONS,
    stopAtFailure: !handsOver,
  });
  if (failed.length > 0) {
    const error = failuresInWords(failed);
    if (!handsOver) return { bookingId: booking.bookingId, error };
    return { bookingId: booking.bookingId, error, handedTo: await handOver(booking, undos, failed, services) };
  }
  const written = await markTerminated.executeWithOptions(
    { summary: `Read model: booking ${booking.bookingId} TERMINATED` },
    [{ bookingId: booking.bookingId, cause: booking.cause, undos }],
  );
  // Another pass wrote it first: what it gave back is that pass's to tell.
  return written ? { ...booking, undos } : { bookingId: booking.bookingId, skipped: true };
}

/**
 * Starts the booking's giveBackBooking workflow, which outlives the pass; one that already runs
 * (another reconciler handed it over first) is the one. Returns its workflow ID.
 */
async function handOver(
  booking: UnwoundBooking,
  undos: ReconciledUndo[],
  failed: UndoFailure[],
  services: ServiceRoutes | undefined,
): Promise<string> {
  const workflowId = giveBackWorkflowIdFor(booking.bookingId);
  try {
    await startChild(giveBackBooking, {
      workflowId,
      args: [{ booking, undos, failed, ...(services ? { services } : {}) }],
      parentClosePolicy: 'ABANDON',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `Give back booking ${booking.bookingId} (${booking.cause}): ${failuresInWords(failed)}`,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return workflowId;
}

/** The pass in words, as the Web UI shows it: "Gave back 2 bookings: b1 (WorkflowTerminated): …". */
function describePass(gaveBack: GaveBack[], failed: NotGivenBack[]): string {
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
      `Could not give back ${failed.length} booking(s) yet (each goes on in a workflow of its own, then waits for an operator):`,
      ...failed.map((f) => `- ${f.bookingId}: ${f.error}${f.handedTo ? ` (handed to ${f.handedTo})` : ''}`),
    );
  return lines.join('\n');
}
