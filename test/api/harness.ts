// The API under test: createApp over a real worker on the time-skipping environment and a real
// PostgreSQL. One environment, bundle and database per file; a fresh task queue per harness.
import { randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
} from '@temporalio/client';
import type { HoldLimits, RateLimits } from '../../src/config.ts';
import { createApp } from '../../src/api/http/app.ts';
import { listenForBookingChanges } from '../../src/api/events/changes.ts';
import type { SseOptions } from '../../src/api/events/stream.ts';
import { setCurrentVersions, workerDeploymentOptions } from '../../src/temporal/versioning.ts';
import { createTripWorkers, type TripWorkers } from '../../src/temporal/worker-factory.ts';
import { VAULT_KEY } from '../helpers/booking.ts';
import { callingAs, createTestIdentity, TEST_RATE_LIMITS, type TestIdentity } from '../helpers/identity.ts';
import { capturingLogger } from '../helpers/log.ts';
import { createHarness, type Harness } from '../workflows/harness.ts';

/** One file's time-skipping environment, workflow bundle and database: the workflow tests' harness. */
export type ApiHarness = Harness;
export const createApiHarness = createHarness;

export interface RunningApi {
  /** The app, called as an operator (DEFAULT_CALLER) when a request carries no Authorization header. */
  app: ReturnType<typeof createApp>;
  /** The app itself: a request without a token is anonymous. */
  rawApp: ReturnType<typeof createApp>;
  /** The dev issuer this app trusts, and tokens of it. */
  identity: TestIdentity;
  taskQueue: string;
  worker: TripWorkers;
  /** Every log line the app wrote, as text. */
  logs: () => string;
  /** The gRPC calls the app made to Temporal so far, by method (e.g. QueryWorkflow), counted on its own connection. */
  temporalCalls: () => Record<string, number>;
  stop(): Promise<void>;
}

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/** Counts each call by its method's name; the SDK's retries stay (a retried call counts each time). */
function countingInterceptor(counts: Map<string, number>): GrpcInterceptor {
  return (options, nextCall) => {
    const method = options.method_definition.path.split('/').at(-1)!;
    counts.set(method, (counts.get(method) ?? 0) + 1);
    // grpc-js's next call is an InterceptingCall, typed as its interface.
    return nextCall(options) as ReturnType<GrpcInterceptor>;
  };
}

/** An app and a worker on a fresh task queue; the worker runs until stop(). */
export async function startApi(
  h: ApiHarness,
  options: {
    faultInjection?: boolean;
    workerDeadlineMs?: number;
    rateLimits?: RateLimits;
    idempotencyKeyTtlMs?: number;
    /** What one customer may hold at once; default the shop's (DEFAULT_HOLD_LIMITS). */
    holdLimits?: HoldLimits;
    sse?: SseOptions;
  } = {},
): Promise<RunningApi> {
  const identity = await createTestIdentity();
  const taskQueue = `api-${randomUUID()}`;
  const { logger, text } = capturingLogger('debug');
  const config = {
    temporalUiUrl: 'http://localhost:8233',
    temporalNamespace: 'default',
    faultInjection: options.faultInjection ?? true,
    cardVaultKey: VAULT_KEY,
    ...(options.idempotencyKeyTtlMs ? { idempotencyKeyTtlMs: options.idempotencyKeyTtlMs } : {}),
    ...(options.holdLimits ? { holdLimits: options.holdLimits } : {}),
  };
  // The app's own connection to the test server, whose calls are counted; and its LISTEN connection.
  const counts = new Map<string, number>();
  const connection = await Connection.connect({
    address: h.env.address,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), countingInterceptor(counts)],
  });
  const changes = listenForBookingChanges({ databaseUrl: h.tdb.url, logger, reconnectMs: 100 });
  await changes.ready;
  const app = createApp({
    client: new Client({ connection, namespace: 'default' }),
    changes,
    dbs: h.tdb.dbs,
    config,
    logger,
    verifier: identity.devIssuer.verifier,
    rateLimits: options.rateLimits ?? TEST_RATE_LIMITS,
    taskQueue,
    sse: { keepAliveMs: 1_000, safetyPollMs: 2_000, maxStreamsPerCaller: 200, ...options.sse },
    ...(options.workerDeadlineMs ? { workerDeadlineMs: options.workerDeadlineMs } : {}),
  });
  // On a dev server a worker is versioned (bookTrip is PINNED): a deployment of the task queue's
  // own, its one build current, and one per service (`<queue>-<service>`), the same build current.
  const worker = await createTripWorkers({
    connection: h.env.nativeConnection,
    taskQueue,
    workflowBundle: h.bundle,
    dbs: h.tdb.dbs,
    faultInjection: config.faultInjection,
    worker: {
      shutdownGraceTime: '1s',
      ...(h.devServer
        ? { workerDeploymentOptions: workerDeploymentOptions({ deploymentName: taskQueue, buildId: 'test' }) }
        : {}),
    },
  });
  const running = worker.run();
  if (h.devServer) await setCurrentVersions(h.env.client.workflowService, worker.versions);
  return {
    app: callingAs(app, await identity.operator()),
    rawApp: app,
    identity,
    taskQueue,
    worker,
    logs: text,
    temporalCalls: () => Object.fromEntries(counts),
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await changes.close();
    },
  };
}
