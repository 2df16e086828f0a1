// What the workflow answers (the messages of src/booking/messages.ts): the state query, the user's
// cancel, the wait for a settled booking, and the hold's and the operator's Updates (hold.ts,
// operator-wait.ts).
import { ApplicationFailure, condition, setHandler, type CancellationScope } from '@temporalio/workflow';
import { HandlerUnfinishedPolicy } from '@temporalio/common';
import { HOLD_BEFORE_STEP, isSettled } from '../booking/booking.ts';
import { awaitSettledUpdate, cancelBookingUpdate, getBookingStateQuery } from '../booking/messages.ts';
import { STEP_NAMES } from '../booking/steps.ts';
import type { Hold } from './hold.ts';
import type { OperatorWait } from './operator-wait.ts';
import type { TrackedBooking } from './tracked-booking.ts';

export interface MessageHandlers {
  /** The saga's forward run: a cancel cancels it. */
  forward: CancellationScope;
  hold: Hold;
  operatorWait: OperatorWait;
}

/**
 * Registers every handler, in this order: an Update that came with the start (Update-with-Start)
 * waits for its handler, and runs as that handler is set.
 */
export function handleMessages(booking: TrackedBooking, { forward, hold, operatorWait }: MessageHandlers): void {
  setHandler(getBookingStateQuery, () => booking.state);
  handleCancel(booking, forward);
  hold.handleUpdates();
  handleAwaitSettled(booking);
  operatorWait.handleUpdates();
}

/** cancelBooking: the forward run is cancelled, and the saga unwinds every step that ran or was running. */
function handleCancel({ state, changed }: TrackedBooking, forward: CancellationScope): void {
  setHandler(
    cancelBookingUpdate,
    (request) => {
      state.cancelRequested = true;
      if (request?.by) state.cancelledBy = request.by;
      state.failure = {
        // During a hold nothing runs: the step that would have is the payment.
        step: state.status === 'HELD' ? HOLD_BEFORE_STEP : (state.currentStep ?? STEP_NAMES[0]!),
        type: 'Cancelled',
        message: request?.reason ? `cancelled by the user: ${request.reason}` : 'cancelled by the user',
      };
      forward.cancel();
      changed();
      return state;
    },
    {
      validator: (_request) => {
        if ((state.status !== 'PENDING' && state.status !== 'HELD') || state.cancelRequested) {
          throw ApplicationFailure.create({
            type: 'BookingNotCancellable',
            message: state.cancelRequested
              ? 'the booking is already being cancelled'
              : `the booking is ${state.status}`,
            nonRetryable: true,
          });
        }
      },
      description: 'Cancel the booking: the saga unwinds every step that ran or was running.',
    },
  );
}

/** awaitSettled: answers once the booking has ended, is HELD, or waits for an operator. */
function handleAwaitSettled({ state }: TrackedBooking): void {
  setHandler(
    awaitSettledUpdate,
    async () => {
      await condition(() => isSettled(state.status));
      return state;
    },
    {
      description: "Answers once the booking has ended, is HELD, or waits for an operator (the API's Prefer: wait).",
      // A caller that waits may give up; its Update need not finish before the workflow does.
      unfinishedPolicy: HandlerUnfinishedPolicy.ABANDON,
    },
  );
}
