// npm run worker [-- <role>…]: runs the trip's workers against Temporal (TEMPORAL_ADDRESS, or a
// temporal.toml profile; API key or mTLS: src/temporal/connection.ts) in TEMPORAL_NAMESPACE. The
// roles are `booking` (the workflows, the read model, the reconciler) and each service (`flights`,
// `hotels`, `payments`: its activities on its own task queue); none named (nor WORKER_ROLES): all.
// Each role's worker is versioned in a deployment of its own with this process's build
// (WORKER_BUILD_ID): WORKER_DEPLOYMENT_NAME for the booking's, `<that>-<service>` for a service's.
// SIGTERM (or SIGINT) drains: the worker stops polling, its running activities get
// SHUTDOWN_GRACE_TIME to finish (then they are cancelled and their next attempt runs on another
// worker), and the process exits 0.
// Logs are JSON lines (pino) on stdout, a booking's lines with its workflowId and bookingId;
// METRICS_PORT (or PROMETHEUS_BIND_ADDRESS) serves the SDK's metrics for Prometheus at /metrics;
// OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on.
import { existsSync } from 'node:fs';
import { Client } from '@temporalio/client';
import { Runtime, type NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';
import { dataConverterFor, describeEncryption } from './temporal/codec.ts';
import { connectNative, describeTemporal, explainIfConnectError, TemporalConnectError } from './temporal/connection.ts';
import { connectSomeDatabases, databasesOfRoles, disconnectDatabases } from './activities/databases.ts';
import { configOrExit, connectOrExit } from './entrypoint.ts';
import { ensureReconcileSchedule } from './temporal/reconcile-schedule.ts';
import { tracingFromConfig, workerLogger } from './temporal/telemetry.ts';
import { createTripWorkers, parseWorkerRoles, type WorkerRole } from './temporal/worker-factory.ts';
import { describeServiceTransport, serviceTransport } from './temporal/service-transport.ts';
import { buildIdFromCode, promoteIfFirst, workerDeploymentOptions, type WorkerVersion } from './temporal/versioning.ts';

const base = { service: 'worker', pid: process.pid };
// The roles first: a service's worker needs its own database's URL and no other's.
const roles = rolesOrExit(process.argv.slice(2), process.env.WORKER_ROLES);
const config = configOrExit('worker', databasesOfRoles(roles));
const logger = pino({ level: config.logLevel, base });
const runsBooking = roles.includes('booking');
if (runsBooking && config.workflowBundlePath && !existsSync(config.workflowBundlePath)) {
  logger.fatal(
    `WORKFLOW_BUNDLE_PATH ${config.workflowBundlePath} does not exist: build it with \`npm run build:workflows -- ${config.workflowBundlePath}\`.`,
  );
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

// SIGTERM/SIGINT: before the worker runs, there is nothing to drain (a refused or absent server
// must not hold a rollout up for 30 s); once it runs, the Runtime shuts it down and this only says so.
let started = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!started) {
      logger.info(`${signal} before the worker started: exiting`);
      process.exit(0);
    }
    logger.info(`${signal}: draining (no new tasks; running activities get ${config.shutdownGraceMs} ms)`);
  });
}

// Temporal may be starting (compose) or restarting: a server that does not answer is retried for
// 30 s. A refusal (API key, client certificate, CA) is not: it fails now, in one line.
const connection: NativeConnection = await connectOrExit(connectNative, config, logger, tracing);
// Each service's activities over its own database, the read model's over the booking service's:
// only the databases of this worker's roles.
const dbs = connectSomeDatabases(config.ownDatabaseUrls, { max: config.databasePoolSize });
// Production names its builds (WORKER_BUILD_ID); elsewhere the build follows the workflow code.
const buildId = config.workerBuildId ?? buildIdFromCode();
const dataConverter = dataConverterFor(config);
// How the booking calls its services: as activities, or over Nexus (each service in its own namespace).
const services = serviceTransport(config, { fallback: 'activity' });
// The reconciler's activities read visibility and describe bookings through this client.
const client = new Client({ connection, namespace: config.temporalNamespace, dataConverter });
let exitCode = 0;
try {
  const worker = await createTripWorkers({
    connection,
    namespace: config.temporalNamespace,
    roles,
    ...(services.nexus ? { nexus: services.nexus } : {}),
    dbs,
    faultInjection: config.faultInjection,
    dataConverter,
    reconcile: { client },
    ...(tracing ? { tracing } : {}),
    // Built ahead (npm run build:workflows): no bundler in this process.
    ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : {}),
    worker: {
      // A versioned worker: bookTrip is PINNED, so a saga finishes on the build that started it.
      // Each service's worker gets this build in its own deployment (`<deployment>-<service>`).
      workerDeploymentOptions: workerDeploymentOptions({ deploymentName: config.workerDeploymentName, buildId }),
      maxCachedWorkflows: config.workerMaxCachedWorkflows,
      // SIGTERM: activities get this long, then they are cancelled (and retried on another worker);
      // past the force time the worker gives up on them and the process exits 1.
      shutdownGraceTime: config.shutdownGraceMs,
      shutdownForceTime: config.shutdownGraceMs + 10_000,
    },
  }).catch((error: unknown) => {
    throw explainIfConnectError(error, config.temporal) ?? error; // e.g. a namespace that does not exist
  });
  // "worker: task queue trip-booking (booking), trip-booking-flights (flights), … on <server>"
  const queues = Object.entries(worker.taskQueues).map(([role, queue]) => `${queue} (${role})`);
  logger.info(
    `worker: task queue ${queues.join(', ')} on ${describeTemporal(config.temporal)}; ${describeServiceTransport(services)}; fault injection ${config.faultInjection ? 'on' : 'off'}; ${describeEncryption(config)}; ` +
      `metrics ${config.prometheusBindAddress ? `on http://${config.prometheusBindAddress}/metrics` : 'off'}; tracing ${config.otlpEndpoint ? `to ${config.otlpEndpoint}` : 'off'}`,
  );
  started = true;
  const running = worker.run(); // resolves after SIGINT/SIGTERM, once in-flight tasks are done or handed back
  for (const version of worker.versions) announceBuild(version);
  if (runsBooking) ensureSchedule(client);
  await running;
  logger.info('worker: drained and stopped');
} catch (error) {
  exitCode = 1;
  logger.fatal(error instanceof TemporalConnectError ? error.line : `worker stopped: ${(error as Error).message}`);
} finally {
  await connection.close().catch(() => undefined);
  await disconnectDatabases(dbs);
  await tracing?.shutdown();
}
process.exit(exitCode);

/** The roles named on the command line, else WORKER_ROLES, else all; an unknown one is refused as a bad variable is. */
function rolesOrExit(args: string[], setting: string | undefined): WorkerRole[] {
  try {
    return parseWorkerRoles(args.length > 0 ? args : (setting ?? '').split(','));
  } catch (error) {
    console.error(`npm run worker: ${(error as Error).message}`);
    process.exit(1);
  }
}

/**
 * Each worker is versioned, the booking's and each service's in its own deployment: a deployment's
 * first build becomes current (else nothing would run its work: a booking's steps wait for the
 * service's current build). Best effort: a failure is logged, the worker runs on.
 */
function announceBuild({ role, namespace, deploymentName }: WorkerVersion & { role: WorkerRole }): void {
  const deployment = { service: connection.workflowService, namespace, deploymentName };
  const where = namespace === config.temporalNamespace ? '' : ` in namespace ${namespace}`;
  const rollout = role === 'booking' ? 'npm run rollout --' : `npm run rollout -- --service ${role}`;
  promoteIfFirst(deployment, buildId).then(
    (promoted) =>
      logger.info(
        promoted
          ? `worker: build ${buildId} is the first of deployment ${deploymentName}${where}, so it is now current`
          : `worker: build ${buildId} of deployment ${deploymentName}${where} is up; ${role === 'booking' ? 'new sagas go' : "the bookings' steps go"} to the current build (make this one current with \`${rollout} current ${buildId}\`)`,
      ),
    (error: unknown) =>
      logger.warn(`worker: could not read deployment ${deploymentName}${where}: ${(error as Error).message}`),
  );
}

/** The booking's worker makes sure of the reconciler's schedule. Best effort, as announceBuild. */
function ensureSchedule(client: Client): void {
  ensureReconcileSchedule(client, { ...config.reconcile, services: services.routes }).then(
    (how) =>
      logger.info(
        `worker: reconciler schedule ${how}: a pass every ${config.reconcile.intervalMs / 1000} s, up to ${config.reconcile.batch} booking(s)`,
      ),
    (error: unknown) => logger.warn(`worker: could not ensure the reconciler schedule: ${(error as Error).message}`),
  );
}
