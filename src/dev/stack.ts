// The whole stack in one process: PostgreSQL (configured or embedded) with the booking service's
// database and one per service, each with its own role, Temporal (configured, or a dev server with
// the Web UI), migrations and seed, the worker and the API. `npm run dev` runs it;
// the end-to-end and browser tests start it too.
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { Client, type Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createApp } from '../api/http/app.ts';
import { listenForBookingChanges } from '../api/events/changes.ts';
import { identityFor, type DevIssuer } from '../api/identity/dev-issuer.ts';
import { codecEndpointFor, dataConverterFor, describeEncryption } from '../temporal/codec.ts';
import type { Config } from '../config.ts';
import { connectClient, connectNative, TemporalConnectError } from '../temporal/connection.ts';
import { connectDatabases, disconnectDatabases, seedDatabases, type Databases } from '../activities/databases.ts';
import type { BookingDb } from '../db/booking-db.ts';
import { databaseUrls, type DatabaseUrls } from '../db/databases.ts';
import { ensureDatabase, ForeignMigrationsError } from '../db/migrate.ts';
import { prepareDatabases } from '../db/provision.ts';
import { clientInterceptorsFor, tracingFromConfig } from '../temporal/telemetry.ts';
import { registerSearchAttributes } from '../temporal/search-attributes.ts';
import { BOOKING_STATUS_SEARCH_ATTRIBUTE } from '../booking/messages.ts';
import { ensureReconcileSchedule } from '../temporal/reconcile-schedule.ts';
import { createTripWorkers } from '../temporal/worker-factory.ts';
import { ensureServiceEndpoints } from '../temporal/nexus-setup.ts';
import { describeServiceTransport, serviceTransport } from '../temporal/service-transport.ts';
import { TASK_QUEUE } from '../booking/booking.ts';
import { temporalCli } from '../temporal/executables.ts';
import {
  buildIdFromCode,
  localBuildIsCurrent,
  setCurrentVersions,
  workerDeploymentOptions,
} from '../temporal/versioning.ts';
import { devServerFailure, portInUse } from './dev-server-failure.ts';
import { databaseUrlFor, startEmbeddedPostgres } from './postgres.ts';

/** How often a dev server that did not answer in the SDK's fixed 5 s is started again. */
const DEV_SERVER_STARTS = 3;

/**
 * TestWorkflowEnvironment.createLocal, started again when the server did not answer within the
 * SDK's fixed 5 s (the SDK has already killed it): a loaded machine (the suite beside a busy loop)
 * can take longer to start one; the download failing or a port taken is no reason to try again.
 */
export async function startDevServer(
  options: Parameters<typeof TestWorkflowEnvironment.createLocal>[0],
): Promise<TestWorkflowEnvironment> {
  for (let start = 1; ; start++) {
    try {
      return await TestWorkflowEnvironment.createLocal(options);
    } catch (error) {
      if (start >= DEV_SERVER_STARTS || !/did not start within/.test(String((error as Error)?.message ?? error)))
        throw error;
    }
  }
}

/** A failure to start that the user can fix: one line, with the fix, never a stack trace. */
export class StackError extends Error {
  override name = 'StackError';
}

export interface StackOptions {
  config: Config;
  /** Where the embedded PostgreSQL and the dev server keep their data. */
  dataDir: string;
  /** Port of the API (0: any free port). */
  apiPort: number;
  /** Address the API listens on; default: the config's DEV_HOST (127.0.0.1). */
  apiHost?: string;
  /** Task queue (tests may use their own). */
  taskQueue?: string;
  /** How long an open booking's row must be quiet before the reconciler checks whether its workflow is gone (ms; tests). */
  reconcileGoneAfterMs?: number;
  logger: Logger;
}

export interface Stack {
  apiUrl: string;
  /** The address the API listens on, as the OS says (127.0.0.1 unless DEV_HOST says otherwise). */
  apiAddress: string;
  /** The booking service's database (DATABASE_URL). */
  databaseUrl: string;
  /** Every database's URL: the booking service's and each service's. */
  databaseUrls: DatabaseUrls;
  temporalAddress: string;
  /** The Web UI, when this stack started the dev server (or TEMPORAL_UI_URL). */
  uiUrl: string;
  embedded: { postgres: boolean; temporal: boolean };
  client: Client;
  /** The booking service's client (the read model): `dbs.booking`. */
  db: BookingDb;
  /** Every database's client. */
  dbs: Databases;
  /** The dev issuer, when no AUTH_JWKS_URL is set (POST /dev/token mints its tokens). */
  devIssuer?: DevIssuer;
  stop(): Promise<void>;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

function describeConnectError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code ?? e.message?.split('\n')[0] ?? String(error);
}

/** What stopped the databases from being ready, as a StackError with its fix when there is one. */
function databaseFailure(error: unknown, embedded: boolean): unknown {
  if (error instanceof ForeignMigrationsError) {
    return new StackError(
      `${error.message}. Fix: move its data into a database per service (docs/deploy.md#moving-from-one-database), or start afresh: ${embedded ? `stop npm run dev and remove the embedded PostgreSQL's data (.data/pg)` : 'point DATABASE_URL at a new database'}.`,
    );
  }
  if ((error as { code?: string }).code === '42501') {
    return new StackError(
      `DATABASE_URL's user may not create the services' databases and roles (${(error as Error).message}). Fix: use a superuser (or a role with CREATEDB and CREATEROLE) in DATABASE_URL, or set FLIGHTS_DATABASE_URL, HOTELS_DATABASE_URL and PAYMENTS_DATABASE_URL to databases on another server.`,
    );
  }
  return error;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { config, logger } = options;
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch((e: unknown) => logger.warn({ err: e }, 'stop step failed'));
    stops.length = 0;
  };
  try {
    await mkdir(options.dataDir, { recursive: true });

    // 1. PostgreSQL: the booking service's database and each service's, each provisioned with its
    // own role through DATABASE_URL's user (src/db/provision.ts), migrated and seeded.
    let urls = config.databaseUrls;
    if (!urls) {
      const pg = await startEmbeddedPostgres({ dir: join(options.dataDir, 'pg'), persistent: true });
      stops.push(() => pg.stop());
      urls = databaseUrls(databaseUrlFor(pg.serverUrl, 'trip_booking'), {}, true).urls;
      logger.info(`PostgreSQL: embedded, data in ${join(options.dataDir, 'pg')}, port ${pg.port}`);
    }
    const databaseUrl = urls.booking;
    try {
      await ensureDatabase(databaseUrl);
    } catch (error) {
      const url = new URL(databaseUrl);
      throw new StackError(
        `Cannot reach PostgreSQL at ${url.hostname}:${url.port || 5432} (DATABASE_URL): ${describeConnectError(error)}. ` +
          'Fix: start PostgreSQL or correct DATABASE_URL, or unset DATABASE_URL to use an embedded PostgreSQL.',
      );
    }
    const applied = await prepareDatabases(urls, { adminUrl: databaseUrl }).catch((error: unknown) => {
      throw databaseFailure(error, !config.databaseUrl);
    });
    const dbs = connectDatabases(urls, { max: config.databasePoolSize });
    stops.push(() => disconnectDatabases(dbs));
    const db = dbs.booking;
    const seeded = await seedDatabases(dbs);
    logger.info(
      `databases: ${Object.keys(urls).join(', ')}, each with its own role; ${Object.values(applied).flat().length} migration(s) applied, ${seeded.join(' and ')} seeded`,
    );

    // 2. Temporal. The client and the worker share one DataConverter: with PAYLOAD_ENCRYPTION_KEYS
    // set, both encrypt and decrypt payloads.
    const dataConverter = dataConverterFor(config);
    let client: Client;
    let nativeConnection: NativeConnection;
    let temporalAddress: string;
    let uiUrl = config.temporalUiUrl;
    const namespace = config.temporalNamespace;
    if (config.temporalAddress) {
      // Your server (TEMPORAL_ADDRESS or a profile), through the same connection code as `npm run
      // worker` and `npm run api`: TLS, API key or client certificate included.
      temporalAddress = config.temporalAddress;
      const unreachable = (error: unknown) => {
        if (!(error instanceof TemporalConnectError)) throw error;
        throw new StackError(
          error.kind === 'unavailable'
            ? `${error.line.replace(/\. Check .*$/, '')}. Fix: start it (\`temporal server start-dev\`), correct ${config.temporal.via.address}, or unset TEMPORAL_ADDRESS to let \`npm run dev\` start one.`
            : error.line,
        );
      };
      nativeConnection = await connectNative(config.temporal).catch(unreachable);
      stops.push(() => nativeConnection.close());
      const connection = await connectClient(config.temporal).catch(unreachable);
      // Your server may not know BookingStatus yet; an operator may have registered it already.
      await registerSearchAttributes(connection, namespace).catch((error: Error) =>
        logger.warn(
          `could not register the BookingStatus search attribute (${error.message}); register it with: temporal operator search-attribute create --name BookingStatus --type Keyword`,
        ),
      );
      stops.push(() => connection.close());
      client = new Client({ connection, namespace, dataConverter });
    } else {
      const port = config.temporalDevPort;
      const uiPort = config.temporalUiPort;
      const executable = temporalCli();
      // A taken port is said at once (the dev server would wait for it to come free).
      const taken = await portInUse({ port, uiPort });
      if (taken) throw new StackError(taken);
      logger.info(
        `Temporal: starting a dev server (${executable ? executable.path : "the SDK's download of the temporal CLI"}) on :${port}, Web UI on :${uiPort}`,
      );
      let env: TestWorkflowEnvironment;
      try {
        env = await startDevServer({
          server: {
            ...(executable ? { executable } : {}),
            ip: '127.0.0.1',
            port,
            ui: true,
            uiPort,
            namespace,
            dbFilename: join(options.dataDir, 'temporal.db'),
            searchAttributes: [BOOKING_STATUS_SEARCH_ATTRIBUTE],
            log: { format: 'pretty', level: 'warn' },
          },
          client: { dataConverter },
        });
      } catch (error) {
        throw new StackError(await devServerFailure(error, { port, uiPort, executable }));
      }
      stops.push(() => env.teardown());
      client = env.client;
      nativeConnection = env.nativeConnection;
      temporalAddress = `127.0.0.1:${port}`;
      uiUrl = `http://localhost:${uiPort}`;
    }

    // 3. Tracing, when OTEL_EXPORTER_OTLP_ENDPOINT is set: the worker's interceptors, and a client
    // whose interceptors carry the API's trace into the workflow.
    const tracing = tracingFromConfig(config, 'trip-dev');
    const interceptors = tracing ? clientInterceptorsFor(tracing) : undefined;
    if (tracing) {
      stops.push(() => tracing.shutdown());
      client = new Client({
        connection: client.connection,
        namespace,
        dataConverter,
        ...(interceptors ? { interceptors } : {}),
      });
      logger.info(`tracing: OTLP to ${config.otlpEndpoint}`);
    }
    // The API and the worker share this process: the API starts bookings through a client on the
    // worker's NativeConnection and asks for eager dispatch, so the first workflow task comes back
    // with the start's answer, straight to this worker (one dispatch round trip less). Its other
    // calls keep their own connection. `npm run api` and `npm run worker` are separate processes:
    // no eager start there.
    const eagerStarter = new Client({
      connection: nativeConnection,
      namespace,
      dataConverter,
      ...(interceptors ? { interceptors } : {}),
    });

    // 4. The services' way: over Nexus here unless SERVICES_VIA=activity, each service in a
    // namespace of its own with an endpoint that reaches its worker.
    const services = serviceTransport(config, { fallback: 'nexus', bookingTaskQueue: options.taskQueue ?? TASK_QUEUE });
    if (services.nexus) await ensureServiceEndpoints(client.connection as Connection, services.nexus);
    logger.info(describeServiceTransport(services));

    // 5. The workers and the API
    const stackConfig = { ...config, temporalUiUrl: uiUrl };
    const buildId = config.workerBuildId ?? buildIdFromCode();
    const worker = await createTripWorkers({
      connection: nativeConnection,
      namespace,
      ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
      ...(services.nexus ? { nexus: services.nexus } : {}),
      dbs,
      faultInjection: config.faultInjection,
      dataConverter,
      reconcile: {
        client,
        ...(options.reconcileGoneAfterMs === undefined ? {} : { goneAfterMs: options.reconcileGoneAfterMs }),
      },
      ...(tracing ? { tracing } : {}),
      worker: {
        shutdownGraceTime: '5s',
        maxCachedWorkflows: config.workerMaxCachedWorkflows,
        workerDeploymentOptions: workerDeploymentOptions({ deploymentName: config.workerDeploymentName, buildId }),
      },
    });
    const running = worker.run();
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
    // On a developer's machine the code that runs is the current build: new sagas start on it.
    // Sagas pinned to an earlier build wait for it (docs/deploy.md says how to move them). Each
    // service's worker is the same build in its own deployment: made current too, its steps run here.
    const deployment = { service: client.workflowService, namespace, deploymentName: config.workerDeploymentName };
    await setCurrentVersions(client.workflowService, worker.versions);
    logger.info(
      `worker: build ${buildId} is current in deployment${worker.versions.length > 1 ? 's' : ''} ${worker.versions.map((v) => v.deploymentName).join(', ')}`,
    );
    // What a terminated (or timed-out, or gone) saga held is given back by the reconciler's passes.
    await ensureReconcileSchedule(client, {
      ...config.reconcile,
      ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
      services: services.routes,
    });
    logger.info(
      `reconciler: a pass every ${config.reconcile.intervalMs / 1000} s, up to ${config.reconcile.batch} booking(s)`,
    );
    const codec = codecEndpointFor(config);
    logger.info(`${describeEncryption(config)}${codec ? '; codec endpoint at /codec' : ''}`);
    // Identity: AUTH_* when set, else the dev issuer, its key kept under the data folder (a page's
    // token survives a restart).
    const identity = await identityFor(config, join(options.dataDir, 'dev-issuer-key.json'));
    logger.info(`identity: ${identity.describe}`);
    const changes = listenForBookingChanges({ databaseUrl, logger });
    stops.push(() => changes.close());
    await changes.ready;
    const app = createApp({
      client,
      eagerStarter,
      // Eager dispatch pins a saga to this worker's build: only while that build is the current one.
      eagerWhen: localBuildIsCurrent(deployment, buildId),
      dbs,
      changes,
      sse: config.sse,
      config: stackConfig,
      logger,
      verifier: identity.verifier,
      ...(identity.devIssuer ? { devIssuer: identity.devIssuer } : {}),
      rateLimits: config.rateLimits,
      serviceRoutes: services.routes,
      ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
      ...(codec ? { codec } : {}),
      ...(tracing ? { tracer: tracing.tracer } : {}),
    });
    // Loopback unless told otherwise: the dev issuer hands operator tokens to anyone who reaches it.
    const apiHost = options.apiHost ?? config.devHost;
    if (!isLoopback(apiHost))
      logger.warn(
        `the API listens on ${apiHost} (DEV_HOST): anyone who reaches it can mint tokens of the dev issuer, operators' included`,
      );
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(options.apiPort, apiHost, () => resolve(s));
      s.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new StackError(
            error.code === 'EADDRINUSE'
              ? `Port ${options.apiPort} is in use. Fix: stop what uses it, or set PORT to another port.`
              : `The API cannot listen on ${apiHost}:${options.apiPort}: ${error.message}`,
          ),
        ),
      );
    });
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const { port: apiPort, address: apiAddress } = server.address() as { port: number; address: string };
    return {
      apiUrl: `http://localhost:${apiPort}`,
      apiAddress,
      databaseUrl,
      databaseUrls: urls,
      temporalAddress,
      uiUrl,
      embedded: { postgres: !config.databaseUrl, temporal: !config.temporalAddress },
      client,
      db,
      dbs,
      ...(identity.devIssuer ? { devIssuer: identity.devIssuer } : {}),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
