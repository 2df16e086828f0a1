// The OpenAPI 3.1 document, generated from the zod schemas that validate the requests and type
// the responses (src/api/schemas.ts): one source of truth, no hand-written copy.
import { z } from 'zod';
import { BOOKING_ID_PATTERN, TERMINAL_STATUSES } from '../../booking/booking.ts';
import { travelDate, travelWindow } from '../../activities/shared/request-fields.ts';
import { bookingListQuerySchema } from '../bookings/list.ts';
import { flightsQuerySchema, hotelsQuerySchema } from '../inventory/schemas.ts';
import { dateRangePattern } from './date-range-pattern.ts';
// The modules whose schemas the document names (by their ids, in the zod registry).
import '../bookings/request.ts';
import '../bookings/view.ts';
import './errors.ts';
import './health.ts';

type JsonSchema = Record<string, unknown>;

function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({ description, content: { 'application/json': { schema: ref(id) } } });
const error = (description: string) => json('Error', description);

function queryParameters(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: !(field as z.ZodType).safeParse(undefined).success,
    schema: strip(z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonSchema),
  }));
}

const bookingIdParameter = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: BOOKING_ID_PATTERN.source },
};

const commonErrors = {
  '400': error('Invalid request: the details name each failing field.'),
  '500': error('Unexpected error (logged; no stack trace is returned).'),
};

const retryAfter = { 'Retry-After': { schema: { type: 'integer', minimum: 0 }, description: 'Seconds until the limit resets.' } };
/** Every /bookings operation: a bearer token, and what a caller without the right to it gets. */
const secured = {
  security: [{ bearerAuth: [] }],
};
const authErrors = {
  '401': {
    ...error('No bearer token, or one that is malformed, expired, from another issuer or audience, or signed by an unknown key.'),
    headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer realm="bookings"[, error="invalid_token"]' } },
  },
};
const rateLimited = { '429': { ...error('Too many requests from this customer (or, without an accepted token, this IP).'), headers: retryAfter } };

/** What the JSON body parser may answer for any operation that takes a body. */
const bodyErrors = {
  '413': error('Body larger than 16 kB.'),
  '415': error('Unsupported content encoding or charset.'),
};

/** The request bodies: documented as a client sends them (zod's input side), not as they parse. */
const REQUEST_SCHEMAS = new Set(['BookingRequest', 'CancelRequest', 'ResolveRequest', 'ConfirmRequest', 'ExtendHoldRequest']);

/** Prefer: wait=N (RFC 7240), on the operations that can wait for the saga. */
const preferParameter = {
  name: 'Prefer',
  in: 'header',
  required: false,
  description:
    'wait=N (1–30): answer once the booking has settled (ended, HELD, or waiting for an operator), or after N seconds with the booking as it stands; the answer then carries Preference-Applied: wait=N. Anything else, or N out of range, is ignored.',
  schema: { type: 'string', examples: ['wait=10'] },
};
const preferenceApplied = { 'Preference-Applied': { schema: { type: 'string' }, description: 'wait=N when Prefer: wait=N was honoured.' } };

export interface DocumentOptions {
  /** Without fault injection, BookingRequest has no `faults` (the API refuses them). Default true. */
  faultInjection?: boolean;
  /** The clock for the travel-date window (tests). */
  now?: number;
}

const sseFields = { id: { type: 'string' }, retry: { type: 'integer', minimum: 0 } };
const jsonData = (schema: JsonSchema) => ({ type: 'string', contentMediaType: 'application/json', contentSchema: schema });
const sseEventSchema = {
  oneOf: [
    { type: 'object', properties: { event: { const: 'booking' }, data: jsonData(ref('Booking')), ...sseFields }, required: ['event', 'data'] },
    {
      type: 'object',
      properties: {
        event: { const: 'end' },
        data: jsonData({ type: 'object', properties: { status: { enum: [...TERMINAL_STATUSES] } }, required: ['status'] }),
        ...sseFields,
      },
      required: ['event', 'data'],
    },
    {
      type: 'object',
      properties: {
        event: { const: 'expired' },
        data: jsonData({ type: 'object', properties: { message: { type: 'string' } }, required: ['message'] }),
        ...sseFields,
      },
      required: ['event', 'data'],
    },
  ],
};

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
  ResolveCompensation: { operationId: 'resolveCompensation', description: 'Resolve its failed compensation by hand (operators).' },
};
const bookingLinks = Object.fromEntries(
  Object.entries(BOOKING_LINKS).map(([name, link]) => [name, { ...link, parameters: { id: '$response.body#/bookingId' } }]),
);

const cache = new Map<string, JsonSchema>();

/**
 * The document for this configuration and this UTC day: the travel dates' pattern is today's
 * window (see travelDatePattern), so the document changes at midnight UTC.
 */
export function openApiDocument(options: DocumentOptions = {}): JsonSchema {
  const faultInjection = options.faultInjection ?? true;
  const window = travelWindow(options.now);
  const key = `${faultInjection}:${window.from}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const travelDatePattern = dateRangePattern(window.from, window.to);
  const registryFor = (io: 'input' | 'output') =>
    z.toJSONSchema(z.globalRegistry, {
      target: 'draft-2020-12',
      io,
      uri: (id) => `#/components/schemas/${id}`,
      unrepresentable: 'any',
      override: (ctx) => {
        if (ctx.zodSchema === travelDate) ctx.jsonSchema.pattern = travelDatePattern;
      },
    }).schemas;
  const [outputs, inputs] = [registryFor('output'), registryFor('input')];
  const schemas = Object.fromEntries(
    Object.entries(outputs).map(([id, s]) => [id, strip((REQUEST_SCHEMAS.has(id) ? inputs[id] : s) as JsonSchema)]),
  );
  if (!faultInjection) {
    const request = schemas.BookingRequest as { properties: Record<string, unknown> };
    delete request.properties.faults;
  }

  const bookingAction = (operationId: string, summary: string, description: string, body?: { schema: string; required: boolean }, operatorOnly = false) => ({
    operationId,
    summary,
    description,
    parameters: [bookingIdParameter],
    ...(body ? { requestBody: { required: body.required, content: { 'application/json': { schema: ref(body.schema) } } } } : {}),
    ...secured,
    responses: {
      '202': json('Booking', 'Accepted by the workflow; the booking as it stands now.'),
      ...commonErrors,
      ...bodyErrors,
      ...authErrors,
      ...(operatorOnly ? { '403': error('Only an operator (scope bookings:operate) may do this.') } : {}),
      ...rateLimited,
      '404': error('No such booking, or, for a customer, another customer\'s booking.'),
      '409': error('The booking is not in a state that allows this.'),
      '503': error('The workflow did not answer in time.'),
    },
  });

  const document: JsonSchema = {
    openapi: '3.1.0',
    info: {
      title: 'Trip booking saga API',
      version: '1.0.0',
      description:
        'Starts bookTrip sagas on Temporal (flight → hotel → payment, compensated in reverse) and reads their live state. Every /bookings route wants `Authorization: Bearer <JWT>`: a customer (the token\'s sub) sees and acts on their own bookings; an operator (scope bookings:operate) reads every booking and alone retries or resolves a failed compensation.',
    },
    servers: [{ url: '/' }],
    paths: {
      '/bookings': {
        post: {
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
              description: 'Per caller, kept 24 h (IDEMPOTENCY_KEY_TTL): same key + same body: the same booking (200). Same key + another body: 422.',
              schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
            },
            preferParameter,
          ],
          requestBody: { required: true, content: { 'application/json': { schema: ref('BookingRequest') } } },
          responses: {
            '201': {
              ...json('Booking', 'Started; the saga runs on (status PENDING). With Prefer: wait=N, the booking once settled (CONFIRMED, FAILED, HELD, …) or as it stands after N seconds.'),
              headers: { Location: { schema: { type: 'string' }, description: '/bookings/<bookingId>' }, ...preferenceApplied },
              links: bookingLinks,
            },
            '200': {
              ...json('Booking', 'A repeat of an earlier request with the same Idempotency-Key (with Prefer: wait, it waits on that booking; it starts none).'),
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
            '503': error('The start was not taken in time (Prefer: wait), or a hold could not be admitted in time (its customer\'s other holds were being admitted): retry with the same Idempotency-Key.'),
          },
        },
        get: {
          operationId: 'listBookings',
          ...secured,
          summary: "List bookings (read model), newest first: a customer's own; an operator's, every customer's",
          parameters: queryParameters(bookingListQuerySchema),
          responses: {
            '200': json('BookingList', 'A page of bookings.'),
            ...commonErrors,
            ...authErrors,
            '403': error('customerId names another customer: operators only.'),
            ...rateLimited,
          },
        },
      },
      '/bookings/{id}': {
        get: {
          operationId: 'getBooking',
          ...secured,
          summary: 'A booking, live from its workflow (or the read model once it is closed)',
          parameters: [bookingIdParameter],
          responses: {
            '200': json('Booking', 'The booking and its per-step ledger.'),
            ...commonErrors,
            ...authErrors,
            '404': error("No such booking, or, for a customer, another customer's booking."),
            ...rateLimited,
            '503': error('Running, but neither the workflow nor the read model answers.'),
          },
        },
      },
      '/bookings/{id}/events': {
        get: {
          operationId: 'getBookingEvents',
          ...secured,
          summary: 'Server-sent events: one `booking` event per state change, then `end` at a terminal status',
          parameters: [bookingIdParameter],
          responses: {
            '200': {
              description:
                'An event stream: a `booking` event (a Booking as JSON) at once, then one per change (a new version, or a running step\'s live attempt or last failure), then `end` (the terminal status) at a terminal status. When the token expires the stream ends with `expired`: open it again with a fresh token. Comments (`: keep-alive`) keep an idle stream open.',
              // OpenAPI 3.2's itemSchema: one parsed event ({ event, data, id, retry }) each.
              content: { 'text/event-stream': { itemSchema: sseEventSchema } },
            },
            ...commonErrors,
            ...authErrors,
            '404': error("No such booking, or, for a customer, another customer's booking."),
            '429': {
              ...error(
                '`rate_limited`: too many reads from this customer (RATE_LIMIT_READS: GET /bookings, GET /bookings/{id} and stream opens share it). `too_many_streams`: the caller (token `sub`) holds as many event streams open as it may (SSE_MAX_STREAMS_PER_CALLER): close one first.',
              ),
              headers: { 'Retry-After': { schema: { type: 'integer', minimum: 0 }, description: 'Seconds after which to try again.' } },
            },
            '503': error('Running, but neither the workflow nor the read model answers.'),
          },
        },
      },
      '/bookings/{id}/cancel': {
        post: bookingAction('cancelBooking', 'Cancel a booking', 'The saga unwinds what ran (or was running); the booking ends CANCELLED. 409 once terminal. The body is optional.', {
          schema: 'CancelRequest',
          required: false,
        }),
      },
      '/bookings/{id}/confirm': {
        post: (() => {
          const action = bookingAction(
            'confirmBooking',
            'Confirm a HELD booking with a card',
            'Tokenizes the card and passes it to the workflow (confirmHold Update); the payment step runs, then CONFIRMED, or the usual unwind and FAILED. 409 unless HELD, or once the hold has expired (the expiry wins from its deadline on). A card that fails validation: 400, nothing written.',
            { schema: 'ConfirmRequest', required: true },
          );
          return {
            ...action,
            parameters: [...action.parameters, preferParameter],
            responses: {
              ...action.responses,
              '202': { ...action.responses['202'], description: 'Accepted: the payment runs (status PENDING).' },
              '200': { ...json('Booking', 'With Prefer: wait=N: the outcome (CONFIRMED, FAILED) or the booking as it stands after N seconds.'), headers: preferenceApplied },
            },
          };
        })(),
      },
      '/bookings/{id}/hold/extend': {
        post: bookingAction(
          'extendHold',
          'Extend a hold, once',
          'Moves holdExpiresAt `minutes` later (the workflow restarts its timer). 409 unless HELD before its deadline, or once it was extended.',
          { schema: 'ExtendHoldRequest', required: true },
        ),
      },
      '/bookings/{id}/compensation/retry': {
        post: bookingAction('retryCompensation', 'Retry the failed compensations (operators)', 'Only while the booking is COMPENSATION_FAILED. Recorded with the operator\'s sub (retriedBy).', undefined, true),
      },
      '/bookings/{id}/compensation/resolve': {
        post: bookingAction(
          'resolveCompensation',
          'Resolve a failed compensation by hand (operators)',
          'Records the note and the operator (resolution.by); the booking then ends FAILED or CANCELLED.',
          { schema: 'ResolveRequest', required: true },
          true,
        ),
      },
      '/flights': {
        get: {
          operationId: 'listFlights',
          summary: 'Flights with seats available',
          parameters: queryParameters(flightsQuerySchema),
          responses: { '200': json('FlightList', 'Flights.'), ...commonErrors },
        },
      },
      '/hotels': {
        get: {
          operationId: 'listHotels',
          summary: 'Hotels with the rooms free for a stay',
          description:
            'Rooms are sold per night: a stay takes a room on each night from checkIn to the night before check-out. roomsAvailable is the fewest rooms free on any night of the stay (checkIn, tonight in UTC when absent; nights, one when absent); the stay in the answer says which.',
          parameters: queryParameters(hotelsQuerySchema),
          responses: { '200': json('HotelList', 'Hotels, with the stay they answer for.'), ...commonErrors },
        },
      },
      '/healthz': {
        get: {
          operationId: 'getHealth',
          summary: 'Checks Temporal and the database',
          responses: { '200': json('Health', 'Both answer.'), '503': json('Health', 'One of them does not.') },
        },
      },
    },
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "An OAuth 2 access token (JWT) of the configured OIDC issuer (AUTH_ISSUER; `npm run dev`: POST /dev/token). `sub` is the customer; scope `bookings:operate` makes an operator.",
        },
      },
    },
  };
  cache.clear(); // only today's documents
  cache.set(key, document);
  return document;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A document path as Express matches it: `{param}` is one segment, any case, an optional trailing slash. */
function pathMatcher(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}/?$`, 'i');
}

/**
 * The methods the document declares for the path a request names (HEAD with GET, and OPTIONS,
 * which Express answers), or undefined when no documented path matches: the Allow header of a 405.
 */
export function allowedMethods(document: JsonSchema = openApiDocument()): (path: string) => string[] | undefined {
  const paths = Object.entries(document.paths as Record<string, Record<string, unknown>>).map(([template, item]) => {
    const declared = Object.keys(item).filter((m) => HTTP_METHODS.includes(m));
    const methods = [...declared, ...(declared.includes('get') ? ['head'] : []), 'options'];
    return { matcher: pathMatcher(template), methods: [...new Set(methods)].map((m) => m.toUpperCase()) };
  });
  return (path) => paths.find((p) => p.matcher.test(path))?.methods;
}
