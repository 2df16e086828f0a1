// Hold now, pay later: before the payment step the booking is HELD until the customer's confirm (an
// Update) or the deadline, a timer with a summary; the customer may move the deadline later, once
// (an Update). One winner, decided here: a confirm accepted before the timer's task (even in the
// same task) wins; once the expiry has begun, the validator refuses confirms. A cancel cancels the
// wait (the saga's forward scope).
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { HOLD_BEFORE_STEP, MAX_HOLD_MINUTES, type BookTripInput } from '../booking/booking.ts';
import type { PaymentMethodRef } from '../activities/payments/types.ts';
import { confirmHoldUpdate, extendHoldUpdate, type Caller } from '../booking/messages.ts';
import type { TrackedBooking } from './tracked-booking.ts';
import { holdTimerSummary } from './web-ui.ts';

export interface Hold {
  /**
   * The saga's `before` hook: before the payment, a booking with a hold waits for its confirm, and
   * throws HoldExpired (non-retryable) if the deadline comes first.
   */
  awaitConfirm: (step: string) => Promise<void>;
  /** The expiry has begun: no confirm is accepted any more, and the booking ends EXPIRED. */
  readonly expired: boolean;
  /** Registers the confirmHold and extendHold Updates, with their validators. */
  handleUpdates(): void;
}

/** The hold of `booking` (a booking without one has its Updates refused, and never waits). */
export function holdBeforePayment(booking: TrackedBooking): Hold {
  const { input, state, now, changed, sync } = booking;
  // The confirm the workflow accepted, and whether the expiry has begun (then no confirm is).
  let confirmAccepted = false;
  let holdExpired = false;
  /** The hold's deadline moved (extendHold): its timer starts again. */
  let holdMoved = false;

  const awaitConfirm = async (step: string) => {
    if (step !== HOLD_BEFORE_STEP || !input.hold) return;
    const expiresAt = new Date(Date.now() + input.hold.minutes * 60_000);
    state.status = 'HELD';
    state.holdExpiresAt = expiresAt.toISOString();
    state.currentStep = null;
    changed();
    sync();
    for (;;) {
      const deadline = new Date(state.holdExpiresAt);
      await condition(() => confirmAccepted || holdMoved, deadline.getTime() - Date.now(), {
        summary: holdTimerSummary(deadline),
      });
      if (confirmAccepted || !holdMoved) break;
      holdMoved = false; // extended: a new timer to the new deadline, and the read model knows it
      sync();
    }
    if (!confirmAccepted) {
      holdExpired = true;
      throw ApplicationFailure.create({
        type: 'HoldExpired',
        message: `the hold expired at ${state.holdExpiresAt}`,
        nonRetryable: true,
      });
    }
    sync(); // the read model leaves HELD: the payment runs
  };

  /** confirmHold: the card's token for the payment step; the wait ends (the confirm wins). */
  const confirm = ({ payment, by }: { payment: PaymentMethodRef } & Caller) => {
    input.payment = payment; // the payment step's args read the token from the input
    state.payment = { currency: state.flight?.currency ?? 'USD', last4: payment.last4, brand: payment.brand };
    state.confirmed = { at: now(), ...(by ? { by } : {}) };
    confirmAccepted = true;
    state.status = 'PENDING';
    changed();
    return state;
  };
  const validateConfirm = (request: { payment?: unknown } | undefined) => {
    // Past the deadline (workflow time) the expiry has begun, even if its timer's task has not run yet.
    const pastDeadline = state.holdExpiresAt !== undefined && Date.now() >= Date.parse(state.holdExpiresAt);
    if (
      !input.hold ||
      state.status !== 'HELD' ||
      confirmAccepted ||
      holdExpired ||
      pastDeadline ||
      state.cancelRequested
    ) {
      throw ApplicationFailure.create({
        type: 'BookingNotHeld',
        message:
          holdExpired || pastDeadline
            ? `the hold expired at ${state.holdExpiresAt}`
            : `the booking is ${state.status}, not HELD`,
        nonRetryable: true,
      });
    }
    const p = request?.payment as Partial<NonNullable<BookTripInput['payment']>> | undefined;
    if (typeof p?.token !== 'string' || typeof p.brand !== 'string' || typeof p.last4 !== 'string') {
      throw ApplicationFailure.create({
        type: 'InvalidPayment',
        message: 'a tokenized card is required',
        nonRetryable: true,
      });
    }
  };

  /** extendHold: a later deadline; the wait's timer starts again. */
  const extend = ({ minutes, by }: { minutes: number } & Caller) => {
    const expiresAt = new Date(Date.parse(state.holdExpiresAt!) + minutes * 60_000).toISOString();
    state.holdExtended = { minutes, at: now(), ...(by ? { by } : {}) };
    state.holdExpiresAt = expiresAt;
    holdMoved = true;
    changed();
    return state;
  };
  const validateExtend = (request: { minutes?: unknown } | undefined) => {
    const pastDeadline = state.holdExpiresAt !== undefined && Date.now() >= Date.parse(state.holdExpiresAt);
    if (
      state.status !== 'HELD' ||
      confirmAccepted ||
      holdExpired ||
      pastDeadline ||
      state.cancelRequested ||
      state.holdExtended
    ) {
      throw ApplicationFailure.create({
        type: 'HoldNotExtendable',
        message: state.holdExtended ? 'the hold was already extended once' : `the booking is ${state.status}, not HELD`,
        nonRetryable: true,
      });
    }
    const minutes = request?.minutes;
    if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > MAX_HOLD_MINUTES) {
      throw ApplicationFailure.create({
        type: 'InvalidExtension',
        message: `minutes must be 1–${MAX_HOLD_MINUTES}`,
        nonRetryable: true,
      });
    }
  };

  const handleUpdates = () => {
    setHandler(confirmHoldUpdate, confirm, {
      validator: validateConfirm,
      description: 'Confirm a HELD booking with a tokenized card: the payment step runs.',
    });
    setHandler(extendHoldUpdate, extend, {
      validator: validateExtend,
      description: "Move a HELD booking's deadline later, once.",
    });
  };

  return {
    awaitConfirm,
    get expired() {
      return holdExpired;
    },
    handleUpdates,
  };
}
