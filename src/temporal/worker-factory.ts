// The worker factory the worker, the dev stack and the tests share: one Temporal worker per role
// (the booking's workflows and activities, and each service's activities on its own task queue),
// each versioned in a deployment of its own, the workflow bundle (prebuilt or bundled at start),
// tracing and the data converter.
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import {
  DefaultLogger,
  NativeConnection,
  Worker,
  bundleWorkflowCode,
  type BundleOptions,
  type State,
  type WorkerOptions,
} from '@temporalio/worker';
import {
  createActivities,
  createBookingActivities,
  createServiceActivities,
  type ActivityDeps,
  type TripServiceName,
} from '../activities/index.ts';
import { TRIP_SERVICES } from '../activities/services.ts';
import { serviceTaskQueue } from '../booking/service-routes.ts';
import { serviceNexusHandler } from './service-nexus.ts';
import { ENCRYPTED_FAILURES_CONVERTER_PATH } from './codec.ts';
import { TASK_QUEUE } from '../booking/booking.ts';
import { TRACING_WORKFLOW_MODULES, workerTracingOptions, type Tracing } from './telemetry.ts';
import { serviceDeploymentName, serviceWorkerDeploymentOptions, type WorkerVersion } from './versioning.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** The bundler's own progress lines are not the worker's news. */
const BUNDLER_LOGGER = new DefaultLogger('WARN');

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

/**
 * The workers one process may run: the booking's (its workflows, its read model and the
 * reconciler, on the booking's task queue) and each service's (its activities, on its own task
 * queue beside the booking's: src/booking/service-routes.ts).
 */
export type WorkerRole = 'booking' | TripServiceName;
export const WORKER_ROLES: readonly WorkerRole[] = ['booking', ...TRIP_SERVICES.map((s) => s.name)];

/**
 * The roles `npm run worker -- <role>…` (or WORKER_ROLES=<role>,…) names; none: every role. Throws
 * one line naming what is unknown.
 */
export function parseWorkerRoles(names: readonly string[]): WorkerRole[] {
  const wanted = names.map((name) => name.trim()).filter(Boolean);
  if (wanted.length === 0) return [...WORKER_ROLES];
  const unknown = wanted.filter((name) => !WORKER_ROLES.includes(name as WorkerRole));
  if (unknown.length > 0) {
    throw new Error(
      `unknown worker role(s) ${unknown.map((n) => JSON.stringify(n)).join(', ')}: the roles are ${WORKER_ROLES.join(', ')}`,
    );
  }
  return [...new Set(wanted as WorkerRole[])];
}

export interface TripWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace?: string;
  /** The booking's task queue (default TASK_QUEUE); each service's worker polls the queue beside it. */
  taskQueue?: string;
  /** Which workers to run (default: all of them, WORKER_ROLES). */
  roles?: readonly WorkerRole[];
  /**
   * The services called over Nexus, by name: their workers run in the service's own namespace, on
   * the task queue its endpoint targets, with the service's Nexus handler (src/temporal/service-nexus.ts)
   * and the serviceOperation workflow. A service not named here runs as activities beside the booking's queue.
   */
  nexus?: Partial<Record<TripServiceName, { namespace: string; taskQueue: string }>>;
  /**
   * Every activity on the booking's task queue, as the builds before v7 schedule them: for a worker
   * of an archived bundle (a retired build's sagas), which runs the booking's role alone.
   */
  oneQueue?: boolean;
  /**
   * A prebuilt bundle (WORKFLOW_BUNDLE_OPTIONS; tests build their own per file); otherwise the
   * worker bundles WORKFLOWS_PATH with what its tracing and data converter need.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The client's DataConverter (dataConverterFor(config)): with encryption on, both must encrypt. */
  dataConverter?: DataConverter;
  /**
   * Extra options of every worker (tuning, shutdown behaviour). `workerDeploymentOptions` are the
   * booking's: its deployment and the process's build. Each service's worker is versioned with the
   * same build in a deployment of its own, `<booking's>-<service>` (serviceDeploymentName), its
   * workflows AUTO_UPGRADE (serviceWorkerDeploymentOptions), so each team rolls its service out
   * apart. Without them, every worker is unversioned.
   */
  worker?: Partial<WorkerOptions>;
  /**
   * Tracing (src/temporal/telemetry.ts): adds the OpenTelemetry interceptors and the workflow span sink.
   * Unset: no interceptors; with a prebuilt bundle, a sink that drops the spans of a workflow a
   * traced client started.
   */
  tracing?: Tracing;
  /**
   * The worker's liveness file (the image's HEALTHCHECK): rewritten every `healthIntervalMs` while
   * every worker of the process is RUNNING, removed once one is not. Default: WORKER_HEALTH_FILE; unset, none.
   */
  healthFile?: string | undefined;
  healthIntervalMs?: number;
}

/** One worker's options: what createTripWorkers passes to Worker.create for `role`. */
export function tripWorkerOptions(options: TripWorkerOptions, role: WorkerRole = 'booking'): WorkerOptions {
  const {
    connection,
    namespace,
    taskQueue = TASK_QUEUE,
    roles: _roles,
    nexus,
    oneQueue,
    workflowBundle,
    dataConverter,
    worker,
    tracing,
    healthFile: _file,
    healthIntervalMs: _ms,
    ...deps
  } = options;
  const common = { connection, namespace: namespace ?? 'default', ...(dataConverter ? { dataConverter } : {}) };
  if (role !== 'booking') {
    const { workerDeploymentOptions: booking, ...tuning } = worker ?? {};
    const serviceTuning = {
      ...tuning,
      ...(booking?.useWorkerVersioning
        ? {
            workerDeploymentOptions: serviceWorkerDeploymentOptions({
              deploymentName: serviceDeploymentName(booking.version.deploymentName, role),
              buildId: booking.version.buildId,
            }),
          }
        : {}),
    };
    const target = nexus?.[role];
    if (target) {
      // The service's own namespace: its operations' workflows, its activities, its Nexus handler.
      return {
        ...common,
        namespace: target.namespace,
        taskQueue: target.taskQueue,
        ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
        activities: createServiceActivities(deps, [role]),
        nexusServices: [serviceNexusHandler(role)],
        ...workerTracingOptions(tracing, Boolean(workflowBundle)),
        // A serviceOperation's next task waits this long for the worker that has it cached before
        // any worker takes it (the SDK's default is 10 s): a killed worker's operations, whose
        // histories are a few events to replay, move on at once (npm run chaos -- --via nexus).
        stickyQueueScheduleToStartTimeout: '1s',
        ...serviceTuning,
      };
    }
    const { interceptors } = workerTracingOptions(tracing, true);
    return {
      ...common,
      taskQueue: serviceTaskQueue(taskQueue, role),
      activities: createServiceActivities(deps, [role]),
      ...(interceptors?.activity ? { interceptors: { activity: interceptors.activity } } : {}),
      ...serviceTuning,
    };
  }
  return {
    ...common,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: oneQueue ? createActivities(deps) : createBookingActivities(deps),
    ...workerTracingOptions(tracing, Boolean(workflowBundle)),
    ...worker,
  };
}

/** The workers of one process, run, awaited and shut down together. */
export class TripWorkers {
  readonly #workers: ReadonlyMap<WorkerRole, Worker>;

  constructor(workers: ReadonlyMap<WorkerRole, Worker>) {
    this.#workers = workers;
  }

  /** The task queue each worker polls, by role. */
  get taskQueues(): Partial<Record<WorkerRole, string>> {
    return Object.fromEntries([...this.#workers].map(([role, w]) => [role, w.options.taskQueue]));
  }

  /**
   * Each versioned worker's build in its deployment, by role: the booking's, and each service's in
   * its own (in the service's namespace over Nexus). What `npm run dev` makes current, and what a
   * worker process promotes when it is its deployment's first build.
   */
  get versions(): (WorkerVersion & { role: WorkerRole })[] {
    return [...this.#workers].flatMap(([role, w]) => {
      const deployment = w.options.workerDeploymentOptions;
      if (!deployment?.useWorkerVersioning) return [];
      const { deploymentName, buildId } = deployment.version;
      return [{ role, namespace: w.options.namespace, deploymentName, buildId }];
    });
  }

  /**
   * Runs every worker until all have stopped (after {@link shutdown}, or SIGINT/SIGTERM through
   * the Runtime). One that fails shuts the others down, and its error is thrown.
   */
  async run(): Promise<void> {
    const runs = [...this.#workers.values()].map((w) =>
      w.run().catch((error: unknown) => {
        this.shutdown();
        throw error;
      }),
    );
    const results = await Promise.allSettled(runs);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Runs the workers until `fnOrPromise` settles, then shuts them down and waits for them (as Worker.runUntil). */
  async runUntil<R>(fnOrPromise: Promise<R> | (() => Promise<R>)): Promise<R> {
    const running = this.run();
    const stopped = running.then(() => {
      throw new Error('the workers stopped before the work they ran for was done');
    });
    try {
      return await Promise.race([typeof fnOrPromise === 'function' ? fnOrPromise() : fnOrPromise, stopped]);
    } finally {
      this.shutdown();
      await running;
    }
  }

  /** Starts every running worker's shutdown (each drains as Worker.shutdown does). */
  shutdown(): void {
    for (const w of this.#workers.values()) if (w.getState() === 'RUNNING') w.shutdown();
  }

  /** RUNNING only while every worker runs; otherwise the state of the first that does not. */
  getState(): State {
    const states = [...this.#workers.values()].map((w) => w.getState());
    return states.find((state) => state === 'FAILED') ?? states.find((state) => state !== 'RUNNING') ?? 'RUNNING';
  }
}

/** The process's workers (default: every role), each created against the same connection. */
export async function createTripWorkers(options: TripWorkerOptions): Promise<TripWorkers> {
  const roles = options.oneQueue ? (['booking'] as const) : (options.roles ?? WORKER_ROLES);
  // More than one worker runs workflows (the booking's, a Nexus service's): bundle them once.
  const withWorkflows = roles.filter((role) => role === 'booking' || options.nexus?.[role]);
  const shared =
    options.workflowBundle || withWorkflows.length < 2
      ? options
      : {
          ...options,
          workflowBundle: await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: BUNDLER_LOGGER }),
        };
  const workers = new Map<WorkerRole, Worker>();
  try {
    for (const role of roles) workers.set(role, await Worker.create(tripWorkerOptions(shared, role)));
  } catch (error) {
    // The ones created hold the connection until they have run: run and stop them, then fail.
    await new TripWorkers(workers).runUntil(Promise.resolve());
    throw error;
  }
  const tripWorkers = new TripWorkers(workers);
  const healthFile = 'healthFile' in options ? options.healthFile : process.env.WORKER_HEALTH_FILE || undefined;
  if (healthFile) keepHealthFile(tripWorkers, healthFile, options.healthIntervalMs ?? 5_000);
  return tripWorkers;
}

/**
 * The worker has no HTTP port: its liveness is a file, rewritten (its mtime and the time in it)
 * each interval while the worker is RUNNING, and removed when it stops, fails or shuts down. A
 * fresh file means: the process is up, its event loop is not stuck, and the SDK's worker is
 * running (polling, or retrying to reach Temporal). The image's HEALTHCHECK checks its age.
 */
function keepHealthFile(worker: TripWorkers, file: string, intervalMs: number): void {
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
