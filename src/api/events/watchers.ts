// One shared watcher per watched booking: however many event streams follow a booking, it is read
// (the read model, then Temporal's query and describe while it runs) once per change, not once
// per stream. What wakes a watcher is all on the booking service's side:
// - the workflow's history (history.ts, a long poll): each step or undo that starts, completes or
//   fails for good, the moment the workflow records it;
// - the booking service's change notices (PostgreSQL NOTIFY on its own database, changes.ts): its
//   read-model row changed, or the API passed an Update on;
// - while the saga moves (PENDING, COMPENSATING), a read every `livePollMs`: an attempt that fails
//   and is retried, or overruns its timeout, is no event of the history and writes nothing of the
//   booking service's (the services' databases are their own); only describe's pending activity
//   (attempt, last failure) shows it;
// - while it waits (HELD, or for an operator), a read every `safetyPollMs` (a notice can be lost).
// A watcher coalesces a burst of wakes into one read. A booking nobody watches costs nothing; one
// that waits costs the safety poll and an idle long poll.
import type { Logger } from 'pino';
import { isTerminal, type BookingStatus } from '../../booking/booking.ts';
import type { BookingView } from '../bookings/view.ts';

export type ViewListener = (view: BookingView) => void;

export interface Subscription {
  /** The booking as the watcher has it now: the first subscriber's is read for it, later ones get it as it is. */
  view: BookingView;
  /** Stops this subscriber; the watcher stops with its last one. */
  close(): void;
}

export interface WatcherOptions {
  /** Reads the booking: undefined when there is none. */
  read: (bookingId: string) => Promise<BookingView | undefined>;
  /**
   * Follows the booking's saga (its workflow's history): calls `moved` at each step it records;
   * returns what stops following. Without it the watcher learns of steps from its polls.
   */
  follow?: (bookingId: string, moved: () => void) => () => void;
  /** A notice wakes the watcher after this pause, so that a burst of notices makes one read (ms). */
  debounceMs?: number;
  /** The read a watcher makes on its own, without notices, while the saga waits (ms). */
  safetyPollMs?: number;
  /** The read a watcher makes on its own while the saga moves (PENDING, COMPENSATING): its steps' attempts (ms). */
  livePollMs?: number;
  logger?: Logger;
}

export const DEFAULT_SAFETY_POLL_MS = 15_000;
export const DEFAULT_LIVE_POLL_MS = 500;
export const DEFAULT_DEBOUNCE_MS = 50;

/** Statuses in which a saga's steps or undos run: their attempts change nothing but Temporal's pending activity. */
const MOVING: readonly BookingStatus[] = ['PENDING', 'COMPENSATING'];

/**
 * Never backwards: a view replaces the one before only when it is newer. A read-model view (the
 * fallback while the workflow does not answer) may be older than what was shown. A retry changes a
 * running step's live attempt and last failure without a new version, and is news too, as is the
 * same version from another source (the read model once the workflow closed).
 */
export function isNews(before: BookingView | undefined, next: BookingView): boolean {
  if (!before) return true;
  if (next.version !== before.version) return next.version > before.version;
  const live = (v: BookingView) => JSON.stringify(v.steps.map((s) => s.live ?? null));
  return next.source !== before.source || live(next) !== live(before);
}

interface Watcher {
  bookingId: string;
  listeners: Set<ViewListener>;
  /** The first read; every subscriber that comes before it answers waits for it. */
  first: Promise<BookingView | undefined>;
  latest?: BookingView;
  wakeTimer?: ReturnType<typeof setTimeout>;
  safetyTimer?: ReturnType<typeof setTimeout>;
  /** Stops following the booking's history. */
  unfollow?: () => void;
  reading: boolean;
  /** Woken while reading: read again once this read is done. */
  again: boolean;
  stopped: boolean;
}

export interface BookingWatchers {
  /**
   * Follows a booking: the view at once, then `listener` with each newer one (the last a terminal
   * one). Undefined when there is no such booking. Throws what the first read throws.
   */
  subscribe(bookingId: string, listener: ViewListener): Promise<Subscription | undefined>;
  /** A change notice: the booking's watcher, if any, reads it soon. */
  wake(bookingId: string): void;
  /** Every watcher reads its booking once (after notices may have been missed). */
  wakeAll(): void;
  /** Bookings watched now. */
  readonly size: number;
  /** Stops every watcher (subscribers get nothing more). */
  close(): void;
}

export function createBookingWatchers(options: WatcherOptions): BookingWatchers {
  const { read, logger } = options;
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const safetyPollMs = options.safetyPollMs ?? DEFAULT_SAFETY_POLL_MS;
  const livePollMs = Math.min(options.livePollMs ?? DEFAULT_LIVE_POLL_MS, safetyPollMs);
  const watchers = new Map<string, Watcher>();

  function stop(w: Watcher): void {
    w.stopped = true;
    clearTimeout(w.wakeTimer);
    clearTimeout(w.safetyTimer);
    w.unfollow?.();
    if (watchers.get(w.bookingId) === w) watchers.delete(w.bookingId);
  }

  /** The watcher's next read of its own: soon while the saga moves, at the safety poll while it waits. */
  function armSafetyPoll(w: Watcher): void {
    clearTimeout(w.safetyTimer);
    const moving = w.latest !== undefined && MOVING.includes(w.latest.status);
    if (!w.stopped) w.safetyTimer = setTimeout(() => void refresh(w), moving ? livePollMs : safetyPollMs);
  }

  function publish(w: Watcher, view: BookingView): void {
    if (w.stopped || !isNews(w.latest, view)) return;
    w.latest = view;
    for (const listener of [...w.listeners]) listener(view);
    // Nothing more will change: the streams end, and so does the watcher.
    if (isTerminal(view.status)) stop(w);
  }

  async function refresh(w: Watcher): Promise<void> {
    if (w.stopped) return;
    if (w.reading) {
      w.again = true;
      return;
    }
    w.reading = true;
    clearTimeout(w.safetyTimer);
    try {
      const view = await read(w.bookingId);
      if (view) publish(w, view);
    } catch (error) {
      logger?.warn({ err: error, bookingId: w.bookingId }, 'events: reading the booking failed; will read it again');
    } finally {
      w.reading = false;
      if (w.again && !w.stopped) {
        w.again = false;
        wakeWatcher(w);
      } else {
        armSafetyPoll(w);
      }
    }
  }

  function wakeWatcher(w: Watcher): void {
    if (w.stopped || w.wakeTimer) return;
    w.wakeTimer = setTimeout(() => {
      w.wakeTimer = undefined;
      void refresh(w);
    }, debounceMs);
  }

  function start(bookingId: string): Watcher {
    const w: Watcher = {
      bookingId,
      listeners: new Set(),
      first: Promise.resolve(undefined),
      reading: true,
      again: false,
      stopped: false,
    };
    watchers.set(bookingId, w);
    w.unfollow = options.follow?.(bookingId, () => wakeWatcher(w));
    w.first = read(bookingId).then(
      (view) => {
        w.reading = false;
        if (view) w.latest = view;
        if (!view || isTerminal(view.status)) {
          stop(w);
        } else if (w.again) {
          w.again = false;
          wakeWatcher(w);
        } else {
          armSafetyPoll(w);
        }
        return view;
      },
      (error: unknown) => {
        stop(w);
        throw error;
      },
    );
    return w;
  }

  return {
    async subscribe(bookingId, listener) {
      const existing = watchers.get(bookingId);
      const w = existing && !existing.stopped ? existing : start(bookingId);
      w.listeners.add(listener);
      let view: BookingView | undefined;
      try {
        view = w.latest ?? (await w.first);
      } catch (error) {
        w.listeners.delete(listener);
        throw error;
      }
      // A newer view than the one answered may come while the caller waited: it is passed on too.
      view = w.latest ?? view;
      if (!view) {
        w.listeners.delete(listener);
        return undefined;
      }
      return {
        view,
        close() {
          w.listeners.delete(listener);
          if (w.listeners.size === 0) stop(w);
        },
      };
    },
    wake(bookingId) {
      const w = watchers.get(bookingId);
      if (w) wakeWatcher(w);
    },
    wakeAll() {
      for (const w of watchers.values()) wakeWatcher(w);
    },
    get size() {
      return watchers.size;
    },
    close() {
      for (const w of [...watchers.values()]) stop(w);
    },
  };
}
