// How a failure reads in the ledger: its type, its message and, where Temporal tells, the attempts.
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { StepError } from './ledger.ts';

export interface DescribedFailure extends StepError {
  attempts?: number;
}

/**
 * A failure as the ledger shows it. An activity may put `{ attempt }` in an ApplicationFailure's
 * first detail to say which attempt failed; otherwise a failure that used up `maximumAttempts`
 * counts them all.
 */
export function describeFailure(error: unknown, options: ActivityOptions): DescribedFailure {
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    const maxAttempts = error.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? options.retry?.maximumAttempts : undefined;
    if (cause instanceof ApplicationFailure) {
      const details = cause.details?.[0] as { attempt?: number } | undefined;
      // Out of retry budget while the service kept failing: the last error says why.
      const message =
        error.retryState === 'TIMEOUT' ? `retry budget ran out; last error: ${cause.message}` : cause.message;
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
