// npm run api: the API on PORT, against Temporal (TEMPORAL_ADDRESS or a temporal.toml profile; API
// key or mTLS: src/temporal/connection.ts) and the databases it reaches: the booking service's
// (DATABASE_URL), the flight and hotel services' for their inventory routers, the payment service's
// for its card vault (FLIGHTS_, HOTELS_, PAYMENTS_DATABASE_URL). It listens only once Temporal has answered: a
// refused connection ends the process with one line, it never serves requests it cannot complete.
// SIGTERM (or SIGINT): no new connections, in-flight requests get SHUTDOWN_GRACE_TIME to finish,
// then the process closes its connections and exits 0.
import type { Connection } from '@temporalio/client';
import { Client } from '@temporalio/client';
import { pino } from 'pino';
import { codecEndpointFor, dataConverterFor, describeEncryption } from '../temporal/codec.ts';
import { describeServiceTransport, serviceTransport } from '../temporal/service-transport.ts';
import { connectClient, describeTemporal } from '../temporal/connection.ts';
import { configOrExit, connectOrExit } from '../entrypoint.ts';
import { createFlightsDb } from '../activities/flights/db.ts';
import { createHotelsDb } from '../activities/hotels/db.ts';
import { createPaymentsDb } from '../activities/payments/db.ts';
import { createBookingDb } from '../db/booking-db.ts';
import { clientInterceptorsFor, tracingFromConfig } from '../temporal/telemetry.ts';
import { join } from 'node:path';
import { createApp } from './http/app.ts';
import { listenForBookingChanges } from './events/changes.ts';
import { identityFor } from './identity/dev-issuer.ts';

const config = configOrExit('api');
const logger = pino({ level: config.logLevel });
// OTEL_EXPORTER_OTLP_ENDPOINT set: a server span per request, and the client's spans and headers
// carry the trace into the workflow.
const tracing = tracingFromConfig(config, 'trip-api');

// SIGTERM/SIGINT before the API listens: nothing to drain (a server that does not answer must not
// hold a rollout up for 30 s). Once it listens: a graceful close (below).
let listening = false;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!listening) {
      logger.info(`${signal} before the API listened: exiting`);
      process.exit(0);
    }
    if (stopping) return; // a second signal changes nothing: the grace period bounds the wait
    stopping = true;
    drain(signal);
  });
}

// Temporal may be starting (compose): a server that does not answer is retried for 30 s. A refusal
// (API key, client certificate, CA) or a namespace that does not exist is not.
const connection: Connection = await connectOrExit(connectClient, config, logger, tracing, { checkNamespace: true });
const urls = config.databaseUrls!;
const pool = { max: config.databasePoolSize };
const dbs = {
  booking: createBookingDb(urls.booking, pool),
  flights: createFlightsDb(urls.flights, pool),
  hotels: createHotelsDb(urls.hotels, pool),
  payments: createPaymentsDb(urls.payments, pool),
};
const interceptors = clientInterceptorsFor(tracing);
const client = new Client({
  connection,
  namespace: config.temporalNamespace,
  dataConverter: dataConverterFor(config),
  ...(interceptors ? { interceptors } : {}),
});
// One LISTEN connection wakes the event streams' watchers when a booking changes (docs/api.md);
// while the database cannot be reached it is retried, and the watchers poll slowly meanwhile.
const changes = listenForBookingChanges({ databaseUrl: urls.booking, logger });
const codec = codecEndpointFor(config);
// AUTH_* in production (loadConfig refuses to go on without them); the dev issuer otherwise.
const identity = await identityFor(
  config,
  join(process.env.DEV_DATA_DIR ?? join(process.cwd(), '.data'), 'dev-issuer-key.json'),
);
// How bookings call their services: activities on their task queues, or Nexus (SERVICES_VIA).
const services = serviceTransport(config, { fallback: 'activity' });
const app = createApp({
  client,
  dbs,
  config,
  logger,
  verifier: identity.verifier,
  ...(identity.devIssuer ? { devIssuer: identity.devIssuer } : {}),
  rateLimits: config.rateLimits,
  serviceRoutes: services.routes,
  changes,
  sse: config.sse,
  ...(codec ? { codec } : {}),
  ...(tracing ? { tracer: tracing.tracer } : {}),
});
const server = app.listen(config.port, () => {
  logger.info(
    `API on http://localhost:${config.port} (docs at /docs); Temporal ${describeTemporal(config.temporal)}; fault injection ${config.faultInjection ? 'on' : 'off'}; ` +
      `${describeEncryption(config)}${codec ? '; codec endpoint at /codec' : ''}; ${identity.describe}; ${describeServiceTransport(services)}; tracing ${config.otlpEndpoint ? `to ${config.otlpEndpoint}` : 'off'}`,
  );
});
listening = true;
server.once('error', (error: NodeJS.ErrnoException) => {
  logger.fatal(
    error.code === 'EADDRINUSE'
      ? `Port ${config.port} is in use: set PORT to another port.`
      : `The API cannot listen on ${config.port}: ${error.message}`,
  );
  process.exit(1);
});

function drain(signal: string): void {
  logger.info(`${signal}: closing (no new connections; in-flight requests get ${config.shutdownGraceMs} ms)`);
  // Stop listening; keep-alive connections close as soon as they are idle (each in-flight
  // request finishes first); what is still open after the grace period (an event stream, a
  // slow request) is cut.
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  const cut = setTimeout(() => {
    logger.warn(`still open after ${config.shutdownGraceMs} ms: closing the remaining connections`);
    server.closeAllConnections();
  }, config.shutdownGraceMs);
  server.close(() => {
    clearInterval(idle);
    clearTimeout(cut);
    void Promise.allSettled([
      connection.close(),
      ...Object.values(dbs).map((db) => db.$disconnect()),
      changes.close(),
      tracing?.shutdown(),
    ]).then(() => {
      logger.info('API: stopped');
      process.exit(0);
    });
  });
  server.closeIdleConnections();
}
