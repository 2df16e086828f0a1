// Temporal plumbing shared by the worker, the dev stack and the tests: the worker factory, and
// where the Temporal CLI and the time-skipping test server come from.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities/index.ts';
import { TASK_QUEUE } from './domain/booking.ts';
import { workerTracingOptions, type Tracing } from './telemetry.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface TripWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** A prebuilt bundle (tests build one per file); otherwise the worker bundles WORKFLOWS_PATH. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The client's DataConverter (dataConverterFor(config)): with encryption on, both must encrypt. */
  dataConverter?: DataConverter;
  /** Extra worker options (tuning, shutdown behaviour). */
  worker?: Partial<WorkerOptions>;
  /**
   * Tracing (src/telemetry.ts): adds the OpenTelemetry interceptors and the workflow span sink. A
   * prebuilt bundle must then contain TRACING_WORKFLOW_MODULES. Unset: no interceptors, no sinks.
   */
  tracing?: Tracing;
}

/** The worker's options: what createTripWorker passes to Worker.create. */
export function tripWorkerOptions(options: TripWorkerOptions): WorkerOptions {
  const { connection, namespace, taskQueue, workflowBundle, dataConverter, worker, tracing, ...deps } = options;
  return {
    connection,
    namespace: namespace ?? 'default',
    taskQueue: taskQueue ?? TASK_QUEUE,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(deps),
    ...(dataConverter ? { dataConverter } : {}),
    ...workerTracingOptions(tracing, Boolean(workflowBundle)),
    ...worker,
  };
}

export async function createTripWorker(options: TripWorkerOptions): Promise<Worker> {
  return Worker.create(tripWorkerOptions(options));
}

/** Full path of an executable on PATH, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * An executable from an env var or PATH, in the SDK's `existing-path` form; undefined lets the SDK
 * download it (users with internet need nothing installed).
 */
export function existingExecutable(envVar: string, name: string): { type: 'existing-path'; path: string } | undefined {
  const path = process.env[envVar] || findOnPath(name);
  return path ? { type: 'existing-path', path } : undefined;
}

/** The `temporal` CLI (dev server + Web UI): TEMPORAL_CLI_PATH, else PATH. */
export const temporalCli = () => existingExecutable('TEMPORAL_CLI_PATH', 'temporal');

/** The time-skipping test server: TEMPORAL_TEST_SERVER_PATH, else PATH. */
export const temporalTestServer = () => existingExecutable('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server');
