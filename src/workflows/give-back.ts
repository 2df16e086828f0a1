// giveBackBooking: goes on giving back a booking that a reconciler's pass could not. Its saga's
// workflow closed without unwinding (src/workflows/reconcile.ts), and an undo failed in the pass.
// This workflow runs the failed undos again, at once, each with its own patience (a day of retries;
// a business failure at once), as the saga's unwind would have. An undo that still fails waits,
// durably, for an operator, who retries it or resolves it by hand with the saga's own Updates
// (retryCompensation, resolveCompensation: refused unless it waits). The read model shows the
// booking COMPENSATING, then COMPENSATION_FAILED, then TERMINATED; passes skip it while this runs.
import {
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { HandResolution } from '../activities/reconcile.ts';
import type { BookingState } from '../booking/booking.ts';
import { resolveCompensationUpdate, retryCompensationUpdate } from '../booking/messages.ts';
import type { ServiceRoutes } from '../booking/service-routes.ts';
import { failuresInWords, type ReconciledUndo, type UndoFailure, type UnwoundBooking } from '../booking/unwound.ts';
import { OPERATOR_REMINDER, type OperatorAction } from './operator-wait.ts';
import { runUndos, type UndosRun } from './unwound-undos.ts';
import { operatorWaitSummary } from './web-ui.ts';

export interface GiveBackInput {
  booking: UnwoundBooking;
  /** What the pass gave back, and what it could not. */
  undos: ReconciledUndo[];
  failed: UndoFailure[];
  /** Where the services run, as for the bookings; absent: beside this task queue. */
  services?: ServiceRoutes;
}

export interface GiveBackResult {
  bookingId: string;
  /** Whether this workflow wrote the booking TERMINATED (false: the row had ended meanwhile). */
  terminated: boolean;
  undos: ReconciledUndo[];
  /** What a person fixed by hand, if the wait ended with a resolve. */
  resolution?: HandResolution;
}

/** The read model's writes: retried until PostgreSQL answers (each is versioned: idempotent). */
const { recordGiveBack, markTerminated } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

// It may wait for an operator for days: it ends on the build that started it, as a saga does.
setWorkflowOptions({ versioningBehavior: 'PINNED' }, giveBackBooking);

export async function giveBackBooking(input: GiveBackInput): Promise<GiveBackResult> {
  const { booking } = input;
  const { workflowId, taskQueue, startTime } = workflowInfo();
  let run: UndosRun = { undos: input.undos, failed: input.failed };
  let operatorWait: BookingState['operatorWait'];
  let retriedBy: string[] | undefined;
  let state: BookingState | undefined;
  let action: OperatorAction | undefined;

  /** Writes where it stands to the read model: false once the booking has ended there. */
  const record = async (): Promise<boolean> => {
    state = await recordGiveBack.executeWithOptions(
      {
        summary: `Read model: booking ${booking.bookingId} ${operatorWait ? 'waits for an operator' : 'COMPENSATING'}`,
      },
      [
        {
          booking,
          workflowId,
          since: startTime.toISOString(),
          undos: run.undos,
          failed: run.failed,
          ...(operatorWait ? { operatorWait } : {}),
          ...(retriedBy ? { retriedBy } : {}),
        },
      ],
    );
    retriedBy ??= state?.retriedBy ?? [];
    setCurrentDetails(
      `**${state?.status ?? 'ended elsewhere'}** · booking ${booking.bookingId} (${booking.cause})\n\n` +
        `Could not give back: ${failuresInWords(run.failed)}`,
    );
    return state !== undefined;
  };
  handleOperatorUpdates({
    waiting: () => operatorWait !== undefined && action === undefined,
    state: () => ({ ...state!, ...(retriedBy ? { retriedBy } : {}) }),
    act: (taken, by) => {
      action = taken;
      if (taken.kind === 'retry' && by) retriedBy = [...(retriedBy ?? []), by];
    },
  });

  /** The row ended meanwhile (another reconciler, or a person): nothing is left to give back. */
  const endedElsewhere = (): GiveBackResult => ({ bookingId: booking.bookingId, terminated: false, undos: run.undos });
  let resolution: HandResolution | undefined;
  if (!(await record())) return endedElsewhere();
  for (;;) {
    run = await runUndos(booking, run.undos, { routes: input.services, taskQueue, together: true });
    if (run.failed.length === 0) break;
    // ---- The undos failed for good: an operator's turn ----
    operatorWait = { since: new Date().toISOString(), reminders: 0 };
    log.warn(
      `booking ${booking.bookingId} waits for an operator: the reconciler could not give back ${failuresInWords(run.failed)}`,
    );
    if (!(await record())) return endedElsewhere();
    while (!action) {
      const acted = await condition(() => action !== undefined, OPERATOR_REMINDER, {
        summary: operatorWaitSummary(run.failed.map((f) => f.activity)),
      });
      if (acted) break;
      operatorWait.reminders++;
      operatorWait.lastReminderAt = new Date().toISOString();
      log.warn(
        `booking ${booking.bookingId} still waits for an operator (since ${operatorWait.since}, reminder ${operatorWait.reminders})`,
      );
      if (!(await record())) return endedElsewhere();
    }
    const taken: OperatorAction = action!;
    action = undefined;
    if (taken.kind === 'resolve') {
      resolution = {
        note: taken.note,
        at: new Date().toISOString(),
        ...(taken.by ? { by: taken.by } : {}),
        failed: run.failed,
      };
      break;
    }
    operatorWait = undefined;
    if (!(await record())) return endedElsewhere();
  }

  const terminated = await markTerminated.executeWithOptions(
    { summary: `Read model: booking ${booking.bookingId} TERMINATED` },
    [{ bookingId: booking.bookingId, cause: booking.cause, undos: run.undos, ...(resolution ? { resolution } : {}) }],
  );
  return { bookingId: booking.bookingId, terminated, undos: run.undos, ...(resolution ? { resolution } : {}) };
}

/**
 * The saga's operator Updates, on a give-back: refused unless it waits for an operator; a resolve
 * needs a note. Each answers with the booking as the read model has it.
 */
function handleOperatorUpdates(wait: {
  waiting: () => boolean;
  state: () => BookingState;
  /** Takes the operator's action; `by` is who asked (the caller's `sub`). */
  act: (action: OperatorAction, by?: string) => void;
}): void {
  const requireWaiting = () => {
    if (!wait.waiting())
      throw ApplicationFailure.create({
        type: 'NoFailedCompensation',
        message: 'the give-back does not wait for an operator',
        nonRetryable: true,
      });
  };
  setHandler(
    retryCompensationUpdate,
    (request) => {
      wait.act({ kind: 'retry' }, request?.by);
      return wait.state();
    },
    { validator: (_request) => requireWaiting(), description: 'Run the undos that failed again.' },
  );
  setHandler(
    resolveCompensationUpdate,
    ({ note, by }) => {
      wait.act({ kind: 'resolve', note, ...(by ? { by } : {}) });
      return wait.state();
    },
    {
      validator: (request: { note: string } | undefined) => {
        requireWaiting();
        if (typeof request?.note !== 'string' || request.note.trim() === '')
          throw ApplicationFailure.create({ type: 'InvalidNote', message: 'a note is required', nonRetryable: true });
      },
      description: 'Record that a person fixed the failed undos by hand; the booking then ends TERMINATED.',
    },
  );
}
