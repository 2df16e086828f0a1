// How a failure reads in the ledger: its type, its message and, where Temporal tells, the attempts.
// A call run over Nexus fails with the real cause wrapped (a NexusOperationFailure, and inside it a
// HandlerError when the handler threw before any workflow): the ledger reads the failure inside.
import { NexusOperationFailure } from '@temporalio/common';
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

const CANCELLED: DescribedFailure = { type: 'Cancelled', message: 'cancelled while running' };

/**
 * A failure as the ledger shows it. An activity may put `{ attempt }` in an ApplicationFailure's
 * first detail to say which attempt failed; otherwise a failure that used up `maximumAttempts`
 * counts them all. Through Nexus, only the detail counts: the service retried with a policy of its
 * own, not the row's.
 */
export function describeFailure(error: unknown, options: ActivityOptions): DescribedFailure {
  const inner = insideNexus(error);
  return inner === error ? describe(error, options) : describe(inner, {});
}

/** What a Nexus operation's failure wraps: through NexusOperationFailure and HandlerError to the first other cause. */
function insideNexus(error: unknown): unknown {
  let failure = error;
  while ((failure instanceof NexusOperationFailure || isHandlerError(failure)) && failure.cause)
    failure = failure.cause;
  return failure;
}

/** nexus-rpc's HandlerError, known by the name its class sets: the runner does not depend on nexus-rpc. */
function isHandlerError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'HandlerError';
}

function describe(error: unknown, options: ActivityOptions): DescribedFailure {
  if (error instanceof ActivityFailure) return describeActivityFailure(error, options);
  if (error instanceof ApplicationFailure) return describeApplicationFailure(error);
  if (error instanceof TimeoutFailure) return describeTimeout(error);
  if (error instanceof CancelledFailure) return CANCELLED;
  if (error instanceof Error) return { type: error.name, message: error.message };
  return { type: 'Error', message: String(error) };
}

function describeActivityFailure(error: ActivityFailure, options: ActivityOptions): DescribedFailure {
  const cause = error.cause;
  const maxAttempts = error.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? options.retry?.maximumAttempts : undefined;
  if (cause instanceof ApplicationFailure) {
    const { type, attempts } = describeApplicationFailure(cause);
    // Out of retry budget while the service kept failing: the last error says why.
    const message =
      error.retryState === 'TIMEOUT' ? `retry budget ran out; last error: ${cause.message}` : cause.message;
    return { type, message, attempts: attempts ?? maxAttempts };
  }
  if (cause instanceof TimeoutFailure) return { ...describeTimeout(cause), attempts: maxAttempts };
  if (cause instanceof CancelledFailure) return CANCELLED;
  return { type: cause?.name ?? 'ActivityFailure', message: cause?.message ?? error.message, attempts: maxAttempts };
}

function describeApplicationFailure(failure: ApplicationFailure): DescribedFailure {
  const details = failure.details?.[0] as { attempt?: number } | undefined;
  return { type: failure.type ?? 'Error', message: failure.message, attempts: details?.attempt };
}

function describeTimeout(failure: TimeoutFailure): DescribedFailure {
  if (failure.timeoutType === 'SCHEDULE_TO_CLOSE')
    return { type: 'ScheduleToCloseTimeout', message: 'gave up: the retry budget ran out before the service answered' };
  return { type: 'StartToCloseTimeout', message: 'the service did not answer within its start-to-close timeout' };
}
