// What the trip adds to every service's activity: failure injection (FAULT_INJECTION=on), the
// attempt number in every result and failure (the workflow's ledger shows it), and a notice to the
// booking's watchers when an attempt starts, fails or overruns its timeout.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../db/client.ts';
import { notifyBookingChanged } from '../db/booking-changed.ts';
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

/** How long after a failed attempt its watchers are told: by then Temporal has recorded the failure. */
const FAILURE_NOTICE_DELAY_MS = 100;
/** How long after an attempt's start-to-close timeout its watchers are told (Temporal times it out). */
const TIMEOUT_NOTICE_DELAYS_MS = [300, 800] as const;

/**
 * Tells the booking's watchers (the API's, over PostgreSQL NOTIFY) that an attempt started or
 * failed: a retry changes no row, yet its attempt and last failure are news. Best effort and not
 * awaited: a notice that cannot be sent never fails or slows the activity.
 */
export function announcer(db: Db): (bookingId: string, delayMs?: number) => void {
  return (bookingId, delayMs = 0) => {
    if (delayMs === 0) return void notifyBookingChanged(db, bookingId);
    setTimeout(() => void notifyBookingChanged(db, bookingId), delayMs).unref();
  };
}

/** Wraps a service's activity with failure injection, attempt numbers and notices of each attempt. */
export function attempted<I extends StepInput, R extends object>(
  target: string,
  faultInjection: boolean,
  announce: (bookingId: string, delayMs?: number) => void,
  call: (input: I) => Promise<R>,
): (input: I) => Promise<R & Attempted> {
  return async (input: I) => {
    const { attempt, startToCloseTimeoutMs } = Context.current().info;
    // The first attempt's start shows the step running. A retry's start is no news: the failure
    // before it already showed its attempt number (describe names the next attempt), and a read
    // for it would find nothing new.
    if (attempt === 1) announce(input.bookingId);
    // An attempt that outlives its start-to-close timeout has failed, though nothing here throws:
    // Temporal times it out and schedules the retry. Its watchers are told then too (twice, in
    // case the server's timer fires late), while the retry's wait shows.
    const deadline = Date.now() + startToCloseTimeoutMs;
    const overran = TIMEOUT_NOTICE_DELAYS_MS.map((ms) =>
      setTimeout(() => announce(input.bookingId), startToCloseTimeoutMs + ms).unref(),
    );
    try {
      return await runAttempt(target, faultInjection, call, input);
    } catch (error) {
      announce(input.bookingId, FAILURE_NOTICE_DELAY_MS);
      throw error;
    } finally {
      // Done in time: no timeout to tell of. (Done too late: the notices still go.)
      if (Date.now() < deadline) for (const timer of overran) clearTimeout(timer);
    }
  };
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
