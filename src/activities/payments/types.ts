// The payment service's contract: what its step asks for, and what its activities answer.
import type { StepInput } from '../shared/contract.ts';

/** A tokenized card: the number and the CVC never reach the workflow. */
export interface PaymentMethodRef {
  token: string;
  brand: string;
  last4: string;
}

export interface ChargePaymentInput extends StepInput {
  token: string;
  amountCents: number;
  currency: string;
}

export interface PaymentResult {
  paymentId: string;
  amountCents: number;
  currency: string;
}

/** The booking's payment: the card shown, the amount once computed, and the capture. */
export interface PaymentDetails {
  amountCents?: number;
  currency: string;
  last4: string;
  brand: string;
  paymentId?: string;
}
