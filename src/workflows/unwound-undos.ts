// The undos of a booking whose workflow closed without unwinding: the saga's own, last step first,
// each on its service as the saga's ran. The reconciler's pass runs them with a pass's patience;
// a booking it could not give back goes on in a giveBackBooking workflow of its own, with each
// undo's own patience (the step table's), as the saga's unwind would have run them.
import { describeFailure } from '@trip-saga/saga';
import type { ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { routeTo, type ServiceRoutes } from '../booking/service-routes.ts';
import { TRIP_STEPS, type UndoActivity } from '../booking/steps.ts';
import type { ReconciledUndo, UndoFailure, UnwoundBooking } from '../booking/unwound.ts';
import { callService } from './service-call.ts';

/** Each step's undo, in unwind order: the last step first. */
const UNWIND = TRIP_STEPS.flatMap((s) =>
  'undo' in s ? [{ step: s.name, service: s.service, activity: s.undo, options: s.undoOptions }] : [],
).reverse();

export interface UndosRun {
  /** Every undo that succeeded, those of earlier runs first. */
  undos: ReconciledUndo[];
  /** The undos that failed, in unwind order (the others still ran, as in the saga's unwind). */
  failed: UndoFailure[];
}

export interface UndoRunOptions {
  /** Where the services run (the booking's routes); absent: beside this task queue. */
  routes: ServiceRoutes | undefined;
  taskQueue: string;
  /** The options every undo runs with; absent: each undo's own, from the step table. */
  options?: ActivityOptions;
  /** Stop at the first undo that fails (the reconciler's passes before hand-overs did). */
  stopAtFailure?: boolean;
  /**
   * Run the undos at once rather than last step first (a give-back: each may retry for a day, and
   * none should wait on another's retries). Either way the results are in unwind order.
   */
  together?: boolean;
}

type Undo = (typeof UNWIND)[number];
type Outcome = { undo: ReconciledUndo } | { failure: UndoFailure };

/**
 * Runs every undo of `booking` that `done` does not have yet, last step first; one that fails does
 * not hold up the others (a refused refund keeps no seat). Each is idempotent by booking ID: an
 * undo run twice gives back once.
 */
export async function runUndos(
  booking: Pick<UnwoundBooking, 'bookingId' | 'cause'>,
  done: readonly ReconciledUndo[],
  { routes, taskQueue, options, stopAtFailure = false, together = false }: UndoRunOptions,
): Promise<UndosRun> {
  const run = async (undo: Undo): Promise<Outcome> => {
    try {
      const result = (await callService(undo.service, routeTo(undo.service, taskQueue, routes), {
        step: undo.step,
        kind: 'undo',
        activity: undo.activity,
        options: options ?? undo.options,
        summary: `Give back ${undo.step} of booking ${booking.bookingId} (${booking.cause})`,
        args: { bookingId: booking.bookingId },
      })) as Awaited<ReturnType<Activities[UndoActivity]>>;
      return { undo: { step: undo.step, activity: undo.activity, outcome: result.outcome, attempts: result.attempt } };
    } catch (error) {
      // As the saga's ledger reads a failure: the service's own error, through Nexus's wrapping.
      const { message } = describeFailure(error, options ?? undo.options);
      return { failure: { step: undo.step, activity: undo.activity, error: message } };
    }
  };
  const todo = UNWIND.filter((undo) => !done.some((u) => u.activity === undo.activity));
  let outcomes: Outcome[] = [];
  if (together) outcomes = await Promise.all(todo.map(run));
  else
    for (const undo of todo) {
      const outcome = await run(undo);
      outcomes.push(outcome);
      if (stopAtFailure && 'failure' in outcome) break;
    }
  return {
    undos: [...done, ...outcomes.flatMap((o) => ('undo' in o ? [o.undo] : []))],
    failed: outcomes.flatMap((o) => ('failure' in o ? [o.failure] : [])),
  };
}
