// The routes: thin, validated, and all errors passed to the one error handler.
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { freeRoomsForStay } from '../../activities/hotels/room-nights.ts';
import { checkOutFor } from '../../activities/hotels/schema.ts';
import { money } from '../../common/money.ts';
import { fromDbDate, toDbDate, utcDay } from '../../common/dates.ts';
import { workflowIdFor } from '../../booking/booking.ts';
import { authenticate, forbidden, identityOf, type Identity, type Verifier } from '../identity/auth.ts';
import type { BookingService } from './service.ts';
import type { Limiters } from '../http/rate-limits.ts';
import { ApiError, notFound, undecodablePath, validationError } from '../http/errors.ts';
import type { BookingWatchers } from '../events/watchers.ts';
import { viewFor, type BookingView } from './view.ts';
import { bookingListQuerySchema } from './list.ts';
import { flightsQuerySchema, hotelsQuerySchema } from '../inventory/schemas.ts';
import { bookingEventStream, type StreamCounter } from '../events/stream.ts';
import { preferredWait } from '../http/prefer.ts';
import {
  bookingIdSchema,
  bookingRequestSchema,
  cancelRequestSchema,
  confirmRequestSchema,
  extendHoldRequestSchema,
  idempotencyKeySchema,
  resolveRequestSchema,
} from './request.ts';

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

/** Every log line of the request carries the booking ID and its workflow ID. */
function tagBooking(req: Request, res: Response, bookingId: string): void {
  res.locals.bookingId = bookingId;
  req.log = req.log?.child({ bookingId, workflowId: workflowIdFor(bookingId) });
}

function bookingIdOf(req: Request, res: Response): string {
  const id = parse(bookingIdSchema, req.params.id, 'path.id');
  tagBooking(req, res, id);
  return id;
}

const emptyBodySchema = z.strictObject({});

/** A booking as `caller` sees it (the Web UI link is an operator's). */
const shown = (view: BookingView, caller: Identity): BookingView => viewFor(view, caller.operator);

/** Prefer: wait=N, honoured (1–30 s) or ignored; when honoured, the answer says so (Preference-Applied). */
function waitOf(req: Request, res: Response): number | undefined {
  const seconds = preferredWait(req.get('Prefer'));
  if (seconds === undefined) return undefined;
  res.set('Preference-Applied', `wait=${seconds}`);
  res.vary('Prefer');
  return seconds * 1_000;
}

/** The body of an action that takes none may be empty or `{}`. */
const bodyOf = (req: Request): unknown => (req.body === undefined ? {} : req.body);

/**
 * A customer sees only their own bookings: another's answers 404, as one that does not exist
 * (its existence is not disclosed). Operators see every booking.
 */
async function requireVisible(service: BookingService, id: string, caller: Identity): Promise<void> {
  if (caller.operator) return;
  const owner = await service.ownerOf(id);
  if (owner !== caller.subject) throw notFound('booking');
}

const requireOperator = (caller: Identity) => {
  if (!caller.operator) throw forbidden('only an operator (scope bookings:operate) may do this');
};

export interface BookingRouteOptions {
  verifier: Verifier;
  limiters: Limiters;
  /** The shared watchers the event streams subscribe to. */
  watchers: BookingWatchers;
  /** Open event streams per caller. */
  streams: StreamCounter;
  keepAliveMs?: number;
  /** Tells every API process's watchers that the booking changed (an Update changes no row). */
  announce?: (bookingId: string) => Promise<void>;
}

export function bookingRoutes(service: BookingService, options: BookingRouteOptions): Router {
  const router = Router();
  const { limiters, watchers, streams } = options;
  /** An accepted action changed the workflow's state: its watchers read it now, not at their next poll. */
  const changed = <T>(id: string, answer: T): T => {
    void options.announce?.(id);
    return answer;
  };
  // Every /bookings route: a bearer token first (401 before anything is read or written). Refused
  // calls count against their IP: past the limit they get 429 instead of 401. A valid token is
  // never held up by someone else's bad ones from the same address.
  router.use('/bookings', authenticate(options.verifier), (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof ApiError) || error.status !== 401) return next(error);
    // The limiter answers 429 itself past the limit; under it, the 401 stands.
    void limiters.anonymous(req, res, (limited?: unknown) => next(limited ?? error));
  });
  // Then the writes and the reads per customer.
  const write = (limiter: typeof limiters.bookings) => [limiter];
  const read = [limiters.reads];

  router.post('/bookings', ...write(limiters.bookings), async (req, res) => {
    const caller = identityOf(res);
    const rawKey = req.get('Idempotency-Key');
    const key = rawKey === undefined ? undefined : parse(idempotencyKeySchema, rawKey, 'header.Idempotency-Key');
    const request = parse(bookingRequestSchema, req.body, 'body');
    // A customer books for themself; an operator may book on a customer's behalf.
    if (request.customerId !== undefined && request.customerId !== caller.subject && !caller.operator) {
      throw forbidden('customerId must be your own (the token\'s sub), or be left out');
    }
    const customerId = request.customerId ?? caller.subject;
    const { created, view, eagerlyStarted } = await service.start({ ...request, customerId }, key, caller.subject, waitOf(req, res));
    tagBooking(req, res, view.bookingId);
    req.log?.info({ created, ...(eagerlyStarted ? { eagerlyStarted } : {}) }, created ? 'booking started' : 'idempotent repeat of a booking');
    res.status(created ? 201 : 200).location(`/bookings/${view.bookingId}`).json(shown(view, caller));
  });

  router.get('/bookings', ...read, async (req, res) => {
    const caller = identityOf(res);
    const query = parse(bookingListQuerySchema, req.query, 'query');
    if (!caller.operator && query.customerId !== undefined && query.customerId !== caller.subject) {
      throw forbidden('customerId filters other customers\' bookings: operators only');
    }
    res.json(await service.list({ ...query, ...(caller.operator ? {} : { customerId: caller.subject }) }));
  });

  // Someone else's booking is a 404 before anything of it is read: nothing (not even a slow worker's
  // 503) tells a customer that it exists.
  router.get('/bookings/:id', ...read, async (req, res) => {
    const caller = identityOf(res);
    const id = bookingIdOf(req, res);
    await requireVisible(service, id, caller);
    const view = await service.get(id);
    if (!view) throw notFound('booking');
    res.json(shown(view, caller));
  });

  // Each stream subscribes to the booking's one shared watcher: the first stream's view is read
  // for it, later ones get the watcher's at once, and each change is read once for all of them.
  router.get('/bookings/:id/events', ...read, async (req, res) => {
    const caller = identityOf(res);
    const id = bookingIdOf(req, res);
    const release = streams.acquire(caller.subject);
    if (!release) {
      res.set('Retry-After', '5');
      throw new ApiError(429, 'too_many_streams', `at most ${streams.max} event streams may be open at once per caller; close one first`);
    }
    res.on('close', release);
    try {
      await requireVisible(service, id, caller);
      const stream = bookingEventStream(req, res, {
        ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}),
        ...(caller.expiresAt ? { expiresAt: caller.expiresAt } : {}),
        present: (view) => shown(view, caller),
      });
      const subscription = await watchers.subscribe(id, stream.listener);
      if (!subscription) throw notFound('booking');
      stream.start(subscription);
    } catch (error) {
      release();
      throw error;
    }
  });

  router.post('/bookings/:id/cancel', ...write(limiters.actions), async (req, res) => {
    const caller = identityOf(res);
    const id = bookingIdOf(req, res);
    const { reason } = parse(cancelRequestSchema, bodyOf(req), 'body');
    await requireVisible(service, id, caller);
    res.status(202).location(`/bookings/${id}`).json(shown(changed(id, await service.cancel(id, reason, caller)), caller));
  });

  router.post('/bookings/:id/confirm', ...write(limiters.actions), async (req, res) => {
    const caller = identityOf(res);
    const id = bookingIdOf(req, res);
    // Validated first: a card that fails validation is refused with nothing written.
    const { payment } = parse(confirmRequestSchema, bodyOf(req), 'body');
    await requireVisible(service, id, caller);
    const waitMs = waitOf(req, res);
    const view = changed(id, await service.confirm(id, payment.card, caller, waitMs));
    // With Prefer: wait the answer carries the outcome (or the booking as it stands): 200.
    res.status(waitMs === undefined ? 202 : 200).location(`/bookings/${id}`).json(shown(view, caller));
  });

  router.post('/bookings/:id/hold/extend', ...write(limiters.actions), async (req, res) => {
    const caller = identityOf(res);
    const id = bookingIdOf(req, res);
    const { minutes } = parse(extendHoldRequestSchema, bodyOf(req), 'body');
    await requireVisible(service, id, caller);
    res.status(202).location(`/bookings/${id}`).json(shown(changed(id, await service.extendHold(id, minutes, caller)), caller));
  });

  router.post('/bookings/:id/compensation/retry', ...write(limiters.actions), async (req, res) => {
    const caller = identityOf(res);
    const id = bookingIdOf(req, res);
    requireOperator(caller);
    parse(emptyBodySchema, bodyOf(req), 'body');
    res.status(202).location(`/bookings/${id}`).json(changed(id, await service.retryCompensation(id, caller)));
  });

  router.post('/bookings/:id/compensation/resolve', ...write(limiters.actions), async (req, res) => {
    const caller = identityOf(res);
    const id = bookingIdOf(req, res);
    requireOperator(caller);
    const { note } = parse(resolveRequestSchema, bodyOf(req), 'body');
    res.status(202).location(`/bookings/${id}`).json(changed(id, await service.resolveCompensation(id, note, caller)));
  });

  // Every :id above is a booking ID: one that does not even decode is named as a malformed one.
  router.use('/bookings', (error: unknown, _req: Request, _res: Response, next: NextFunction) => {
    next(error instanceof URIError ? undecodablePath('path.id') : error);
  });

  return router;
}

export function inventoryRoutes(db: Db): Router {
  const router = Router();

  router.get('/flights', async (req, res) => {
    const query = parse(flightsQuerySchema, req.query, 'query');
    const today = fromDbDate(new Date());
    const flights = await db.flight.findMany({
      where: {
        ...(query.flightNumber ? { flightNumber: query.flightNumber } : {}),
        ...(query.date ? { date: toDbDate(query.date) } : { date: { gte: toDbDate(today) } }),
      },
      orderBy: [{ date: 'asc' }, { flightNumber: 'asc' }],
      take: query.limit,
    });
    res.json({
      items: flights.map((f) => ({
        flightNumber: f.flightNumber,
        date: fromDbDate(f.date),
        origin: f.origin,
        destination: f.destination,
        capacity: f.capacity,
        seatsAvailable: f.seatsAvailable,
        price: money(f.priceCents)!,
        currency: f.currency,
      })),
    });
  });

  router.get('/hotels', async (req, res) => {
    const query = parse(hotelsQuerySchema, req.query, 'query');
    const stay = { checkIn: query.checkIn ?? utcDay(0), nights: query.nights ?? 1 };
    const [hotels, free] = await Promise.all([db.hotel.findMany({ orderBy: { id: 'asc' } }), freeRoomsForStay(db, stay.checkIn, stay.nights)]);
    res.json({
      stay: { ...stay, checkOut: checkOutFor(stay.checkIn, stay.nights) },
      items: hotels.map((h) => ({
        hotelId: h.id,
        name: h.name,
        city: h.city,
        capacity: h.capacity,
        // A hotel added between the two reads has nothing taken yet.
        roomsAvailable: free.get(h.id) ?? h.capacity,
        nightlyPrice: money(h.nightlyPriceCents)!,
        currency: h.currency,
      })),
    });
  });

  return router;
}

