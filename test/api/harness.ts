// The API under test: createApp over a real worker on the time-skipping environment and a real
// PostgreSQL. One environment, bundle and database per file; a fresh task queue per harness.
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { createApp } from '../../src/api/app.ts';
import { createTripWorker } from '../../src/temporal.ts';
import { VAULT_KEY } from '../helpers/booking.ts';
import { capturingLogger } from '../helpers/log.ts';
import { createHarness, type Harness } from '../workflows/harness.ts';

/** One file's time-skipping environment, workflow bundle and database: the workflow tests' harness. */
export type ApiHarness = Harness;
export const createApiHarness = createHarness;

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
  const { logger, text } = capturingLogger('debug');
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
    logs: text,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
