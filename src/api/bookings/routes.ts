// POST /bookings, GET /bookings and GET /bookings/{id}, each with its OpenAPI operation: thin,
// validated, every error passed to the one error handler. The actions on a booking are in
// action-routes.ts, its event stream in src/api/events/routes.ts.
import { error, json, commonErrors, bodyErrors, rateLimited } from '../http/openapi-parts.ts';
import { notFound, parse } from '../http/errors.ts';
import { preferenceApplied, preferParameter, waitOf } from '../http/prefer.ts';
import { queryParameters } from '../http/query.ts';
import type { Limiters } from '../http/rate-limits.ts';
import type { Route } from '../http/route.ts';
import { forbidden, identityOf } from '../identity/auth.ts';
import { authErrors, secured } from '../identity/gate.ts';
import { bookingIdOf, bookingIdParameter, notVisible, requireVisible, shown, tagBooking } from './access.ts';
import { bookingListQuerySchema, bookingListSchema } from './list.ts';
import { bookingRequestSchema, idempotencyKeySchema } from './request.ts';
import type { BookingService } from './service.ts';
import { bookingViewSchema } from './view.ts';

export interface BookingRouteDeps {
  service: BookingService;
  limiters: Limiters;
}

/**
 * From the booking in POST /bookings' answer to every operation that takes its ID (OpenAPI links):
 * what a client does next, and what a stateful fuzzer follows to act on real bookings.
 */
const BOOKING_LINKS: Record<string, { operationId: string; description: string }> = {
  GetBooking: { operationId: 'getBooking', description: 'The booking, live.' },
  GetBookingEvents: { operationId: 'getBookingEvents', description: "The booking's event stream." },
  CancelBooking: { operationId: 'cancelBooking', description: 'Cancel it.' },
  ConfirmBooking: { operationId: 'confirmBooking', description: 'Confirm it, once HELD.' },
  ExtendHold: { operationId: 'extendHold', description: 'Extend its hold, once HELD.' },
  RetryCompensation: { operationId: 'retryCompensation', description: 'Retry its failed compensations (operators).' },
  ResolveCompensation: {
    operationId: 'resolveCompensation',
    description: 'Resolve its failed compensation by hand (operators).',
  },
};
const bookingLinks = Object.fromEntries(
  Object.entries(BOOKING_LINKS).map(([name, link]) => [
    name,
    { ...link, parameters: { id: '$response.body#/bookingId' } },
  ]),
);

export const bookingRoutes: readonly Route<BookingRouteDeps>[] = [
  {
    method: 'post',
    path: '/bookings',
    operation: {
      operationId: 'createBooking',
      ...secured,
      summary: 'Book a trip',
      description:
        'Validates the request, tokenizes the card at once (the number and CVC go nowhere else) and starts the bookTrip workflow with ID booking-<bookingId>. The stay is checkIn plus nights (the booking shows its checkOut). A request the document accepts is accepted: an unknown flight or hotel, a sold-out one or a declined card fails the booking (status FAILED), not the request.',
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Per caller, kept 24 h (IDEMPOTENCY_KEY_TTL): same key + same body: the same booking (200). Same key + another body: 422.',
          schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
        },
        preferParameter,
      ],
      responses: {
        '201': {
          ...json(
            bookingViewSchema,
            'Started; the saga runs on (status PENDING). With Prefer: wait=N, the booking once settled (CONFIRMED, FAILED, HELD, …) or as it stands after N seconds.',
          ),
          headers: {
            Location: { schema: { type: 'string' }, description: '/bookings/<bookingId>' },
            ...preferenceApplied,
          },
          links: bookingLinks,
        },
        '200': {
          ...json(
            bookingViewSchema,
            'A repeat of an earlier request with the same Idempotency-Key (with Prefer: wait, it waits on that booking; it starts none).',
          ),
          headers: preferenceApplied,
          links: bookingLinks,
        },
        ...commonErrors,
        ...bodyErrors,
        ...authErrors,
        '403': error("customerId names another customer (only an operator may book on a customer's behalf)."),
        '409': error(
          "`hold_limit_reached`: a hold past what its customer may hold at once (HOLD_MAX_ACTIVE holds, HOLD_MAX_SEATS seats, HOLD_MAX_ROOMS rooms, counted over their holds not yet confirmed or ended; an operator's holds count for the customer they are for): the message names the limit and the current count, `details` has one entry `limits.holds`, `limits.seats` or `limits.rooms` with `<current> of <max>`; nothing is started or written. `idempotency_key_booking_gone`: the Idempotency-Key's booking is no longer kept anywhere; book again with a new key.",
        ),
        ...rateLimited,
        '422': error('The Idempotency-Key was used with another request body.'),
        '503': error(
          "The start was not taken in time (Prefer: wait), or a hold could not be admitted in time (its customer's other holds were being admitted): retry with the same Idempotency-Key.",
        ),
      },
    },
    body: { schema: bookingRequestSchema, required: true },
    handlers: ({ service, limiters }) => [
      limiters.bookings,
      async (req, res) => {
        const caller = identityOf(res);
        const rawKey = req.get('Idempotency-Key');
        const key = rawKey === undefined ? undefined : parse(idempotencyKeySchema, rawKey, 'header.Idempotency-Key');
        const request = parse(bookingRequestSchema, req.body, 'body');
        // A customer books for themself; an operator may book on a customer's behalf.
        if (request.customerId !== undefined && request.customerId !== caller.subject && !caller.operator) {
          throw forbidden("customerId must be your own (the token's sub), or be left out");
        }
        const customerId = request.customerId ?? caller.subject;
        const { created, view, eagerlyStarted } = await service.start(
          { ...request, customerId },
          key,
          caller.subject,
          waitOf(req, res),
        );
        tagBooking(req, res, view.bookingId);
        req.log?.info(
          { created, ...(eagerlyStarted ? { eagerlyStarted } : {}) },
          created ? 'booking started' : 'idempotent repeat of a booking',
        );
        res
          .status(created ? 201 : 200)
          .location(`/bookings/${view.bookingId}`)
          .json(shown(view, caller));
      },
    ],
  },
  {
    method: 'get',
    path: '/bookings',
    operation: {
      operationId: 'listBookings',
      ...secured,
      summary: "List bookings (read model), newest first: a customer's own; an operator's, every customer's",
      parameters: queryParameters(bookingListQuerySchema),
      responses: {
        '200': json(bookingListSchema, 'A page of bookings.'),
        ...commonErrors,
        ...authErrors,
        '403': error('customerId names another customer: operators only.'),
        ...rateLimited,
      },
    },
    handlers: ({ service, limiters }) => [
      limiters.reads,
      async (req, res) => {
        const caller = identityOf(res);
        const query = parse(bookingListQuerySchema, req.query, 'query');
        if (!caller.operator && query.customerId !== undefined && query.customerId !== caller.subject) {
          throw forbidden("customerId filters other customers' bookings: operators only");
        }
        res.json(await service.list({ ...query, ...(caller.operator ? {} : { customerId: caller.subject }) }));
      },
    ],
  },
  {
    method: 'get',
    path: '/bookings/{id}',
    operation: {
      operationId: 'getBooking',
      ...secured,
      summary: 'A booking, live from its workflow (or the read model once it is closed)',
      parameters: [bookingIdParameter],
      responses: {
        '200': json(bookingViewSchema, 'The booking and its per-step ledger.'),
        ...commonErrors,
        ...authErrors,
        ...notVisible,
        ...rateLimited,
        '503': error('Running, but neither the workflow nor the read model answers.'),
      },
    },
    // Someone else's booking is a 404 before anything of it is read: nothing (not even a slow
    // worker's 503) tells a customer that it exists.
    handlers: ({ service, limiters }) => [
      limiters.reads,
      async (req, res) => {
        const caller = identityOf(res);
        const id = bookingIdOf(req, res);
        await requireVisible(service, id, caller);
        const view = await service.get(id);
        if (!view) throw notFound('booking');
        res.json(shown(view, caller));
      },
    ],
  },
];
