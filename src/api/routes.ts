// The routes: thin, validated, and all errors passed to the one error handler.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { fromDbDate, toDbDate } from '../domain/dates.ts';
import { workflowIdFor } from '../domain/booking.ts';
import type { BookingService } from './bookings.ts';
import { notFound, validationError } from './errors.ts';
import { streamBookingEvents, type SseOptions } from './sse.ts';
import {
  bookingIdSchema,
  bookingListQuerySchema,
  bookingRequestSchema,
  cancelRequestSchema,
  flightsQuerySchema,
  idempotencyKeySchema,
  money,
  resolveRequestSchema,
} from './schemas.ts';

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

/** The body of an action that takes none may be empty or `{}`. */
const bodyOf = (req: Request): unknown => (req.body === undefined ? {} : req.body);

export function bookingRoutes(service: BookingService, sse: SseOptions = {}): Router {
  const router = Router();

  router.post('/bookings', async (req, res) => {
    const rawKey = req.get('Idempotency-Key');
    const key = rawKey === undefined ? undefined : parse(idempotencyKeySchema, rawKey, 'header.Idempotency-Key');
    const request = parse(bookingRequestSchema, req.body, 'body');
    const { created, view } = await service.start(request, key);
    tagBooking(req, res, view.bookingId);
    req.log?.info({ created }, created ? 'booking started' : 'idempotent repeat of a booking');
    res.status(created ? 201 : 200).location(`/bookings/${view.bookingId}`).json(view);
  });

  router.get('/bookings', async (req, res) => {
    res.json(await service.list(parse(bookingListQuerySchema, req.query, 'query')));
  });

  router.get('/bookings/:id', async (req, res) => {
    const view = await service.get(bookingIdOf(req, res));
    if (!view) throw notFound('booking');
    res.json(view);
  });

  router.get('/bookings/:id/events', async (req, res) => {
    const id = bookingIdOf(req, res);
    const view = await service.get(id);
    if (!view) throw notFound('booking');
    await streamBookingEvents(service, id, view, req, res, sse);
  });

  router.post('/bookings/:id/cancel', async (req, res) => {
    const id = bookingIdOf(req, res);
    const { reason } = parse(cancelRequestSchema, bodyOf(req), 'body');
    res.status(202).location(`/bookings/${id}`).json(await service.cancel(id, reason));
  });

  router.post('/bookings/:id/compensation/retry', async (req, res) => {
    const id = bookingIdOf(req, res);
    parse(emptyBodySchema, bodyOf(req), 'body');
    res.status(202).location(`/bookings/${id}`).json(await service.retryCompensation(id));
  });

  router.post('/bookings/:id/compensation/resolve', async (req, res) => {
    const id = bookingIdOf(req, res);
    const { note } = parse(resolveRequestSchema, bodyOf(req), 'body');
    res.status(202).location(`/bookings/${id}`).json(await service.resolveCompensation(id, note));
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

  router.get('/hotels', async (_req, res) => {
    const hotels = await db.hotel.findMany({ orderBy: { id: 'asc' } });
    res.json({
      items: hotels.map((h) => ({
        hotelId: h.id,
        name: h.name,
        city: h.city,
        capacity: h.capacity,
        roomsAvailable: h.roomsAvailable,
        nightlyPrice: money(h.nightlyPriceCents)!,
        currency: h.currency,
      })),
    });
  });

  return router;
}

