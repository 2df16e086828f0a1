// Timeouts and retry policies the services' steps share. A step with its own (the payment's) keeps
// them in its own row.
import type { ActivityOptions } from '@temporalio/common';

/**
 * Each reserve is one short database transaction: five seconds is ample, and a step that takes
 * longer is retried (safely: every step is idempotent).
 */
export const RESERVE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
};

/**
 * Undos keep retrying transient errors: for a day, backing off to one attempt every ten minutes.
 * Only a business failure, or a day of failures, escalates to an operator.
 */
export const UNDO_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m' },
};

/** Every trip undo takes the booking's ID: the services find what to undo by it. */
export const undoByBookingId = ({ input }: { input: { bookingId: string } }) => ({ bookingId: input.bookingId });
