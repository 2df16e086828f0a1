// The API under test: createApp over a real worker on the time-skipping environment and a real
// PostgreSQL. One environment, bundle and database per file; a fresh task queue per harness.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { pino } from 'pino';
import { createApp } from '../../src/api/app.ts';
import { WORKFLOWS_PATH, createTripWorker } from '../../src/temporal.ts';
import { VAULT_KEY } from '../helpers/booking.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { createTimeSkippingEnv } from '../helpers/temporal.ts';

export interface ApiHarness {
  env: TestWorkflowEnvironment;
  tdb: TestDatabase;
  bundle: WorkflowBundleWithSourceMap;
  close(): Promise<void>;
}

export async function createApiHarness(label: string): Promise<ApiHarness> {
  const [env, bundle, tdb] = await Promise.all([
    createTimeSkippingEnv(),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } }),
    createTestDatabase(label),
  ]);
  return {
    env,
    tdb,
    bundle,
    async close() {
      await env.teardown();
      await tdb.close();
    },
  };
}

export interface RunningApi {
  app: ReturnType<typeof createApp>;
  taskQueue: string;
  worker: Worker;
  /** Every log line the app wrote, as text. */
  logs: () => string;
  stop(): Promise<void>;
}

/** An app and a worker on a fresh task queue; the worker runs until stop(). */
export async function startApi(h: ApiHarness, options: { faultInjection?: boolean; workerDeadlineMs?: number } = {}): Promise<RunningApi> {
  const taskQueue = `api-${randomUUID()}`;
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    }),
  );
  const config = {
    temporalUiUrl: 'http://localhost:8233',
    temporalNamespace: 'default',
    faultInjection: options.faultInjection ?? true,
    cardVaultKey: VAULT_KEY,
  };
  const app = createApp({
    client: h.env.client,
    db: h.tdb.db,
    config,
    logger,
    taskQueue,
    sse: { pollMs: 50, keepAliveMs: 1_000 },
    ...(options.workerDeadlineMs ? { workerDeadlineMs: options.workerDeadlineMs } : {}),
  });
  const worker = await createTripWorker({
    connection: h.env.nativeConnection,
    taskQueue,
    workflowBundle: h.bundle,
    db: h.tdb.db,
    faultInjection: config.faultInjection,
    worker: { shutdownGraceTime: '1s' },
  });
  const running = worker.run();
  return {
    app,
    taskQueue,
    worker,
    logs: () => lines.join(''),
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
