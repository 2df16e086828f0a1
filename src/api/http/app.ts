// createApp(deps): the Express app, apart from listen(), so tests drive it with supertest.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Tracer } from '@opentelemetry/api';
import express from 'express';
import helmet from 'helmet';
import { pino, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Db } from '../../db/client.ts';
import type { RateLimits } from '../../config.ts';
import type { Verifier } from '../identity/auth.ts';
import { devTokenRoutes, type DevIssuer } from '../identity/dev-issuer.ts';
import { createLimiters } from './rate-limits.ts';
import { workflowIdFor } from '../../booking/booking.ts';
import { httpTracing } from '../../temporal/telemetry.ts';
import { createBookingService, type ApiConfig } from '../bookings/service.ts';
import { codecRoutes } from '../codec/routes.ts';
import { errorHandler, methodNotAllowed, unknownRoute } from './errors.ts';
import { allowedMethods, openApiDocument } from './openapi.ts';
import { bookingRoutes, inventoryRoutes } from '../bookings/routes.ts';
import { createStreamCounter, DEFAULT_MAX_STREAMS_PER_CALLER, type SseOptions } from '../events/stream.ts';
import type { BookingChanges } from '../events/changes.ts';
import { createBookingWatchers } from '../events/watchers.ts';
import { notifyBookingChanged } from '../../db/booking-changed.ts';

export interface AppDeps {
  client: Client;
  db: Db;
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

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const swaggerUiDir = (createRequire(import.meta.url)('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();
const docsDir = fileURLToPath(new URL('./docs/', import.meta.url));
export const WEB_DIR = fileURLToPath(new URL('../../web/public/', import.meta.url));

export function createApp(deps: AppDeps): express.Express {
  const logger = deps.logger ?? pino({ level: 'info' });
  const service = createBookingService({ ...deps, logger });
  const app = express();
  app.disable('x-powered-by');
  const tracing = deps.tracer ? httpTracing(deps.tracer) : undefined;
  if (tracing) app.use(tracing.start);
  // Helmet's defaults, but no upgrade-insecure-requests: served over plain HTTP on another host
  // (Docker), the page's own script and styles would otherwise be asked for over HTTPS.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Never the body or the headers: a request body holds a card number.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customProps: (_req, res) => {
        const locals = res.locals as { bookingId?: string; traceId?: string } | undefined;
        return {
          ...(locals?.bookingId ? { bookingId: locals.bookingId, workflowId: workflowIdFor(locals.bookingId) } : {}),
          ...(locals?.traceId ? { traceId: locals.traceId } : {}),
        };
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  // Before the 16 kB body parser: the codec endpoint parses its own, larger bodies.
  if (deps.codec) app.use('/codec', codecRoutes({ ...deps.codec, uiOrigin: new URL(deps.config.temporalUiUrl).origin }));
  app.use(express.json({ limit: '16kb', strict: true }));
  if (tracing) app.use(tracing.resume);

  app.get('/healthz', async (_req, res) => {
    const deadline = Date.now() + 2_000;
    const [temporal, database] = await Promise.all([
      deps.client
        .withDeadline(deadline, () => deps.client.workflowService.getSystemInfo({}))
        .then(() => 'ok')
        .catch((e: Error) => `unreachable: ${e.message.split('\n')[0]}`),
      deps.db.$queryRaw`SELECT 1`.then(() => 'ok').catch((e: Error) => `unreachable: ${e.message.split('\n').at(-1)}`),
    ]);
    const ok = temporal === 'ok' && database === 'ok';
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      checks: { temporal, database },
      faultInjection: deps.config.faultInjection,
      temporalUiUrl: deps.config.temporalUiUrl,
    });
  });

  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument({ faultInjection: deps.config.faultInjection }));
  });
  app.get('/docs', (_req, res) => {
    res.sendFile('index.html', { root: docsDir });
  });
  app.get('/docs/init.js', (_req, res) => {
    res.sendFile('init.js', { root: docsDir });
  });
  app.use('/docs/assets', express.static(swaggerUiDir, { index: false }));

  // A documented path with an undeclared method: 405 and Allow, from the document's own paths, before
  // anything else (a method no one may use is refused as such, token or not).
  app.use(methodNotAllowed(allowedMethods(openApiDocument({ faultInjection: deps.config.faultInjection }))));
  if (deps.devIssuer) app.use(devTokenRoutes(deps.devIssuer));
  const sse = deps.sse ?? {};
  const watchers = createBookingWatchers({
    read: (bookingId) => service.get(bookingId),
    safetyPollMs: sse.safetyPollMs ?? (deps.changes ? undefined : 250),
    ...(sse.debounceMs === undefined ? {} : { debounceMs: sse.debounceMs }),
    logger,
  });
  deps.changes?.onChange((bookingId) => watchers.wake(bookingId));
  deps.changes?.onReconnect(() => watchers.wakeAll());
  app.use(
    bookingRoutes(service, {
      verifier: deps.verifier,
      limiters: createLimiters(deps.rateLimits ?? PRODUCTION_RATE_LIMITS),
      watchers,
      streams: createStreamCounter(sse.maxStreamsPerCaller ?? DEFAULT_MAX_STREAMS_PER_CALLER),
      ...(sse.keepAliveMs ? { keepAliveMs: sse.keepAliveMs } : {}),
      announce: (bookingId) => notifyBookingChanged(deps.db, bookingId),
    }),
  );
  app.use(inventoryRoutes(deps.db));
  app.use(express.static(WEB_DIR, { index: 'index.html' }));

  app.use(unknownRoute);
  app.use(errorHandler);
  return app;
}
