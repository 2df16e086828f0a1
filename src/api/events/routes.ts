// GET /bookings/{id}/events, with its OpenAPI operation: a booking's server-sent events. Each
// stream subscribes to the booking's one shared watcher (watchers.ts): the first stream's view is
// read for it, later ones get the watcher's at once, and each change is read once for all of them.
import { TERMINAL_STATUSES } from '../../booking/booking.ts';
import { bookingIdOf, bookingIdParameter, notVisible, requireVisible, shown } from '../bookings/access.ts';
import type { BookingService } from '../bookings/service.ts';
import { bookingViewSchema } from '../bookings/view.ts';
import { ApiError, notFound } from '../http/errors.ts';
import { commonErrors, error, ref, type JsonSchema } from '../http/openapi-parts.ts';
import type { Limiters } from '../http/rate-limits.ts';
import type { Route } from '../http/route.ts';
import { identityOf } from '../identity/auth.ts';
import { authErrors, secured } from '../identity/gate.ts';
import { bookingEventStream, type StreamCounter } from './stream.ts';
import type { BookingWatchers } from './watchers.ts';

export interface EventRouteDeps {
  service: BookingService;
  limiters: Limiters;
  /** The shared watchers the event streams subscribe to. */
  watchers: BookingWatchers;
  /** Open event streams per caller. */
  streams: StreamCounter;
  keepAliveMs?: number;
}

const sseFields = { id: { type: 'string' }, retry: { type: 'integer', minimum: 0 } };
const jsonData = (schema: JsonSchema) => ({
  type: 'string',
  contentMediaType: 'application/json',
  contentSchema: schema,
});
/** One parsed event ({ event, data, id, retry }) of the stream: `booking`, `end` or `expired`. */
const sseEventSchema = {
  oneOf: [
    {
      type: 'object',
      properties: { event: { const: 'booking' }, data: jsonData(ref(bookingViewSchema)), ...sseFields },
      required: ['event', 'data'],
    },
    {
      type: 'object',
      properties: {
        event: { const: 'end' },
        data: jsonData({
          type: 'object',
          properties: { status: { enum: [...TERMINAL_STATUSES] } },
          required: ['status'],
        }),
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

export const eventRoutes: readonly Route<EventRouteDeps>[] = [
  {
    method: 'get',
    path: '/bookings/{id}/events',
    operation: {
      operationId: 'getBookingEvents',
      ...secured,
      summary: 'Server-sent events: one `booking` event per state change, then `end` at a terminal status',
      parameters: [bookingIdParameter],
      responses: {
        '200': {
          description:
            "An event stream: a `booking` event (a Booking as JSON) at once, then one per change (a new version, or a running step's live attempt or last failure), then `end` (the terminal status) at a terminal status. When the token expires the stream ends with `expired`: open it again with a fresh token. Comments (`: keep-alive`) keep an idle stream open.",
          // OpenAPI 3.2's itemSchema: one parsed event ({ event, data, id, retry }) each.
          content: { 'text/event-stream': { itemSchema: sseEventSchema } },
        },
        ...commonErrors,
        ...authErrors,
        ...notVisible,
        '429': {
          ...error(
            '`rate_limited`: too many reads from this customer (RATE_LIMIT_READS: GET /bookings, GET /bookings/{id} and stream opens share it). `too_many_streams`: the caller (token `sub`) holds as many event streams open as it may (SSE_MAX_STREAMS_PER_CALLER): close one first.',
          ),
          headers: {
            'Retry-After': {
              schema: { type: 'integer', minimum: 0 },
              description: 'Seconds after which to try again.',
            },
          },
        },
        '503': error('Running, but neither the workflow nor the read model answers.'),
      },
    },
    handlers: ({ service, limiters, watchers, streams, keepAliveMs }) => [
      limiters.reads,
      async (req, res) => {
        const caller = identityOf(res);
        const id = bookingIdOf(req, res);
        const release = streams.acquire(caller.subject);
        if (!release) {
          res.set('Retry-After', '5');
          throw new ApiError(
            429,
            'too_many_streams',
            `at most ${streams.max} event streams may be open at once per caller; close one first`,
          );
        }
        res.on('close', release);
        try {
          await requireVisible(service, id, caller);
          const stream = bookingEventStream(req, res, {
            ...(keepAliveMs ? { keepAliveMs } : {}),
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
      },
    ],
  },
];
