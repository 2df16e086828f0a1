// One wait per booking, however many callers wait on it (Prefer: wait). Each waiting caller used
// to send an awaitSettled Update of its own, and each stays in flight in the workflow until the
// booking settles, even after its caller gave up: Temporal caps the Updates in flight per workflow
// (10 by default), so a dozen waiting repeats locked the owner's cancel out. Now, in one API
// process, the first waiter starts the wait and later ones join it, each stopping at its own
// deadline; and across processes and rounds of waiters, the Update's ID is the same for one
// stretch of waiting, so Temporal attaches a repeat to the Update already in flight.
import { setTimeout as delay } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { isSettled, isTerminal, type BookingState } from '../../booking/booking.ts';
import { awaitSettledUpdate, getBookingStateQuery } from '../../booking/messages.ts';
import type { bookTrip } from '../../workflows/book-trip.ts';

/** What of a booking says where it stands and which stretch of waiting it is in. */
export type SettleMark = Pick<
  BookingState,
  'status' | 'version' | 'cancelRequested' | 'confirmed' | 'failure' | 'retriedBy'
>;

/**
 * The awaitSettled Update's ID for the stretch of waiting a booking is in. A booking leaves a
 * settled status only by a confirm (HELD), a cancel or an expiry (HELD), or a retry
 * (COMPENSATION_FAILED), and each leaves a mark on its state: so each stretch has its own ID, and
 * an Update that answered an earlier stretch (Temporal keeps its answer) is never asked again.
 */
export function settleWaitId(mark: SettleMark): string {
  const stretch = [
    mark.confirmed ? 1 : 0,
    mark.cancelRequested ? 1 : 0,
    mark.failure ? 1 : 0,
    mark.retriedBy?.length ?? 0,
  ];
  return `awaitSettled-${stretch.join('.')}`;
}

interface SharedWait {
  answer: Promise<BookingState | undefined>;
  abort: AbortController;
  waiters: number;
}

export interface SharedWaits {
  /**
   * The booking once it settles, within `waitMs`; undefined at the deadline, or when no settled
   * answer comes (closed, a build without the Update, no worker): the caller then answers the
   * booking as it stands. `known`: the booking as the caller has it already (its query is saved).
   */
  settled(bookingId: string, waitMs: number, known?: SettleMark): Promise<BookingState | undefined>;
  /** Bookings waited on now. */
  readonly size: number;
}

export function createSharedWaits(
  client: Client,
  handleFor: (bookingId: string) => WorkflowHandle<typeof bookTrip>,
): SharedWaits {
  const waits = new Map<string, SharedWait>();

  /** Where the booking stands; if not settled, its stretch's awaitSettled Update. */
  async function untilSettled(bookingId: string, known: SettleMark | undefined): Promise<BookingState | undefined> {
    const handle = handleFor(bookingId);
    const queried = known ? undefined : await handle.query(getBookingStateQuery);
    const from = known ?? queried!;
    // Already settled: a running booking answers as it is; an ended one as the caller reads it (the read model).
    if (isSettled(from.status)) return queried && !isTerminal(queried.status) ? queried : undefined;
    const state = await handle.executeUpdate(awaitSettledUpdate, { updateId: settleWaitId(from) });
    // Older than where it stood: the answer of an earlier stretch (a retry with no caller named).
    return state.version >= from.version ? state : undefined;
  }

  function begin(bookingId: string, known: SettleMark | undefined): SharedWait {
    const abort = new AbortController();
    const wait: SharedWait = { abort, waiters: 0, answer: Promise.resolve(undefined) };
    wait.answer = client
      .withAbortSignal(abort.signal, () => untilSettled(bookingId, known))
      .catch(() => undefined)
      .finally(() => forget(bookingId, wait)); // answered, failed or aborted: the next caller starts afresh
    waits.set(bookingId, wait);
    return wait;
  }

  function forget(bookingId: string, wait: SharedWait): void {
    if (waits.get(bookingId) === wait) waits.delete(bookingId);
  }

  /** `answer`, or undefined after `ms`. */
  async function within<T>(answer: Promise<T | undefined>, ms: number): Promise<T | undefined> {
    const timer = new AbortController();
    const deadline = delay(ms, undefined, { signal: timer.signal }).catch(() => undefined);
    try {
      return await Promise.race([answer, deadline]);
    } finally {
      timer.abort();
    }
  }

  return {
    async settled(bookingId, waitMs, known) {
      const wait = waits.get(bookingId) ?? begin(bookingId, known);
      wait.waiters++;
      try {
        return await within(wait.answer, waitMs);
      } finally {
        // The last waiter gone: the call is aborted (the Update in the workflow stays, and the next
        // wait attaches to it).
        if (--wait.waiters === 0) {
          forget(bookingId, wait);
          wait.abort.abort();
        }
      }
    },
    get size() {
      return waits.size;
    },
  };
}
