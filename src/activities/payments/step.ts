// The payment step's row in the trip's table (src/booking/steps.ts). Pure: the workflow imports it.
import type { ActivityOptions } from '@temporalio/common';
import { deadlineInWords, formatMoney } from '../../common/words.ts';
import type { StepRow } from '../shared/contract.ts';
import { UNDO_OPTIONS, undoByBookingId } from '../shared/step-options.ts';
import type { createPaymentService } from './activities.ts';
import type { PaymentDetails, PaymentMethodRef, PaymentResult } from './types.ts';

type PaymentActivities = ReturnType<typeof createPaymentService>;

/** The payment's retry budget: the provider may be down for a while; after this, compensate. */
export const PAYMENT_RETRY_BUDGET_MS = 3 * 3_600_000;

/** The payment provider may be down for a while: retry for up to three hours, then compensate. */
const PAYMENT_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: PAYMENT_RETRY_BUDGET_MS,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 40 },
};

/** What the steps before the payment reserved, in cents: every other step's `priceCents` in the booking. */
function reservedCents(state: { steps: readonly { name: string }[] }): number {
  const details = state as unknown as Record<string, { priceCents?: number } | undefined>;
  return state.steps.reduce((sum, { name }) => (name === 'payment' ? sum : sum + (details[name]?.priceCents ?? 0)), 0);
}

export const paymentStep = {
  name: 'payment',
  service: 'payments',
  label: 'Payment',
  activity: 'chargePayment',
  options: PAYMENT_OPTIONS,
  undo: 'refundPayment',
  undoOptions: UNDO_OPTIONS,
  undoArgs: undoByBookingId,
  // A hold has no card yet: its confirm fills the payment in before this step.
  initialDetails: (input) =>
    input.payment ? { payment: { currency: 'USD', last4: input.payment.last4, brand: input.payment.brand } } : {},
  // The amount is computed here from the reserved prices, never taken from the client.
  prepare: ({ state }) => {
    state.payment = { ...state.payment!, amountCents: reservedCents(state) };
  },
  // The retry budget reads as a deadline in the history (workflow time: the same on replay).
  summary: ({ input, state }) =>
    `Charge ${formatMoney(state.payment!.amountCents!, state.payment!.currency)} to ${input.payment!.brand} •••• ${input.payment!.last4}` +
    ` (retrying until ${deadlineInWords(new Date(Date.now() + PAYMENT_RETRY_BUDGET_MS), new Date())})`,
  args: ({ input, state }) => ({
    bookingId: input.bookingId,
    token: input.payment!.token,
    amountCents: state.payment!.amountCents!,
    currency: state.payment!.currency,
  }),
  record: ({ state }, result) => {
    const { paymentId } = result as PaymentResult;
    state.payment = { ...state.payment!, paymentId };
    return paymentId;
  },
} as const satisfies StepRow<
  PaymentActivities,
  /** Absent while a hold waits for its confirm, which fills it in before the payment step. */
  { bookingId: string; payment?: PaymentMethodRef },
  { payment?: PaymentDetails }
>;
