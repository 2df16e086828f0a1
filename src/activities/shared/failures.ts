// Business failures: non-retryable ApplicationFailures with explicit types. Everything else an
// activity throws is transient and retried with backoff by the workflow's retry policy.
import { ApplicationFailure } from '@temporalio/common';

/**
 * A failure that retrying cannot fix, named by its type (PascalCase): a service's own
 * (FlightSoldOut, CardDeclined, CarSoldOut), or one every service may answer with:
 * - `InvalidRequest`: input the service refuses (the API validates first; the workflow can also be
 *   started directly);
 * - `AlreadyCompensated`: a reserve or charge that arrived after its step had been compensated;
 * - `InjectedFailure`: failure injection's `fail` mode.
 */
export function businessFailure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

export function transientFailure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false });
}
