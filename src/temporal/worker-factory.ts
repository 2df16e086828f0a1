// The worker factory the worker, the dev stack and the tests share: the trip's activities, the
// workflow bundle (prebuilt or bundled at start), tracing and the data converter.
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type BundleOptions, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { ENCRYPTED_FAILURES_CONVERTER_PATH } from './codec.ts';
import { TASK_QUEUE } from '../booking/booking.ts';
import { TRACING_WORKFLOW_MODULES, workerTracingOptions, type Tracing } from './telemetry.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * What a prebuilt workflow bundle contains (npm run build:workflows, the image): the workflows,
 * the tracing interceptors and the data converter's modules. The same bundle for every runtime
 * config: tracing runs only for a workflow a traced client started, and failures are encoded for
 * the codec only in a workflow whose payloads arrived encrypted. With tracing and encryption off,
 * histories are exactly those of a bundle of the workflows alone (test/build/bundle.test.ts).
 */
export const WORKFLOW_BUNDLE_OPTIONS = {
  workflowsPath: WORKFLOWS_PATH,
  workflowInterceptorModules: TRACING_WORKFLOW_MODULES,
  payloadConverterPath: ENCRYPTED_FAILURES_CONVERTER_PATH,
  failureConverterPath: ENCRYPTED_FAILURES_CONVERTER_PATH,
} satisfies BundleOptions;

export interface TripWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /**
   * A prebuilt bundle (WORKFLOW_BUNDLE_OPTIONS; tests build their own per file); otherwise the
   * worker bundles WORKFLOWS_PATH with what its tracing and data converter need.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The client's DataConverter (dataConverterFor(config)): with encryption on, both must encrypt. */
  dataConverter?: DataConverter;
  /** Extra worker options (tuning, shutdown behaviour). */
  worker?: Partial<WorkerOptions>;
  /**
   * Tracing (src/temporal/telemetry.ts): adds the OpenTelemetry interceptors and the workflow span sink.
   * Unset: no interceptors; with a prebuilt bundle, a sink that drops the spans of a workflow a
   * traced client started.
   */
  tracing?: Tracing;
  /**
   * The worker's liveness file (the image's HEALTHCHECK): rewritten every `healthIntervalMs` while
   * the worker is RUNNING, removed once it is not. Default: WORKER_HEALTH_FILE; unset, none.
   */
  healthFile?: string | undefined;
  healthIntervalMs?: number;
}

/** The worker's options: what createTripWorker passes to Worker.create. */
export function tripWorkerOptions(options: TripWorkerOptions): WorkerOptions {
  const {
    connection,
    namespace,
    taskQueue,
    workflowBundle,
    dataConverter,
    worker,
    tracing,
    healthFile: _file,
    healthIntervalMs: _ms,
    ...deps
  } = options;
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
  const worker = await Worker.create(tripWorkerOptions(options));
  const healthFile = 'healthFile' in options ? options.healthFile : process.env.WORKER_HEALTH_FILE || undefined;
  if (healthFile) keepHealthFile(worker, healthFile, options.healthIntervalMs ?? 5_000);
  return worker;
}

/**
 * The worker has no HTTP port: its liveness is a file, rewritten (its mtime and the time in it)
 * each interval while the worker is RUNNING, and removed when it stops, fails or shuts down. A
 * fresh file means: the process is up, its event loop is not stuck, and the SDK's worker is
 * running (polling, or retrying to reach Temporal). The image's HEALTHCHECK checks its age.
 */
function keepHealthFile(worker: Worker, file: string, intervalMs: number): void {
  let wasRunning = false;
  const timer = setInterval(() => {
    const state = worker.getState();
    if (state === 'RUNNING') {
      wasRunning = true;
      writeFileSync(file, `${new Date().toISOString()}\n`);
    } else if (wasRunning || state === 'FAILED' || state === 'STOPPED') {
      clearInterval(timer);
      rmSync(file, { force: true });
    }
  }, intervalMs);
  timer.unref();
  process.once('exit', () => rmSync(file, { force: true }));
}
