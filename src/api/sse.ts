// GET /bookings/:id/events: server-sent events, one per state change, until a terminal status.
// The seeds' "callback to the web client", over plain HTTP: reconnecting clients get the current
// state again at once.
import { setTimeout as delay } from 'node:timers/promises';
import type { Request, Response } from 'express';
import { isTerminal } from '../domain/booking.ts';
import type { BookingService } from './bookings.ts';
import type { BookingView } from './schemas.ts';

export interface SseOptions {
  /** How often the workflow's state is read (ms). */
  pollMs?: number;
  /** How often a comment keeps idle connections open (ms). */
  keepAliveMs?: number;
}

export async function streamBookingEvents(
  service: BookingService,
  bookingId: string,
  first: BookingView,
  req: Request,
  res: Response,
  options: SseOptions = {},
): Promise<void> {
  const pollMs = options.pollMs ?? 250;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write('retry: 1000\n\n');

  let open = true;
  req.on('close', () => {
    open = false;
  });
  let lastVersion = -1;
  let lastSource = '';
  let lastLive = '';
  let lastWrite = Date.now();
  let view: BookingView | undefined = first;
  while (open) {
    // Never backwards: the read model (a fallback while the workflow does not answer) may be older
    // than what was already sent. A retry's live attempt and last failure change without a new
    // version, and are news too.
    const live = view ? JSON.stringify(view.steps.map((s) => s.live ?? null)) : '';
    if (view && (view.version > lastVersion || (view.version === lastVersion && (view.source !== lastSource || live !== lastLive)))) {
      res.write(`id: ${view.version}\nevent: booking\ndata: ${JSON.stringify(view)}\n\n`);
      lastVersion = view.version;
      lastSource = view.source;
      lastLive = live;
      lastWrite = Date.now();
      if (isTerminal(view.status)) {
        res.write(`event: end\ndata: ${JSON.stringify({ status: view.status })}\n\n`);
        break;
      }
    } else if (Date.now() - lastWrite >= keepAliveMs) {
      res.write(': keep-alive\n\n');
      lastWrite = Date.now();
    }
    await delay(pollMs);
    if (!open) break;
    try {
      view = await service.get(bookingId);
    } catch (error) {
      req.log?.warn({ err: error }, 'events: reading the booking failed; will retry');
      view = undefined;
    }
  }
  res.end();
}
