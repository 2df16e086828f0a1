// The stream of GET /bookings/{id}/events (routes.ts): server-sent events, one per state change,
// until a terminal status. The seeds' "callback to the web client", over plain HTTP: reconnecting
// clients get the current state again at once. A stream reads nothing itself: it subscribes to its
// booking's shared watcher (watchers.ts), so a hundred streams of one booking cost what one costs.
import type { Request, Response } from 'express';
import { isTerminal } from '../../booking/booking.ts';
import { isNews, type Subscription, type ViewListener } from './watchers.ts';
import type { BookingView } from '../bookings/view.ts';

export interface SseOptions {
  /** How often a comment keeps idle connections open (ms). */
  keepAliveMs?: number;
  /** How often a watched booking that waits (HELD, for an operator) is read without a change notice (ms); see watchers.ts. */
  safetyPollMs?: number;
  /** How often a watched booking whose saga moves is read: its steps' attempts are Temporal's alone (ms); see watchers.ts. */
  livePollMs?: number;
  /** How long a watcher waits after a notice, so that a burst of them makes one read (ms). */
  debounceMs?: number;
  /** Event streams one caller (token `sub`) may hold open at once; beyond, 429. */
  maxStreamsPerCaller?: number;
}

export const DEFAULT_MAX_STREAMS_PER_CALLER = 10;

/** Open streams per caller, so that one customer cannot hold thousands open. */
export function createStreamCounter(max: number) {
  const open = new Map<string, number>();
  return {
    /** A release function, or undefined when `subject` holds `max` streams already. */
    acquire(subject: string): (() => void) | undefined {
      const count = open.get(subject) ?? 0;
      if (count >= max) return undefined;
      open.set(subject, count + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (open.get(subject) ?? 1) - 1;
        if (left > 0) open.set(subject, left);
        else open.delete(subject);
      };
    },
    max,
  };
}
export type StreamCounter = ReturnType<typeof createStreamCounter>;

/** A stream's end of a subscription: what it was sent, and what came before it could write. */
export interface StreamSink {
  listener: ViewListener;
  /** Starts writing: `subscription.view` at once, then each newer view until a terminal one. */
  start(subscription: Subscription): void;
}

/**
 * The stream of one request. Create it before subscribing (a view may come while the subscription
 * is made); `start` it with the subscription. It ends at a terminal status (`event: end`), when the
 * client goes away, or when the caller's token expires (`event: expired`: reconnect with a fresh one).
 */
export function bookingEventStream(
  req: Request,
  res: Response,
  options: { keepAliveMs?: number; expiresAt?: number; present?: (view: BookingView) => BookingView } = {},
): StreamSink {
  const present = options.present ?? ((view: BookingView) => view);
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  let sent: BookingView | undefined;
  let queued: BookingView | undefined;
  let subscription: Subscription | undefined;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let expiry: ReturnType<typeof setTimeout> | undefined;
  let lastWrite = Date.now();
  let ended = false;

  function finish(): void {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    clearTimeout(expiry);
    subscription?.close();
    if (!res.writableEnded) res.end();
  }

  function send(view: BookingView): void {
    if (ended || !isNews(sent, view)) return;
    sent = view;
    res.write(`id: ${view.version}\nevent: booking\ndata: ${JSON.stringify(present(view))}\n\n`);
    lastWrite = Date.now();
    if (isTerminal(view.status)) {
      res.write(`event: end\ndata: ${JSON.stringify({ status: view.status })}\n\n`);
      finish();
    }
  }

  req.on('close', finish);

  return {
    listener(view) {
      if (subscription) send(view);
      else queued = view;
    },
    start(sub) {
      subscription = sub;
      if (ended || req.destroyed) return finish();
      res.status(200).set({
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.flushHeaders();
      res.write('retry: 1000\n\n');
      send(sub.view);
      if (queued) send(queued);
      if (ended) return;
      keepAlive = setInterval(
        () => {
          if (Date.now() - lastWrite < keepAliveMs) return;
          res.write(': keep-alive\n\n');
          lastWrite = Date.now();
        },
        Math.max(10, Math.min(keepAliveMs, 1_000)),
      );
      if (options.expiresAt !== undefined) {
        // setTimeout's limit is about 24.8 days; a token lives hours.
        const left = Math.min(Math.max(0, options.expiresAt - Date.now()), 2 ** 31 - 1);
        expiry = setTimeout(() => {
          res.write(
            `event: expired\ndata: ${JSON.stringify({ message: 'the token has expired; reconnect with a fresh one' })}\n\n`,
          );
          finish();
        }, left);
      }
    },
  };
}
