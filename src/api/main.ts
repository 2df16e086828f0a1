// npm run api: the API on PORT, against TEMPORAL_ADDRESS and DATABASE_URL.
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { codecEndpointFor, dataConverterFor, describeEncryption } from '../codec.ts';
import { loadConfig } from '../config.ts';
import { createDb } from '../db/client.ts';
import { clientInterceptorsFor, tracingFromConfig } from '../telemetry.ts';
import { createApp } from './app.ts';

const config = loadConfig();
const logger = pino({ level: config.logLevel });
if (!config.databaseUrl) {
  logger.fatal('DATABASE_URL is not set (or run `npm run dev`, which brings its own database)');
  process.exit(2);
}
const address = config.temporalAddress ?? 'localhost:7233';
const db = createDb(config.databaseUrl, { max: config.databasePoolSize });
const connection = await Connection.connect({ address }).catch((error: Error) => {
  logger.fatal(`cannot reach Temporal at ${address}: ${error.message}. Start one with \`temporal server start-dev\`.`);
  process.exit(1);
});
// OTEL_EXPORTER_OTLP_ENDPOINT set: a server span per request, and the client's spans and headers
// carry the trace into the workflow.
const tracing = tracingFromConfig(config, 'trip-api');
const interceptors = clientInterceptorsFor(tracing);
const client = new Client({
  connection,
  namespace: config.temporalNamespace,
  dataConverter: dataConverterFor(config),
  ...(interceptors ? { interceptors } : {}),
});
const codec = codecEndpointFor(config);
const app = createApp({ client, db, config, logger, ...(codec ? { codec } : {}), ...(tracing ? { tracer: tracing.tracer } : {}) });
const server = app.listen(config.port, () => {
  logger.info(
    `API on http://localhost:${config.port} (docs at /docs); Temporal ${address}; ${describeEncryption(config)}${codec ? '; codec endpoint at /codec' : ''}; tracing ${config.otlpEndpoint ? `to ${config.otlpEndpoint}` : 'off'}`,
  );
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info(`${signal}: shutting down`);
    server.close(() => {
      void Promise.all([connection.close(), db.$disconnect(), tracing?.shutdown()]).then(() => process.exit(0));
    });
    server.closeAllConnections();
  });
}
