// The payment's block of the booking as the API shows it (GET /bookings/{id}'s `payment`): its
// schema and how the booking's payment reads in it (the card only as its brand and last four
// digits). The API composes the view from each service's block (src/api/bookings/services.ts).
import { z } from 'zod';
import { money } from '../../common/money.ts';
import type { PaymentDetails } from './types.ts';

export const paymentViewSchema = z.object({
  amount: z.string().optional(),
  currency: z.string(),
  last4: z.string(),
  brand: z.string(),
  paymentId: z.string().optional(),
});

export type PaymentView = z.infer<typeof paymentViewSchema>;

export function paymentView(payment: PaymentDetails): PaymentView {
  return {
    ...(payment.amountCents === undefined ? {} : { amount: money(payment.amountCents) }),
    currency: payment.currency,
    last4: payment.last4,
    brand: payment.brand,
    ...(payment.paymentId ? { paymentId: payment.paymentId } : {}),
  };
}

/** The view's field that is the payment's, its schema, and how the booking's details show in it. */
export const paymentViewPart = { field: 'payment', schema: paymentViewSchema, show: paymentView } as const;
