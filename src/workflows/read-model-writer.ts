// The booking's read model, written beside the saga and never in its way. A status change asks
// for a write and the saga goes on at once: its next step, its unwind, a hold's timer or the
// operator's wait never wait for PostgreSQL. One write runs at a time, always of the newest state,
// so a burst of changes costs one write after the one in flight. A write that PostgreSQL refuses
// for its data (the activity's ReadModelRejected: SQLSTATE class 22, e.g. a NUL in a text that
// bypassed the API) is not retried: the state says the read model lags, and the saga goes on.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  log,
  proxyActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { BookingState } from '../booking/booking.ts';

/** Transient failures (PostgreSQL down) are retried until it answers: every write is idempotent (versioned). */
const READ_MODEL_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: ['ReadModelRejected'],
  },
};

const { syncBooking } = proxyActivities<Activities>(READ_MODEL_OPTIONS);

export interface ReadModelWriter {
  /** Asks for a write of the state as it is now; never waits. */
  write(): void;
  /** Resolves once no write runs and none is asked for (the workflow's last act before it returns). */
  settled(): Promise<void>;
}

/**
 * A writer for `state`. `changed` is called when the writer itself changes the state (the lag it
 * records, or clears); it must not ask for a write.
 */
export function readModelWriter(state: BookingState, now: () => string, changed: () => void): ReadModelWriter {
  let wanted = false;
  let running: Promise<void> | undefined;

  /** One write of the newest state: its activity is scheduled with the state as it is now. */
  async function writeOnce(): Promise<void> {
    const version = state.version;
    try {
      await CancellationScope.nonCancellable(() =>
        syncBooking.executeWithOptions({ summary: `Read model: ${state.status}` }, [state]),
      );
      if (state.readModelLag) {
        // Caught up (the refused text is gone, or PostgreSQL was fixed): one more write says so.
        delete state.readModelLag;
        changed();
        wanted = true;
      }
    } catch (error) {
      const cause = error instanceof ActivityFailure ? error.cause : error;
      const reason = cause instanceof ApplicationFailure ? `${cause.type ?? 'Error'}: ${cause.message}` : String(cause);
      log.warn(
        `the read model refused version ${version} of booking ${state.bookingId}; it lags until a later write succeeds: ${reason}`,
      );
      state.readModelLag = { since: state.readModelLag?.since ?? now(), version, reason };
      changed();
    }
  }

  async function drain(): Promise<void> {
    while (wanted) {
      wanted = false;
      await writeOnce();
    }
    running = undefined;
  }

  return {
    write() {
      wanted = true;
      running ??= drain();
    },
    async settled() {
      while (running) await running;
    },
  };
}
