// createApp(deps): the Express app, apart from listen(), so tests drive it with supertest. What
// every request passes (tracing, security headers, its log line, the body parser), the API's own
// description, the 405s of the document's paths, the bearer gate of /bookings, the documented
// routes (src/api/routes.ts), the page, and the one error handler.
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Tracer } from '@opentelemetry/api';
import { fileURLToPath } from 'node:url';
import express from 'express';
import helmet from 'helmet';
import { pino, type Logger } from 'pino';
import type { RateLimits } from '../../config.ts';
import type { FlightsDb } from '../../activities/flights/db.ts';
import type { HotelsDb } from '../../activities/hotels/db.ts';
import type { PaymentsDb } from '../../activities/payments/db.ts';
import type { BookingDb } from '../../db/booking-db.ts';
import { notifyBookingChanged } from '../../db/booking-changed.ts';
import { httpTracing } from '../../temporal/telemetry.ts';
import { undecodableBookingId } from '../bookings/access.ts';
import { createBookingService, type ApiConfig, type BookingService } from '../bookings/service.ts';
import { codecRoutes } from '../codec/routes.ts';
import { workflowIdFor } from '../../booking/booking.ts';
import type { BookingChanges } from '../events/changes.ts';
import { followHistory } from '../events/history.ts';
import type { EventRouteDeps } from '../events/routes.ts';
import { createStreamCounter, DEFAULT_MAX_STREAMS_PER_CALLER, type SseOptions } from '../events/stream.ts';
import { createBookingWatchers } from '../events/watchers.ts';
import type { Verifier } from '../identity/auth.ts';
import { devTokenRoutes, type DevIssuer } from '../identity/dev-issuer.ts';
import { bearerGate } from '../identity/gate.ts';
import { API_ROUTES } from '../routes.ts';
import { docsRoutes } from './docs.ts';
import { errorHandler, methodNotAllowed, unknownRoute } from './errors.ts';
import { allowedMethods, openApiDocument } from './openapi.ts';
import { createLimiters } from './rate-limits.ts';
import { requestLog } from './request-log.ts';
import { routerOf } from './route.ts';
import type { ServiceRoutes } from '../../booking/service-routes.ts';

/**
 * The databases the API reaches, each through its owner's code: the booking service's (its routes,
 * the read model, the idempotency keys, the change notices), the flight and hotel services' (their
 * inventory routers), the payment service's (its card vault).
 */
export interface ApiDatabases {
  booking: BookingDb;
  flights: FlightsDb;
  hotels: HotelsDb;
  payments: PaymentsDb;
}

export interface AppDeps {
  client: Client;
  dbs: ApiDatabases;
  config: ApiConfig;
  /** Verifies bearer tokens: a remote JWKS (AUTH_*), or the dev issuer's verifier. */
  verifier: Verifier;
  /** The dev issuer: serves POST /dev/token. Only in development and test without AUTH_JWKS_URL. */
  devIssuer?: DevIssuer;
  /** Rate limits; default: production's. */
  rateLimits?: RateLimits;
  logger?: Logger;
  /** The task queue bookings start on (tests use a fresh one). */
  taskQueue?: string;
  /** How bookings call their services (SERVICES_VIA), put in each booking's input; absent: activities beside the task queue. */
  serviceRoutes?: ServiceRoutes;
  /** A client on a worker's NativeConnection in this process (npm run dev): plain starts ask for eager dispatch. */
  eagerStarter?: Client;
  /** Whether a start may be eager now (the local build is current); default: always, with an eagerStarter. */
  eagerWhen?: () => Promise<boolean>;
  /** Event streams: keep-alive, the watchers' safety poll and debounce, the per-caller cap. */
  sse?: SseOptions;
  /**
   * The LISTEN connection (src/api/events/changes.ts) that wakes the watchers of changed bookings; the
   * caller opens and closes it. Without it the watchers poll every `sse.safetyPollMs` (default then
   * 250 ms, once per watched booking however many streams follow it).
   */
  changes?: BookingChanges;
  workerDeadlineMs?: number;
  /** The remote codec endpoint (/codec) for the Web UI; only when payloads are encrypted and a token is set. */
  codec?: { codec: PayloadCodec; authToken: string };
  /** Tracing on: a SERVER span per request (src/temporal/telemetry.ts). The client needs clientInterceptorsFor(tracing) too. */
  tracer?: Tracer;
}

const PRODUCTION_RATE_LIMITS: RateLimits = { windowMs: 60_000, bookings: 10, actions: 30, anonymous: 30, reads: 120 };

const WEB_DIR = fileURLToPath(new URL('../../web/public/', import.meta.url));

export function createApp(deps: AppDeps): express.Express {
  const logger = deps.logger ?? pino({ level: 'info' });
  const service = createBookingService({ ...deps, db: deps.dbs.booking, payments: deps.dbs.payments, logger });
  const limiters = createLimiters(deps.rateLimits ?? PRODUCTION_RATE_LIMITS);
  const documentOptions = { faultInjection: deps.config.faultInjection };
  const app = express();
  app.disable('x-powered-by');
  const tracing = deps.tracer ? httpTracing(deps.tracer) : undefined;
  if (tracing) app.use(tracing.start);
  // Helmet's defaults, but no upgrade-insecure-requests: served over plain HTTP on another host
  // (Docker), the page's own script and styles would otherwise be asked for over HTTPS.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(requestLog(logger));
  // Before the 16 kB body parser: the codec endpoint parses its own, larger bodies.
  if (deps.codec)
    app.use('/codec', codecRoutes({ ...deps.codec, uiOrigin: new URL(deps.config.temporalUiUrl).origin }));
  app.use(express.json({ limit: '16kb', strict: true }));
  if (tracing) app.use(tracing.resume);

  app.use(docsRoutes(documentOptions));
  // A documented path with an undeclared method: 405 and Allow, from the document's own paths, before
  // anything else (a method no one may use is refused as such, token or not).
  app.use(methodNotAllowed(allowedMethods(openApiDocument(documentOptions))));
  if (deps.devIssuer) app.use(devTokenRoutes(deps.devIssuer));
  // Every /bookings route: a bearer token first (401 before anything is read or written).
  app.use('/bookings', ...bearerGate(deps.verifier, limiters.anonymous));
  app.use(
    routerOf(API_ROUTES, {
      client: deps.client,
      db: deps.dbs.booking,
      flights: deps.dbs.flights,
      hotels: deps.dbs.hotels,
      config: deps.config,
      service,
      limiters,
      ...eventStreams(deps, service, logger),
      announce: (bookingId) => notifyBookingChanged(deps.dbs.booking, bookingId),
    }),
  );
  app.use('/bookings', undecodableBookingId);
  app.use(express.static(WEB_DIR, { index: 'index.html' }));

  app.use(unknownRoute);
  app.use(errorHandler);
  return app;
}

/**
 * What the event streams share: one watcher per watched booking, woken by the LISTEN connection's
 * change notices (or polling without one), and the per-caller cap on open streams.
 */
function eventStreams(
  deps: AppDeps,
  service: BookingService,
  logger: Logger,
): Pick<EventRouteDeps, 'watchers' | 'streams' | 'keepAliveMs'> {
  const sse = deps.sse ?? {};
  const watchers = createBookingWatchers({
    read: (bookingId) => service.get(bookingId),
    // What a service's step does reaches the watchers through the workflow's history, never
    // through that service's database.
    follow: (bookingId, moved) => followHistory(deps.client, workflowIdFor(bookingId), moved),
    safetyPollMs: sse.safetyPollMs ?? (deps.changes ? undefined : 250),
    ...(sse.livePollMs === undefined ? {} : { livePollMs: sse.livePollMs }),
    ...(sse.debounceMs === undefined ? {} : { debounceMs: sse.debounceMs }),
    logger,
  });
  deps.changes?.onChange((bookingId) => watchers.wake(bookingId));
  deps.changes?.onReconnect(() => watchers.wakeAll());
  return {
    watchers,
    streams: createStreamCounter(sse.maxStreamsPerCaller ?? DEFAULT_MAX_STREAMS_PER_CALLER),
    ...(sse.keepAliveMs ? { keepAliveMs: sse.keepAliveMs } : {}),
  };
}
