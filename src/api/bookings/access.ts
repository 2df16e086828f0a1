// The booking a request names, and who may see it: the ID in the path (validated, documented, and
// on every log line of the request), a customer's own bookings only, operators' actions, and the
// view as its caller may see it.
import type { ErrorRequestHandler, Request, Response } from 'express';
import { z } from 'zod';
import { BOOKING_ID_PATTERN, workflowIdFor } from '../../booking/booking.ts';
import { error } from '../http/openapi-parts.ts';
import { notFound, parse, undecodablePath } from '../http/errors.ts';
import { forbidden, type Identity } from '../identity/auth.ts';
import type { BookingService } from './service.ts';
import { viewFor, type BookingView } from './view.ts';

const bookingIdSchema = z.string().regex(BOOKING_ID_PATTERN, 'must be 1–64 of A-Z a-z 0-9 _ -');

/** The path's booking ID, as the document states it. */
export const bookingIdParameter = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: BOOKING_ID_PATTERN.source },
};

/** Every log line of the request carries the booking ID and its workflow ID. */
export function tagBooking(req: Request, res: Response, bookingId: string): void {
  res.locals.bookingId = bookingId;
  req.log = req.log?.child({ bookingId, workflowId: workflowIdFor(bookingId) });
}

/** The booking ID in the path (`:id`), validated, and tagged on the request's log lines. */
export function bookingIdOf(req: Request, res: Response): string {
  const id = parse(bookingIdSchema, req.params.id, 'path.id');
  tagBooking(req, res, id);
  return id;
}

/** Every :id of a /bookings route is a booking ID: one that does not even decode is named as a malformed one. */
export const undecodableBookingId: ErrorRequestHandler = (err: unknown, _req, _res, next) => {
  next(err instanceof URIError ? undecodablePath('path.id') : err);
};

/**
 * A customer sees only their own bookings: another's answers 404, as one that does not exist
 * (its existence is not disclosed). Operators see every booking.
 */
export async function requireVisible(
  service: Pick<BookingService, 'ownerOf'>,
  id: string,
  caller: Identity,
): Promise<void> {
  if (caller.operator) return;
  const owner = await service.ownerOf(id);
  if (owner !== caller.subject) throw notFound('booking');
}

/** What a customer gets for a booking they may not see: what they would get for one that does not exist. */
export const notVisible = { '404': error("No such booking, or, for a customer, another customer's booking.") };

export const requireOperator = (caller: Identity): void => {
  if (!caller.operator) throw forbidden('only an operator (scope bookings:operate) may do this');
};

/** A booking as `caller` sees it (the Web UI link is an operator's). */
export const shown = (view: BookingView, caller: Identity): BookingView => viewFor(view, caller.operator);
