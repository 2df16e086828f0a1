// What the trip adds to every service's activity: failure injection (FAULT_INJECTION=on) and the
// attempt number in every result and failure (the workflow's ledger shows it). It needs no
// database: a service's attempts reach the booking's watchers through Temporal (the API reads the
// running step's pending attempt while the saga moves: src/api/events/watchers.ts), not through
// the booking service's database.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { parseFault } from '../booking/faults.ts';
import type { Attempted, StepInput } from './shared/contract.ts';
import { businessFailure, transientFailure } from './shared/failures.ts';

const MAX_MESSAGE = 500;

/** Gives every failure its attempt number, so the workflow's ledger can show it. */
function withAttempt(error: unknown, attempt: number): unknown {
  if (error instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      type: error.type ?? 'Error',
      message: error.message,
      nonRetryable: error.nonRetryable ?? false,
      details: [{ attempt }],
    });
  }
  if (error instanceof Error) {
    // Anything that is not a business failure (a lost connection, a deadlock) is transient.
    return ApplicationFailure.create({
      type: error.name,
      message: error.message.trim().split('\n').at(-1)!.slice(0, MAX_MESSAGE),
      nonRetryable: false,
      details: [{ attempt }],
    });
  }
  return error;
}

function formatMs(ms: number): string {
  return ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${Math.ceil(ms / 60_000)} min`;
}

/** Wraps a service's activity with failure injection and attempt numbers. */
export function attempted<I extends StepInput, R extends object>(
  target: string,
  faultInjection: boolean,
  call: (input: I) => Promise<R>,
): (input: I) => Promise<R & Attempted> {
  return (input: I) => runAttempt(target, faultInjection, call, input);
}

async function runAttempt<I extends StepInput, R extends object>(
  target: string,
  faultInjection: boolean,
  call: (input: I) => Promise<R>,
  input: I,
): Promise<R & Attempted> {
  const context = Context.current();
  const { attempt, startToCloseTimeoutMs, scheduledTimestampMs, currentAttemptScheduledTimestampMs } = context.info;
  const fault = faultInjection && input.fault ? parseFault(input.fault) : undefined;
  if (fault?.kind === 'fail')
    throw withAttempt(businessFailure('InjectedFailure', `${target}: injected failure`), attempt);
  if (fault?.kind === 'transient' && attempt <= fault.failures) {
    throw withAttempt(
      transientFailure('InjectedTransientFault', `${target}: injected transient fault ${attempt} of ${fault.failures}`),
      attempt,
    );
  }
  if (fault?.kind === 'outage') {
    const since = input.sagaStartedAt ? Date.parse(input.sagaStartedAt) : scheduledTimestampMs;
    const left = fault.ms - (currentAttemptScheduledTimestampMs - since);
    if (left > 0) {
      throw withAttempt(
        transientFailure(
          'ServiceUnavailable',
          `${target}: service unavailable (injected outage, ${formatMs(left)} left)`,
        ),
        attempt,
      );
    }
  }
  let result: R;
  try {
    result = await call(input);
  } catch (error) {
    throw withAttempt(error, attempt);
  }
  if (fault?.kind === 'timeout' && attempt <= fault.times) {
    // The work is done and committed; the answer comes too late for the workflow.
    await context.sleep(startToCloseTimeoutMs + 1_000);
  }
  return { ...result, attempt };
}
