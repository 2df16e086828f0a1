// The operator's wait: a compensation that failed for good leaves the booking COMPENSATION_FAILED,
// waiting durably for a person, who retries the failed undos or resolves them by hand (Updates,
// refused unless the booking waits). Every OPERATOR_REMINDER without an answer logs a reminder,
// and the wait shows since when and how many reminders there were.
import { ApplicationFailure, condition, log, setHandler } from '@temporalio/workflow';
import { resolveCompensationUpdate, retryCompensationUpdate, type Caller } from '../booking/messages.ts';
import type { TrackedBooking } from './tracked-booking.ts';
import { operatorWaitSummary } from './web-ui.ts';

/** How long the workflow waits for an operator before it logs a reminder and waits again. */
export const OPERATOR_REMINDER = '7 days';

/** What the operator chose: run the failed undos again, or a note that a person fixed it by hand. */
export type OperatorAction = { kind: 'retry' } | { kind: 'resolve'; note: string; by?: string };

/**
 * The steps of the wait. The saga's unwind loops over them itself (book-trip.ts): each is either
 * synchronous or hands back the timer's own promise, so the wait issues its commands in the very
 * microtasks it always did.
 */
export interface OperatorWait {
  /** Registers the retryCompensation and resolveCompensation Updates, with their validators. */
  handleUpdates(): void;
  /** The booking waits for an operator: COMPENSATION_FAILED, visible since now. */
  begin(): void;
  /** An operator's action was accepted and not yet taken. */
  readonly acted: boolean;
  /** Waits for an operator's action, at most until the next reminder: true if one came. */
  untilActedOrReminder(failed: readonly string[]): Promise<boolean>;
  /** No action within OPERATOR_REMINDER: a reminder, in the log, the state and the read model. */
  remind(failed: readonly string[]): void;
  /** The wait is over: the action it ended with (a resolve is recorded in the state). */
  end(): OperatorAction;
}

/** The operator's wait of `booking`. */
export function operatorWait(booking: TrackedBooking): OperatorWait {
  const { input, state, now, changed, sync } = booking;
  let operatorAction: OperatorAction | undefined;

  const requireCompensationFailed = () => {
    if (state.status !== 'COMPENSATION_FAILED' || operatorAction) {
      throw ApplicationFailure.create({
        type: 'NoFailedCompensation',
        message: `the booking is ${state.status}, not COMPENSATION_FAILED`,
        nonRetryable: true,
      });
    }
  };
  /** retryCompensation: the failed undos run again. */
  const retry = (request: Caller) => {
    operatorAction = { kind: 'retry' };
    // Histories from before identities send no argument.
    const by = (request as typeof request | undefined)?.by;
    if (by) state.retriedBy = [...(state.retriedBy ?? []), by];
    return state;
  };
  /** resolveCompensation: a person fixed it by hand; the booking then ends. */
  const resolve = ({ note, by }: { note: string } & Caller) => {
    operatorAction = { kind: 'resolve', note, ...(by ? { by } : {}) };
    return state;
  };
  const validateResolve = (request: { note: string }) => {
    requireCompensationFailed();
    if (typeof request?.note !== 'string' || request.note.trim() === '') {
      throw ApplicationFailure.create({ type: 'InvalidNote', message: 'a note is required', nonRetryable: true });
    }
  };

  return {
    handleUpdates() {
      setHandler(retryCompensationUpdate, retry, {
        validator: (_request) => requireCompensationFailed(),
        description: 'Run the failed compensations again.',
      });
      setHandler(resolveCompensationUpdate, resolve, {
        validator: validateResolve,
        description: 'Record that a person fixed the failed compensation by hand; the booking then ends.',
      });
    },
    begin() {
      state.status = 'COMPENSATION_FAILED';
      state.currentStep = null;
      // The wait is visible: since when, and how many reminders were logged (the page counts the days).
      state.operatorWait = { since: now(), reminders: 0 };
      changed();
      sync();
    },
    get acted() {
      return operatorAction !== undefined;
    },
    untilActedOrReminder(failed) {
      return condition(() => operatorAction !== undefined, OPERATOR_REMINDER, { summary: operatorWaitSummary(failed) });
    },
    remind(failed) {
      const wait = state.operatorWait!;
      wait.reminders++;
      wait.lastReminderAt = now();
      changed();
      log.warn(
        `booking ${input.bookingId} still waits for an operator (since ${wait.since}, reminder ${wait.reminders}): ${failed.join(', ')}`,
      );
      // The list and the booking's watchers see the reminder too (one write a week).
      sync();
    },
    end() {
      const action = operatorAction!;
      operatorAction = undefined;
      delete state.operatorWait;
      if (action.kind === 'resolve')
        state.resolution = { note: action.note, at: now(), ...(action.by ? { by: action.by } : {}) };
      return action;
    },
  };
}
