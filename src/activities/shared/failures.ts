// Business failures: non-retryable ApplicationFailures with explicit types. Everything else an
// activity throws is transient and retried with backoff by the workflow's retry policy.
import { ApplicationFailure } from '@temporalio/common';

export const BUSINESS_FAILURE_TYPES = [
  'FlightNotFound',
  'FlightSoldOut',
  'HotelNotFound',
  'HotelSoldOut',
  'CardDeclined',
  'CardExpired',
  'PaymentMethodNotFound',
  /** Input the service refuses (the API validates first; the workflow can also be started directly). */
  'InvalidRequest',
  /** A reserve or charge that arrived after its step had already been compensated. */
  'AlreadyCompensated',
  /** Failure injection's `fail` mode. */
  'InjectedFailure',
] as const;
export type BusinessFailureType = (typeof BUSINESS_FAILURE_TYPES)[number];

export function businessFailure(type: BusinessFailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

export function transientFailure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false });
}
