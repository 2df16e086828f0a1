// bookTrip: runs the trip's step table (src/booking/steps.ts) as a saga: reserve a flight, then a
// hotel, then take payment; before each step its undo goes on the stack, and if a step fails or the
// user cancels, the stack unwinds in reverse. What is specific to a trip has a module each: the
// booking and what follows its changes (tracked-booking.ts), a hold before the payment (hold.ts),
// the operator's wait after an undo failed for good (operator-wait.ts), the messages it answers
// (message-handlers.ts), the Web UI's view (web-ui.ts) and the read model (read-model-writer.ts).
import { ApplicationFailure, CancellationScope, isCancellation, setWorkflowOptions } from '@temporalio/workflow';
import { HOLD_BEFORE_STEP, type BookTripInput, type BookingState } from '../booking/booking.ts';
import { STEP_NAMES } from '../booking/steps.ts';
import { holdBeforePayment } from './hold.ts';
import { handleMessages } from './message-handlers.ts';
import { operatorWait, type OperatorWait } from './operator-wait.ts';
import { tripSaga, type TripSaga } from './saga.ts';
import { trackBooking, type TrackedBooking } from './tracked-booking.ts';

/** How a booking's saga ends. */
type Outcome = 'CONFIRMED' | 'FAILED' | 'CANCELLED' | 'EXPIRED';

// A saga finishes on the build that started it, however long it waits (payment retries for hours,
// an operator for days): a new build takes new sagas only. See docs/deploy.md, rollouts. So a change
// ships as a new build, with no patched() markers in its histories; the histories of retired builds
// replay on those builds' code (docs/replay.md).
setWorkflowOptions({ versioningBehavior: 'PINNED' }, bookTrip);

// The awaits stay here and in unwind: an await inside a helper of its own runs what follows it a
// microtask later, and that can reorder the commands of one workflow task (a read-model write
// beside an undo, an Update's answer). So the helpers are synchronous, or hand back the promise
// they await; the hold's wait is the runner's `before` hook.
export async function bookTrip(input: BookTripInput): Promise<BookingState> {
  const booking = trackBooking(input);
  const { state } = booking;
  const forward = new CancellationScope();
  const hold = holdBeforePayment(booking);
  const operator = operatorWait(booking);
  const saga = tripSaga(input, state, {
    startedAt: state.createdAt,
    ...(input.faults ? { faults: input.faults } : {}),
    changed: booking.changed,
    // Only a hold waits before a step: every other booking issues the commands it always did.
    ...(input.hold ? { before: hold.awaitConfirm } : {}),
  });
  handleMessages(booking, { forward, hold, operatorWait: operator });

  // ---- The saga, forward ----
  let outcome: Outcome;
  let error: unknown;
  try {
    await forward.run(() => saga.forward());
    // A cancel accepted in the same task as the last step's completion still wins.
    outcome = state.cancelRequested ? 'CANCELLED' : 'CONFIRMED';
  } catch (err) {
    error = err;
    outcome = state.cancelRequested || isCancellation(err) ? 'CANCELLED' : hold.expired ? 'EXPIRED' : 'FAILED';
  }
  if (outcome === 'CONFIRMED') {
    await booking.end('CONFIRMED');
    return state;
  }

  // ---- The saga, backward: unwind even if the workflow itself was cancelled ----
  const workflowCancelled = outcome === 'CANCELLED' && !state.cancelRequested;
  recordWhyItUnwinds(state, outcome);
  saga.stop();
  await CancellationScope.nonCancellable(() => unwind(booking, saga, operator, outcome));

  if (workflowCancelled) throw error;
  if (outcome === 'CANCELLED' || outcome === 'EXPIRED') return state;
  throw bookingFailed(state, error);
}

/** A cancel of the workflow itself, or a hold's expiry, is the failure the booking ends with. */
function recordWhyItUnwinds(state: BookingState, outcome: Exclude<Outcome, 'CONFIRMED'>): void {
  if (outcome === 'CANCELLED' && !state.failure) {
    state.failure = {
      step: state.currentStep ?? STEP_NAMES[0]!,
      type: 'Cancelled',
      message: 'the workflow was cancelled',
    };
  }
  if (outcome === 'EXPIRED') {
    state.failure = {
      step: HOLD_BEFORE_STEP,
      type: 'HoldExpired',
      message: `no confirm before the hold expired at ${state.holdExpiresAt}`,
    };
  }
}

/**
 * Every undo, last step first; a compensation that failed for good waits, durably, for an
 * operator, until a retry succeeds or a resolve. Then the booking ends with `outcome`.
 */
async function unwind(
  booking: TrackedBooking,
  saga: TripSaga,
  operator: OperatorWait,
  outcome: Exclude<Outcome, 'CONFIRMED'>,
): Promise<void> {
  const { state, changed, sync } = booking;
  state.status = 'COMPENSATING';
  changed();
  sync(); // beside the unwind, never before it: a write that cannot succeed holds up no undo
  await saga.unwind();

  while (saga.failed.length > 0) {
    operator.begin();
    while (!operator.acted) {
      const acted = await operator.untilActedOrReminder(saga.failed);
      if (!acted) operator.remind(saga.failed);
    }
    if (operator.end().kind === 'resolve') break;
    state.status = 'COMPENSATING';
    changed();
    sync();
    await saga.retryFailed();
  }

  await booking.end(outcome);
}

/** The workflow's failure when a step failed: its step, type and message, with the state as details. */
function bookingFailed(state: BookingState, error: unknown): ApplicationFailure {
  const failure = state.failure!;
  return ApplicationFailure.create({
    type: 'BookingFailed',
    message: `${failure.step} failed: ${failure.type}: ${failure.message}`,
    nonRetryable: true,
    details: [state],
    cause: error instanceof Error ? error : undefined,
  });
}
