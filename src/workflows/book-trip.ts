// bookTrip: runs the trip's step table (steps.ts) as a saga: reserve a flight, then a hotel, then
// take payment; before each step its undo goes on the stack, and if a step fails or the user
// cancels, the stack unwinds in reverse. What is specific to a trip lives here: its statuses, the
// operator's wait after an undo failed for good, the read model and the Web UI's details.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { HandlerUnfinishedPolicy } from '@temporalio/common';
import { MAX_HOLD_MINUTES, initialBookingState, isSettled, type BookTripInput, type BookingState, type BookingStatus } from '../booking/booking.ts';
import {
  BOOKING_STATUS_SEARCH_ATTRIBUTE,
  awaitSettledUpdate,
  cancelBookingUpdate,
  confirmHoldUpdate,
  extendHoldUpdate,
  getBookingStateQuery,
  resolveCompensationUpdate,
  retryCompensationUpdate,
} from '../booking/messages.ts';
import { readModelWriter } from './read-model-writer.ts';
import { tripSaga } from './saga.ts';
import { deadlineInWords } from '../common/words.ts';
import { STEP_NAMES } from '../booking/steps.ts';

/** How long the workflow waits for an operator before it logs a reminder and waits again. */
export const OPERATOR_REMINDER = '7 days';

// ---------- The workflow ----------

// A saga finishes on the build that started it, however long it waits (payment retries for hours,
// an operator for days): a new build takes new sagas only. See docs/deploy.md, rollouts. So a change
// ships as a new build, with no patched() markers in its histories; the histories of retired builds
// replay on those builds' code (docs/replay.md).
setWorkflowOptions({ versioningBehavior: 'PINNED' }, bookTrip);

export async function bookTrip(input: BookTripInput): Promise<BookingState> {
  const now = () => new Date().toISOString(); // workflow time: deterministic on replay
  const state: BookingState = initialBookingState(input, now());
  const forward = new CancellationScope();
  let operatorAction: { kind: 'retry' } | { kind: 'resolve'; note: string; by?: string } | undefined;
  // A hold: the confirm the workflow accepted, and whether the expiry has begun (then no confirm is).
  let confirmAccepted = false;
  let holdExpired = false;
  /** The hold's deadline moved (extendHold): its timer starts again. */
  let holdMoved = false;

  // The API starts a booking with BookingStatus=PENDING; a start without it gets it here.
  let publishedStatus = workflowInfo().typedSearchAttributes.get(BOOKING_STATUS_SEARCH_ATTRIBUTE) as BookingStatus | undefined;
  /** Keeps the BookingStatus search attribute equal to the status. */
  const publishStatus = () => {
    if (state.status === publishedStatus) return;
    upsertSearchAttributes([{ key: BOOKING_STATUS_SEARCH_ATTRIBUTE, value: state.status }]);
    publishedStatus = state.status;
  };
  const changed = () => {
    state.version = Math.max(state.version + 1, Date.now());
    state.updatedAt = now();
    setCurrentDetails(renderDetails(state));
    publishStatus();
  };
  /**
   * Asks for a write of the state to the read model, beside the saga (read-model-writer.ts): the
   * saga never waits for it. An activity, never a local one: a local activity's write is visible
   * before its workflow task commits, and a task that fails (an Update came in meanwhile) runs
   * again from the history, where the Update may win: a read model that had said CONFIRMED would
   * then see the booking cancelled. The API writes the first row (PENDING) when it starts the
   * booking; a booking on the happy path writes only its end (bench/README.md, the shape of the saga).
   */
  const readModel = readModelWriter(state, now, changed);
  const sync = () => readModel.write();
  setCurrentDetails(renderDetails(state));
  publishStatus();
  /**
   * Hold now, pay later: before the payment step the booking is HELD until the customer's confirm
   * (an Update) or the deadline, a timer with a summary. One winner, decided here: a confirm
   * accepted before the timer's task (even in the same task) wins; once the expiry has begun, the
   * validator refuses confirms. A cancel cancels the wait (the forward scope).
   */
  const awaitHold = async (step: string) => {
    if (step !== 'payment' || !input.hold) return;
    const expiresAt = new Date(Date.now() + input.hold.minutes * 60_000);
    state.status = 'HELD';
    state.holdExpiresAt = expiresAt.toISOString();
    state.currentStep = null;
    changed();
    sync();
    for (;;) {
      const deadline = new Date(state.holdExpiresAt);
      await condition(() => confirmAccepted || holdMoved, deadline.getTime() - Date.now(), {
        summary: `Hold until ${deadlineInWords(deadline, new Date())}`,
      });
      if (confirmAccepted || !holdMoved) break;
      holdMoved = false; // extended: a new timer to the new deadline, and the read model knows it
      sync();
    }
    if (!confirmAccepted) {
      holdExpired = true;
      throw ApplicationFailure.create({ type: 'HoldExpired', message: `the hold expired at ${state.holdExpiresAt}`, nonRetryable: true });
    }
    sync(); // the read model leaves HELD: the payment runs
  };
  const saga = tripSaga(input, state, {
    startedAt: state.createdAt,
    ...(input.faults ? { faults: input.faults } : {}),
    changed,
    // Only a hold waits before a step: every other booking issues the commands it always did.
    ...(input.hold ? { before: awaitHold } : {}),
  });

  // ---- Queries and updates ----
  setHandler(getBookingStateQuery, () => state);

  setHandler(
    cancelBookingUpdate,
    (request) => {
      state.cancelRequested = true;
      if (request?.by) state.cancelledBy = request.by;
      state.failure = {
        // During a hold nothing runs: the step that would have is the payment.
        step: state.status === 'HELD' ? 'payment' : (state.currentStep ?? STEP_NAMES[0]!),
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
            message: state.cancelRequested ? 'the booking is already being cancelled' : `the booking is ${state.status}`,
            nonRetryable: true,
          });
        }
      },
      description: 'Cancel the booking: the saga unwinds every step that ran or was running.',
    },
  );

  setHandler(
    confirmHoldUpdate,
    ({ payment, by }) => {
      input.payment = payment; // the payment step's args read the token from the input
      state.payment = { currency: state.flight?.currency ?? 'USD', last4: payment.last4, brand: payment.brand };
      state.confirmed = { at: now(), ...(by ? { by } : {}) };
      confirmAccepted = true;
      state.status = 'PENDING';
      changed();
      return state;
    },
    {
      validator: (request: { payment?: unknown } | undefined) => {
        // Past the deadline (workflow time) the expiry has begun, even if its timer's task has not run yet.
        const pastDeadline = state.holdExpiresAt !== undefined && Date.now() >= Date.parse(state.holdExpiresAt);
        if (!input.hold || state.status !== 'HELD' || confirmAccepted || holdExpired || pastDeadline || state.cancelRequested) {
          throw ApplicationFailure.create({
            type: 'BookingNotHeld',
            message: holdExpired || pastDeadline ? `the hold expired at ${state.holdExpiresAt}` : `the booking is ${state.status}, not HELD`,
            nonRetryable: true,
          });
        }
        const p = request?.payment as Partial<NonNullable<BookTripInput['payment']>> | undefined;
        if (typeof p?.token !== 'string' || typeof p.brand !== 'string' || typeof p.last4 !== 'string') {
          throw ApplicationFailure.create({ type: 'InvalidPayment', message: 'a tokenized card is required', nonRetryable: true });
        }
      },
      description: 'Confirm a HELD booking with a tokenized card: the payment step runs.',
    },
  );

  setHandler(
    extendHoldUpdate,
    ({ minutes, by }) => {
      const expiresAt = new Date(Date.parse(state.holdExpiresAt!) + minutes * 60_000).toISOString();
      state.holdExtended = { minutes, at: now(), ...(by ? { by } : {}) };
      state.holdExpiresAt = expiresAt;
      holdMoved = true;
      changed();
      return state;
    },
    {
      validator: (request: { minutes?: unknown } | undefined) => {
        const pastDeadline = state.holdExpiresAt !== undefined && Date.now() >= Date.parse(state.holdExpiresAt);
        if (state.status !== 'HELD' || confirmAccepted || holdExpired || pastDeadline || state.cancelRequested || state.holdExtended) {
          throw ApplicationFailure.create({
            type: 'HoldNotExtendable',
            message: state.holdExtended ? 'the hold was already extended once' : `the booking is ${state.status}, not HELD`,
            nonRetryable: true,
          });
        }
        const minutes = request?.minutes;
        if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > MAX_HOLD_MINUTES) {
          throw ApplicationFailure.create({ type: 'InvalidExtension', message: `minutes must be 1–${MAX_HOLD_MINUTES}`, nonRetryable: true });
        }
      },
      description: 'Move a HELD booking\'s deadline later, once.',
    },
  );

  setHandler(
    awaitSettledUpdate,
    async () => {
      await condition(() => isSettled(state.status));
      return state;
    },
    {
      description: 'Answers once the booking has ended, is HELD, or waits for an operator (the API\'s Prefer: wait).',
      // A caller that waits may give up; its Update need not finish before the workflow does.
      unfinishedPolicy: HandlerUnfinishedPolicy.ABANDON,
    },
  );

  const requireCompensationFailed = () => {
    if (state.status !== 'COMPENSATION_FAILED' || operatorAction) {
      throw ApplicationFailure.create({
        type: 'NoFailedCompensation',
        message: `the booking is ${state.status}, not COMPENSATION_FAILED`,
        nonRetryable: true,
      });
    }
  };
  setHandler(
    retryCompensationUpdate,
    (request) => {
      operatorAction = { kind: 'retry' };
      // Histories from before identities send no argument.
      const by = (request as typeof request | undefined)?.by;
      if (by) state.retriedBy = [...(state.retriedBy ?? []), by];
      return state;
    },
    { validator: (_request) => requireCompensationFailed(), description: 'Run the failed compensations again.' },
  );
  setHandler(
    resolveCompensationUpdate,
    ({ note, by }) => {
      operatorAction = { kind: 'resolve', note, ...(by ? { by } : {}) };
      return state;
    },
    {
      validator: (request: { note: string }) => {
        requireCompensationFailed();
        if (typeof request?.note !== 'string' || request.note.trim() === '') {
          throw ApplicationFailure.create({ type: 'InvalidNote', message: 'a note is required', nonRetryable: true });
        }
      },
      description: 'Record that a person fixed the failed compensation by hand; the booking then ends.',
    },
  );

  // ---- The saga, forward ----
  let outcome: 'CONFIRMED' | 'FAILED' | 'CANCELLED' | 'EXPIRED';
  let error: unknown;
  try {
    await forward.run(() => saga.forward());
    // A cancel accepted in the same task as the last step's completion still wins.
    outcome = state.cancelRequested ? 'CANCELLED' : 'CONFIRMED';
  } catch (err) {
    error = err;
    outcome = state.cancelRequested || isCancellation(err) ? 'CANCELLED' : holdExpired ? 'EXPIRED' : 'FAILED';
  }

  if (outcome === 'CONFIRMED') {
    state.status = 'CONFIRMED';
    state.currentStep = null;
    changed();
    sync();
    await readModel.settled(); // the read model has the end before the workflow does
    return state;
  }

  // ---- The saga, backward: unwind even if the workflow itself was cancelled ----
  const workflowCancelled = outcome === 'CANCELLED' && !state.cancelRequested;
  if (outcome === 'CANCELLED' && !state.failure) {
    state.failure = { step: state.currentStep ?? STEP_NAMES[0]!, type: 'Cancelled', message: 'the workflow was cancelled' };
  }
  if (outcome === 'EXPIRED') {
    state.failure = { step: 'payment', type: 'HoldExpired', message: `no confirm before the hold expired at ${state.holdExpiresAt}` };
  }
  saga.stop();
  await CancellationScope.nonCancellable(async () => {
    state.status = 'COMPENSATING';
    changed();
    sync(); // beside the unwind, never before it: a write that cannot succeed holds up no undo
    await saga.unwind();

    // A compensation that failed for good waits, durably, for an operator.
    while (saga.failed.length > 0) {
      state.status = 'COMPENSATION_FAILED';
      state.currentStep = null;
      // The wait is visible: since when, and how many reminders were logged (the page counts the days).
      state.operatorWait = { since: now(), reminders: 0 };
      changed();
      sync();
      while (!operatorAction) {
        const acted = await condition(() => operatorAction !== undefined, OPERATOR_REMINDER, {
          summary: `Waiting for an operator: retry or resolve ${saga.failed.join(', ')}`,
        });
        if (!acted) {
          const wait = state.operatorWait;
          wait.reminders++;
          wait.lastReminderAt = now();
          changed();
          log.warn(`booking ${input.bookingId} still waits for an operator (since ${wait.since}, reminder ${wait.reminders}): ${saga.failed.join(', ')}`);
          // The list and the booking's watchers see the reminder too (one write a week).
          sync();
        }
      }
      const action = operatorAction;
      operatorAction = undefined;
      delete state.operatorWait;
      if (action.kind === 'resolve') {
        state.resolution = { note: action.note, at: now(), ...(action.by ? { by: action.by } : {}) };
        break;
      }
      state.status = 'COMPENSATING';
      changed();
      sync();
      await saga.retryFailed();
    }

    state.status = outcome; // CANCELLED, EXPIRED or FAILED
    state.currentStep = null;
    changed();
    sync();
    await readModel.settled();
  });

  if (workflowCancelled) throw error;
  if (outcome === 'CANCELLED' || outcome === 'EXPIRED') return state;
  const failure = state.failure!;
  throw ApplicationFailure.create({
    type: 'BookingFailed',
    message: `${failure.step} failed: ${failure.type}: ${failure.message}`,
    nonRetryable: true,
    details: [state],
    cause: error instanceof Error ? error : undefined,
  });
}

/** The workflow's current details in the Web UI: where the saga stands. */
function renderDetails(state: BookingState): string {
  const lines = [`**${state.status}**${state.currentStep ? ` · ${state.currentStep}` : ''}`, ''];
  for (const step of state.steps) {
    const undo = step.undo ? ` · undo ${step.undo.activity}: ${step.undo.outcome ?? 'running'}` : '';
    const error = step.error ? ` · ${step.error.type}` : '';
    lines.push(`- ${step.name}: ${step.state}${step.attempts ? ` (${step.attempts} attempt(s))` : ''}${error}${undo}`);
  }
  if (state.failure) lines.push('', `Reason: ${state.failure.type}: ${state.failure.message}`);
  if (state.holdExpiresAt) lines.push('', `Hold until ${state.holdExpiresAt}${state.confirmed ? `; confirmed ${state.confirmed.at}` : ''}`);
  if (state.operatorWait) lines.push('', `Waiting for an operator since ${state.operatorWait.since} (${state.operatorWait.reminders} reminder(s))`);
  if (state.cancelledBy) lines.push('', `Cancelled by ${state.cancelledBy}`);
  if (state.retriedBy?.length) lines.push('', `Compensations retried by ${state.retriedBy.join(', ')}`);
  if (state.resolution) lines.push('', `Resolved by ${state.resolution.by ?? 'an operator'}: ${state.resolution.note}`);
  return lines.join('\n');
}
