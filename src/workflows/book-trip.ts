// bookTrip: reserve a flight, then a hotel, then take payment. Before each step its undo goes on
// the compensation stack; if a step fails or the user cancels, the stack unwinds in reverse.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  TimeoutFailure,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { Activities } from '../activities/index.ts';
import type { Attempted, UndoResult } from '../activities/types.ts';
import {
  BOOKING_STATUS_SEARCH_ATTRIBUTE,
  STEP_ACTIVITIES,
  cancelBookingUpdate,
  getBookingStateQuery,
  initialBookingState,
  resolveCompensationUpdate,
  retryCompensationUpdate,
  type BookTripInput,
  type BookingState,
  type BookingStatus,
  type StepError,
  type StepLedgerEntry,
  type StepName,
} from '../shared.ts';
import { CompensationStack } from './compensation-stack.ts';

// ---------- Timeouts and retry policies ----------

// Each step is one short database transaction: five seconds is ample, and a step that takes
// longer is retried (safely: every step is idempotent).
const RESERVE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
};

/** The payment provider may be down for a while: retry for up to three hours, then compensate. */
const PAYMENT_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '3h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 40 },
};

export const STEP_OPTIONS: Record<StepName, ActivityOptions> = {
  flight: RESERVE_OPTIONS,
  hotel: RESERVE_OPTIONS,
  payment: PAYMENT_OPTIONS,
};

/**
 * Compensations keep retrying transient errors: for a day, backing off to one attempt every ten
 * minutes. Only a business failure, or a day of failures, escalates to an operator.
 */
export const UNDO_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m' },
};

/** The read model's updates retry until PostgreSQL answers: every update is idempotent (versioned). */
const READ_MODEL_OPTIONS: ActivityOptions & LocalActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};

/** The seat-selection step, added after the first release (see the replay tests). */
export const SEAT_SELECTION_PATCH = 'seat-selection';

/** The BookingStatus search attribute, upserted at each status change; added later still. */
export const STATUS_SEARCH_ATTRIBUTE_PATCH = 'booking-status-search-attribute';

/**
 * The read model's first update (PENDING) runs as a local activity, inside the first workflow
 * task: one activity task and one workflow task less per booking (bench/README.md). Added later
 * still. Every later update stays a (remote) activity on purpose: a local activity's effect is
 * visible before its workflow task commits, and a task that fails (an update came in meanwhile)
 * runs again from the history, where the update may win. A read model that already said CONFIRMED
 * would then see the booking cancelled. The first update says only PENDING, which no rerun changes.
 */
export const LOCAL_READ_MODEL_PATCH = 'local-first-read-model-update';

/** How long the workflow waits for an operator before it logs a reminder and waits again. */
export const OPERATOR_REMINDER = '7 days';

const flightActs = proxyActivities<Activities>(STEP_OPTIONS.flight);
const hotelActs = proxyActivities<Activities>(STEP_OPTIONS.hotel);
const paymentActs = proxyActivities<Activities>(STEP_OPTIONS.payment);
const undoActs = proxyActivities<Activities>(UNDO_OPTIONS);
const { syncBooking } = proxyActivities<Activities>(READ_MODEL_OPTIONS);
const { syncBooking: syncBookingLocally } = proxyLocalActivities<Activities>(READ_MODEL_OPTIONS);

// ---------- Failures as the ledger shows them ----------

interface DescribedFailure extends StepError {
  attempts?: number;
}

function describeFailure(error: unknown, options: ActivityOptions): DescribedFailure {
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    const maxAttempts = error.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED ? options.retry?.maximumAttempts : undefined;
    if (cause instanceof ApplicationFailure) {
      const details = cause.details?.[0] as { attempt?: number } | undefined;
      // Out of retry budget while the service kept failing: the last error says why.
      const message = error.retryState === RetryState.TIMEOUT ? `retry budget ran out; last error: ${cause.message}` : cause.message;
      return { type: cause.type ?? 'Error', message, attempts: details?.attempt ?? maxAttempts };
    }
    if (cause instanceof TimeoutFailure) {
      const type = cause.timeoutType === 'SCHEDULE_TO_CLOSE' ? 'ScheduleToCloseTimeout' : 'StartToCloseTimeout';
      const message =
        type === 'ScheduleToCloseTimeout'
          ? 'gave up: the retry budget ran out before the service answered'
          : 'the service did not answer within its start-to-close timeout';
      return { type, message, attempts: maxAttempts };
    }
    if (cause instanceof CancelledFailure) return { type: 'Cancelled', message: 'cancelled while running' };
    return { type: cause?.name ?? 'ActivityFailure', message: cause?.message ?? error.message, attempts: maxAttempts };
  }
  if (error instanceof CancelledFailure) return { type: 'Cancelled', message: 'cancelled while running' };
  if (error instanceof Error) return { type: error.name, message: error.message };
  return { type: 'Error', message: String(error) };
}

function describeFailureChain(failure: StepError, step: StepName): string {
  return `${step} failed: ${failure.type}: ${failure.message}`;
}

// ---------- The workflow ----------

export async function bookTrip(input: BookTripInput): Promise<BookingState> {
  const now = () => new Date().toISOString(); // workflow time: deterministic on replay
  const state: BookingState = initialBookingState(input, now());
  const ledger = (step: StepName): StepLedgerEntry => state.steps.find((s) => s.name === step)!;
  const saga = new CompensationStack<StepName>();
  const forward = new CancellationScope();
  let operatorAction: { kind: 'retry' } | { kind: 'resolve'; note: string } | undefined;

  let publishedStatus: BookingStatus | undefined;
  /** Keeps the BookingStatus search attribute equal to the status (workflows started before it have none). */
  const publishStatus = () => {
    if (state.status === publishedStatus || !patched(STATUS_SEARCH_ATTRIBUTE_PATCH)) return;
    upsertSearchAttributes([{ key: BOOKING_STATUS_SEARCH_ATTRIBUTE, value: state.status }]);
    publishedStatus = state.status;
  };
  const changed = () => {
    state.version++;
    state.updatedAt = now();
    setCurrentDetails(renderDetails(state));
    publishStatus();
  };
  /** Writes the state to the read model; `local` only for the first update (see LOCAL_READ_MODEL_PATCH). */
  const sync = (local = false) =>
    CancellationScope.nonCancellable(() =>
      (local ? syncBookingLocally : syncBooking).executeWithOptions({ summary: `Read model: ${state.status}` }, [state]),
    );
  setCurrentDetails(renderDetails(state));
  publishStatus();

  // ---- Queries and updates ----
  setHandler(getBookingStateQuery, () => state);

  setHandler(
    cancelBookingUpdate,
    (request) => {
      state.cancelRequested = true;
      state.failure = {
        step: state.currentStep ?? 'flight',
        type: 'Cancelled',
        message: request.reason ? `cancelled by the user: ${request.reason}` : 'cancelled by the user',
      };
      forward.cancel();
      changed();
      return state;
    },
    {
      validator: (_request) => {
        if (state.status !== 'PENDING' || state.cancelRequested) {
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
    () => {
      operatorAction = { kind: 'retry' };
      return state;
    },
    { validator: requireCompensationFailed, description: 'Run the failed compensations again.' },
  );
  setHandler(
    resolveCompensationUpdate,
    ({ note }) => {
      operatorAction = { kind: 'resolve', note };
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

  // ---- One forward step ----
  async function runStep<R extends Attempted & { priceCents?: number }>(
    step: StepName,
    summary: string,
    call: () => Promise<R>,
    reference: (result: R) => string,
  ): Promise<R> {
    const entry = ledger(step);
    // A cancel that came in between steps: the next step never starts.
    if (state.cancelRequested) throw new CancelledFailure('cancelled before this step started');
    // Register the undo *before* the call: a call that timed out may still have done its work.
    saga.push(step, () =>
      undoActs[STEP_ACTIVITIES[step].undo].executeWithOptions(
        { summary: `Undo ${step}: ${STEP_ACTIVITIES[step].undo}` },
        [{ bookingId: input.bookingId, sagaStartedAt: state.createdAt, fault: input.faults?.[STEP_ACTIVITIES[step].undo] }],
      ),
    );
    state.currentStep = step;
    entry.state = 'RUNNING';
    changed();
    log.info(`step ${step}: ${summary}`);
    try {
      const result = await call();
      entry.state = 'DONE';
      entry.attempts = result.attempt;
      entry.reference = reference(result);
      changed();
      return result;
    } catch (error) {
      const failure = describeFailure(error, STEP_OPTIONS[step]);
      entry.state = 'FAILED';
      entry.attempts = failure.attempts ?? Math.max(entry.attempts, 1);
      entry.error = { type: failure.type, message: failure.message };
      if (!state.cancelRequested) state.failure = { step, type: failure.type, message: failure.message };
      changed();
      throw error;
    }
  }

  // ---- The saga, forward ----
  let outcome: 'CONFIRMED' | 'FAILED' | 'CANCELLED';
  let error: unknown;
  // The read model knows the booking from its start: PENDING. Workflows that started before the
  // local first update replay their activity.
  await sync(patched(LOCAL_READ_MODEL_PATCH));
  try {
    await forward.run(async () => {
      const { flight, hotel } = input;
      const flightResult = await runStep(
        'flight',
        `Reserve ${flight.seats} seat(s) on ${flight.flightNumber} ${flight.date}`,
        async () => {
          const reserved = await flightActs.reserveFlight.executeWithOptions(
            { summary: `Reserve ${flight.seats} seat(s) on ${flight.flightNumber} ${flight.date}` },
            [{ bookingId: input.bookingId, ...flight, sagaStartedAt: state.createdAt, fault: input.faults?.reserveFlight }],
          );
          // Added after the first release: workflows that started before it replay without it.
          if (!patched(SEAT_SELECTION_PATCH)) return { ...reserved, seatNumbers: undefined };
          const preference = flight.seatPreference ?? 'any';
          const { seatNumbers } = await flightActs.selectSeats.executeWithOptions(
            { summary: `Choose ${flight.seats} ${preference} seat(s) on ${flight.flightNumber}` },
            [{ bookingId: input.bookingId, preference }],
          );
          return { ...reserved, seatNumbers };
        },
        (r) => r.reservationId,
      );
      state.flight = {
        ...flight,
        priceCents: flightResult.priceCents,
        reservationId: flightResult.reservationId,
        ...(flightResult.seatNumbers ? { seatNumbers: flightResult.seatNumbers } : {}),
      };

      const hotelResult = await runStep(
        'hotel',
        `Reserve ${hotel.rooms} room(s) at ${hotel.hotelId}`,
        () =>
          hotelActs.reserveHotel.executeWithOptions(
            { summary: `Reserve ${hotel.rooms} room(s) at ${hotel.hotelId}, ${hotel.checkIn} → ${hotel.checkOut}` },
            [{ bookingId: input.bookingId, ...hotel, sagaStartedAt: state.createdAt, fault: input.faults?.reserveHotel }],
          ),
        (r) => r.reservationId,
      );
      state.hotel = { ...hotel, nights: hotelResult.nights, priceCents: hotelResult.priceCents, reservationId: hotelResult.reservationId };

      // The amount is computed here from the reserved prices, never taken from the client.
      const amountCents = flightResult.priceCents + hotelResult.priceCents;
      const currency = flightResult.currency;
      state.payment = { ...state.payment!, amountCents, currency };
      const paymentResult = await runStep(
        'payment',
        `Charge ${formatMoney(amountCents, currency)}`,
        () =>
          paymentActs.chargePayment.executeWithOptions(
            { summary: `Charge ${formatMoney(amountCents, currency)} to ${input.payment.brand} •••• ${input.payment.last4}` },
            [{ bookingId: input.bookingId, token: input.payment.token, amountCents, currency, sagaStartedAt: state.createdAt, fault: input.faults?.chargePayment }],
          ),
        (r) => r.paymentId,
      );
      state.payment = { ...state.payment, paymentId: paymentResult.paymentId };
    });
    // A cancel accepted in the same task as the last step's completion still wins.
    outcome = state.cancelRequested ? 'CANCELLED' : 'CONFIRMED';
  } catch (err) {
    error = err;
    outcome = state.cancelRequested || isCancellation(err) ? 'CANCELLED' : 'FAILED';
  }

  if (outcome === 'CONFIRMED') {
    state.status = 'CONFIRMED';
    state.currentStep = null;
    changed();
    await sync();
    return state;
  }

  // ---- The saga, backward: unwind even if the workflow itself was cancelled ----
  const workflowCancelled = outcome === 'CANCELLED' && !state.cancelRequested;
  if (outcome === 'CANCELLED' && !state.failure) {
    state.failure = { step: state.currentStep ?? 'flight', type: 'Cancelled', message: 'the workflow was cancelled' };
  }
  for (const entry of state.steps) if (entry.state === 'PENDING') entry.state = 'SKIPPED';
  await CancellationScope.nonCancellable(async () => {
    const failedBefore = new Set(state.steps.filter((s) => s.state === 'FAILED').map((s) => s.name));
    const hooks = {
      onStart: (step: StepName) => {
        const entry = ledger(step);
        entry.state = 'COMPENSATING';
        entry.undo = { activity: STEP_ACTIVITIES[step].undo, attempts: entry.undo?.attempts ?? 0 };
        state.currentStep = step;
        changed();
      },
      onSuccess: (step: StepName, result: unknown) => {
        const entry = ledger(step);
        const { outcome: undone, attempt } = result as UndoResult & Attempted;
        entry.undo = { activity: STEP_ACTIVITIES[step].undo, attempts: attempt, outcome: undone };
        // A step that failed and left nothing behind stays FAILED; anything undone is COMPENSATED.
        entry.state = failedBefore.has(step) && undone === 'NOTHING_TO_UNDO' ? 'FAILED' : 'COMPENSATED';
        state.compensations.push({ step, activity: STEP_ACTIVITIES[step].undo, outcome: undone });
        changed();
      },
      onFailure: (step: StepName, undoError: unknown) => {
        const entry = ledger(step);
        const failure = describeFailure(undoError, UNDO_OPTIONS);
        const stepError = { type: failure.type, message: failure.message };
        entry.state = 'COMPENSATION_FAILED';
        entry.undo = { activity: STEP_ACTIVITIES[step].undo, attempts: failure.attempts ?? 1, outcome: 'FAILED', error: stepError };
        state.compensations.push({ step, activity: STEP_ACTIVITIES[step].undo, outcome: 'FAILED', error: stepError });
        log.warn(`compensation of ${step} failed: ${failure.type}: ${failure.message}`);
        changed();
      },
    };

    state.status = 'COMPENSATING';
    changed();
    await sync();
    await saga.unwind(hooks);

    // A compensation that failed for good waits, durably, for an operator.
    while (saga.failed.length > 0) {
      state.status = 'COMPENSATION_FAILED';
      state.currentStep = null;
      changed();
      await sync();
      while (!operatorAction) {
        const acted = await condition(() => operatorAction !== undefined, OPERATOR_REMINDER, {
          summary: `Waiting for an operator: retry or resolve ${saga.failed.join(', ')}`,
        });
        if (!acted) log.warn(`booking ${input.bookingId} still waits for an operator: ${saga.failed.join(', ')}`);
      }
      const action = operatorAction;
      operatorAction = undefined;
      if (action.kind === 'resolve') {
        state.resolution = { note: action.note, at: now() };
        break;
      }
      state.status = 'COMPENSATING';
      changed();
      await sync();
      await saga.retryFailed(hooks);
    }

    state.status = outcome === 'CANCELLED' ? 'CANCELLED' : 'FAILED';
    state.currentStep = null;
    changed();
    await sync();
  });

  if (workflowCancelled) throw error;
  if (outcome === 'CANCELLED') return state;
  const failure = state.failure!;
  throw ApplicationFailure.create({
    type: 'BookingFailed',
    message: describeFailureChain(failure, failure.step),
    nonRetryable: true,
    details: [state],
    cause: error instanceof Error ? error : undefined,
  });
}

function formatMoney(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency}`;
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
  if (state.resolution) lines.push('', `Resolved by an operator: ${state.resolution.note}`);
  return lines.join('\n');
}
