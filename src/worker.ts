// npm run worker: runs the trip-booking worker against TEMPORAL_ADDRESS in TEMPORAL_NAMESPACE.
// Shuts down gracefully on SIGINT and SIGTERM: running activities finish or are cancelled first.
// Logs are JSON lines (pino) on stdout, a booking's lines with its workflowId and bookingId;
// METRICS_PORT (or PROMETHEUS_BIND_ADDRESS) serves the SDK's metrics for Prometheus at /metrics;
// OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on.
import { existsSync } from 'node:fs';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import { dataConverterFor, describeEncryption } from './codec.ts';
import { loadConfig } from './config.ts';
import { createDb } from './db/client.ts';
import { TASK_QUEUE } from './domain/booking.ts';
import { tracingFromConfig, workerLogger } from './telemetry.ts';
import { createTripWorker } from './temporal.ts';

const config = loadConfig(); // a bad variable throws: exit code 1, every problem named
const logger = pino({ level: config.logLevel, base: { service: 'worker', pid: process.pid } });
if (!config.databaseUrl) {
  logger.fatal('DATABASE_URL is not set (or run `npm run dev`, which brings its own database).');
  process.exit(2);
}

// Once, before any connection: the SDK's logs go through pino, and its metrics to Prometheus.
Runtime.install({
  logger: workerLogger(logger),
  telemetryOptions: {
    logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
    ...(config.prometheusBindAddress ? { metrics: { prometheus: { bindAddress: config.prometheusBindAddress } } } : {}),
  },
});
const tracing = tracingFromConfig(config, 'trip-worker');

const address = config.temporalAddress ?? 'localhost:7233';
const db = createDb(config.databaseUrl, { max: config.databasePoolSize });
/** Temporal may be starting (compose) or restarting: try for up to 30 s before giving up. */
async function connect(): Promise<NativeConnection> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await NativeConnection.connect({ address });
    } catch (error) {
      if (attempt >= 15) {
        logger.fatal(`Cannot reach Temporal at ${address}: ${(error as Error).message}. Start one with \`temporal server start-dev\`, or set TEMPORAL_ADDRESS.`);
        process.exit(1);
      }
      logger.warn(`Temporal at ${address} does not answer yet (attempt ${attempt}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}
const connection = await connect();
if (config.workflowBundlePath && !existsSync(config.workflowBundlePath)) {
  logger.fatal(`WORKFLOW_BUNDLE_PATH ${config.workflowBundlePath} does not exist: build it with \`npm run build:workflows -- ${config.workflowBundlePath}\`.`);
  process.exit(2);
}
try {
  const worker = await createTripWorker({
    connection,
    namespace: config.temporalNamespace,
    db,
    faultInjection: config.faultInjection,
    dataConverter: dataConverterFor(config),
    ...(tracing ? { tracing } : {}),
    // Built ahead (npm run build:workflows): no bundler in this process.
    ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : {}),
    worker: { maxCachedWorkflows: config.workerMaxCachedWorkflows },
  });
  logger.info(
    `worker: task queue ${TASK_QUEUE} on ${address} (namespace ${config.temporalNamespace}); fault injection ${config.faultInjection ? 'on' : 'off'}; ${describeEncryption(config)}; ` +
      `metrics ${config.prometheusBindAddress ? `on http://${config.prometheusBindAddress}/metrics` : 'off'}; tracing ${config.otlpEndpoint ? `to ${config.otlpEndpoint}` : 'off'}`,
  );
  await worker.run(); // resolves after SIGINT/SIGTERM, once in-flight tasks are done
} finally {
  await connection.close();
  await db.$disconnect();
  await tracing?.shutdown();
}
