// Worker Deployment Versioning: every worker belongs to a deployment (WORKER_DEPLOYMENT_NAME for the
// booking's, `<that>-<service>` for each service's) and a build (WORKER_BUILD_ID); bookTrip is
// PINNED, so a saga finishes on the build that started it, however long it waits. A new build takes
// new sagas once it is made current (or ramped); the old one is retired once its sagas have
// drained. A service's build takes the booking's steps once it is its deployment's current one.
// See docs/deploy.md, "Many workers, and rollouts that do not break running sagas".
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowService } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { ENCRYPTED_FAILURES_CONVERTER_PATH } from './codec.ts';
import { GrpcStatus, grpcStatusOf } from './grpc-status.ts';
import { TRACING_WORKFLOW_MODULES } from './telemetry.ts';

/** The checkout: the build ID hashes its files by their paths in it. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * What the prebuilt workflow bundle starts from (WORKFLOW_BUNDLE_OPTIONS in worker-factory.ts):
 * the workflows, the tracing interceptors and the data converter's module; paths in the checkout.
 */
const BUNDLE_ENTRIES = [
  fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
  ...TRACING_WORKFLOW_MODULES,
  ENCRYPTED_FAILURES_CONVERTER_PATH,
].map((file) => relative(ROOT, file));
/** The workspace packages the workflows import, by the sources their dist is built from. */
const WORKSPACE_SOURCES: Record<string, string> = { '@trip-saga/saga': join('packages', 'saga', 'src', 'index.ts') };
/**
 * A value import or re-export (its clause and specifier), or a require: a type import bundles
 * nothing, and neither does a list of inline types only (the bundler drops it, see importedBy).
 */
const VALUE_IMPORT =
  /(?:^|\n)\s*(?:import|export)(?!\s+type\b)(?:\s+([^'";]*?)\s*from)?\s*['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;
const INLINE_TYPES_ONLY = /^\{(?:\s*type\s+[^,}]+,?)+\s*\}$/;

/** The files a module loads in the bundle: relative imports, and workspace packages by their sources. */
function importedBy(file: string, root: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(VALUE_IMPORT)].flatMap(([, clause, imported, required]) => {
    const spec = (imported ?? required)!;
    if (clause && INLINE_TYPES_ONLY.test(clause)) return [];
    if (spec.startsWith('.')) return [resolve(dirname(file), spec)];
    const workspace = WORKSPACE_SOURCES[spec];
    return workspace ? [join(root, workspace)] : []; // other packages: their versions, not our sources
  });
}

/**
 * The sources that decide what a workflow does: every file of ours the workflow bundle carries
 * (the workflows, the booking's names, the step table, the services' step rows, the tracing
 * interceptors, the data converter) and the saga package's sources. `root`: the checkout to read.
 */
export function workflowSources(root = ROOT): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of importedBy(file, root)) visit(imported);
  };
  for (const entry of BUNDLE_ENTRIES) visit(join(root, entry));
  return [...seen];
}

/**
 * A build ID derived from the workflow code (development only: production names its builds):
 * `dev-<12 hex>` of the workflows and what they bundle, by their paths in the checkout (`root`).
 * The same code, the same build, so a restarted `npm run dev` keeps its running sagas; a change to
 * the workflow is a new build.
 */
export function buildIdFromCode(root = ROOT): string {
  const hash = createHash('sha256');
  const named = workflowSources(root).map((file) => ({ file, name: relative(root, file).split(sep).join('/') }));
  for (const { file, name } of named.sort((a, b) => (a.name < b.name ? -1 : 1)))
    hash.update(name).update('\0').update(readFileSync(file)).update('\0');
  return `dev-${hash.digest('hex').slice(0, 12)}`;
}

/** The worker's workerDeploymentOptions: this build, versioned, its workflows PINNED unless they say otherwise. */
export function workerDeploymentOptions(version: WorkerDeploymentVersion): WorkerDeploymentOptions {
  return { version, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' };
}

/**
 * A service worker's workerDeploymentOptions: its build in its service's own deployment, its
 * workflows AUTO_UPGRADE. The only workflow a service runs is serviceOperation (over Nexus): one
 * short workflow per call, which nothing needs to pin, so the service's newest current build takes
 * the in-flight ones too (their next task runs there) and an old build has nothing left to drain
 * once its running activities are done. A pinned one would hold its build up until it closed.
 */
export function serviceWorkerDeploymentOptions(version: WorkerDeploymentVersion): WorkerDeploymentOptions {
  return { version, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' };
}

/**
 * Each service's worker is a deployment of its own, named after the booking's and the service:
 * `trip-booking-flights` (the name of its task queue the activity way, too). Derived, so a test or
 * a process with a deployment of its own (WORKER_DEPLOYMENT_NAME) gets service deployments of its
 * own, and nothing more to configure; over Nexus the deployment lives in the service's namespace.
 */
export function serviceDeploymentName(bookingDeploymentName: string, service: string): string {
  return `${bookingDeploymentName}-${service}`;
}

/** One worker's build in its deployment, where that deployment lives (its namespace). */
export interface WorkerVersion {
  namespace: string;
  deploymentName: string;
  buildId: string;
}

export interface DeploymentTarget {
  service: WorkflowService;
  namespace: string;
  deploymentName: string;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until a worker of `buildId` has polled (its version exists); throws, naming it, when time runs out. */
export async function waitForVersion(
  { service, namespace, deploymentName }: DeploymentTarget,
  buildId: string,
  timeoutMs = 30_000,
): Promise<void> {
  const wanted = `${deploymentName}:${buildId}`;
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const { workerDeploymentInfo } = await service.describeWorkerDeployment({ namespace, deploymentName });
      const builds = (workerDeploymentInfo?.versionSummaries ?? []).map((v) => v.deploymentVersion?.buildId ?? '');
      if (builds.includes(buildId)) return;
      last = `builds: ${builds.join(', ') || 'none'}`;
    } catch (error) {
      last = (error as Error).message; // NotFound until the deployment's first worker polls
    }
    if (Date.now() > deadline)
      throw new Error(
        `no worker of ${wanted} has polled within ${timeoutMs} ms (${last}); start one with WORKER_BUILD_ID=${buildId}`,
      );
    await pause(500);
  }
}

/**
 * Makes `buildId` the current version: new sagas start on it. Waits for its first worker first.
 * With `conflictToken` (from a describe), the change is refused if the deployment changed since.
 */
export async function setCurrentVersion(
  target: DeploymentTarget,
  buildId: string,
  timeoutMs?: number,
  conflictToken?: Uint8Array,
): Promise<void> {
  await waitForVersion(target, buildId, timeoutMs);
  await whileRegistering(timeoutMs, () =>
    target.service.setWorkerDeploymentCurrentVersion({
      namespace: target.namespace,
      deploymentName: target.deploymentName,
      buildId,
      ...(conflictToken ? { conflictToken } : {}),
    }),
  );
}

/**
 * Runs `call` again while the server refuses it because the version's workers have polled some of
 * the current version's task queues but not yet all of them (each queue and kind registers on its
 * own first poll: a version exists a moment before it is complete), until `timeoutMs`.
 */
async function whileRegistering<T>(timeoutMs = 30_000, call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const e = error as { details?: string; message?: string };
      const registering =
        grpcStatusOf(error) === GrpcStatus.FAILED_PRECONDITION &&
        /missing active task queues/i.test(e.details ?? e.message ?? '');
      if (!registering || Date.now() > deadline) throw error;
      await pause(250);
    }
  }
}

/** Sends `percentage` of new sagas to `buildId` (the rest go to the current version); 0 with no build stops the ramp. */
export async function setRampingVersion(
  target: DeploymentTarget,
  buildId: string | undefined,
  percentage: number,
  timeoutMs?: number,
): Promise<void> {
  if (buildId) await waitForVersion(target, buildId, timeoutMs);
  await whileRegistering(timeoutMs, () =>
    target.service.setWorkerDeploymentRampingVersion({
      namespace: target.namespace,
      deploymentName: target.deploymentName,
      buildId: buildId ?? '',
      percentage,
    }),
  );
}

/** The current and ramping builds of the deployment, and the builds it knows with their status. */
export async function describeDeployment({ service, namespace, deploymentName }: DeploymentTarget) {
  const { workerDeploymentInfo: info } = await service.describeWorkerDeployment({ namespace, deploymentName });
  const routing = info?.routingConfig;
  return {
    current: routing?.currentDeploymentVersion?.buildId ?? undefined,
    ramping: routing?.rampingDeploymentVersion?.buildId
      ? { buildId: routing.rampingDeploymentVersion.buildId, percentage: routing.rampingVersionPercentage ?? 0 }
      : undefined,
    versions: (info?.versionSummaries ?? []).map((v) => ({
      buildId: v.deploymentVersion?.buildId ?? '',
      status: String(v.status ?? ''),
    })),
  };
}

/**
 * Sagas still running on `buildId`: a build may be retired (its workers stopped) only when this is
 * 0. Counted from visibility (`TemporalWorkerDeploymentVersion`), which trails by a moment.
 */
export async function openSagasOn(
  { service, namespace, deploymentName }: DeploymentTarget,
  buildId: string,
): Promise<number> {
  // The search attribute names a version `<deployment>:<build>` (the API's older string form is
  // `<deployment>.<build>`).
  const { count } = await service.countWorkflowExecutions({
    namespace,
    query: `TemporalWorkerDeploymentVersion = "${deploymentName}:${buildId}" AND ExecutionStatus = "Running"`,
  });
  return Number(count ?? 0);
}

/**
 * A deployment's first build becomes current by itself: with no current version, new sagas would
 * have no worker to run on. Once a deployment has a current build, only a rollout changes it
 * (`npm run rollout`), never a worker that starts. Returns whether it made `buildId` current.
 */
export async function promoteIfFirst(target: DeploymentTarget, buildId: string, timeoutMs?: number): Promise<boolean> {
  await waitForVersion(target, buildId, timeoutMs);
  const { service, namespace, deploymentName } = target;
  const { conflictToken, workerDeploymentInfo: info } = await service.describeWorkerDeployment({
    namespace,
    deploymentName,
  });
  // Only a deployment that never had a current build: one made current and then set back to
  // unversioned (a rollback) stays as its operator left it.
  const everCurrent =
    (info?.versionSummaries ?? []).some((v) => v.currentSinceTime) ||
    Boolean(info?.routingConfig?.currentDeploymentVersion);
  if (everCurrent) return false;
  try {
    // The token from the same describe: if another build was made current meanwhile, this is refused.
    await setCurrentVersion(target, buildId, timeoutMs, conflictToken);
    return true;
  } catch (error) {
    // The token is stale: another build went first.
    const code = grpcStatusOf(error);
    if (code === GrpcStatus.FAILED_PRECONDITION || code === GrpcStatus.ABORTED) return false;
    throw error;
  }
}

/** Makes each worker's build the current one of its deployment (`npm run dev`, the tests). */
export async function setCurrentVersions(
  service: WorkflowService,
  versions: readonly WorkerVersion[],
  timeoutMs?: number,
): Promise<void> {
  await Promise.all(
    versions.map(({ namespace, deploymentName, buildId }) =>
      setCurrentVersion({ service, namespace, deploymentName }, buildId, timeoutMs),
    ),
  );
}

/**
 * Whether `buildId` is the deployment's current build and nothing is ramping, as the server says,
 * remembered for `ttlMs`: the dev stack starts a saga eagerly (on its own worker, which pins it to
 * this build) only then. A server that does not answer: no (a plain start goes to the current build).
 */
export function localBuildIsCurrent(target: DeploymentTarget, buildId: string, ttlMs = 2_000): () => Promise<boolean> {
  let cached: { until: number; answer: Promise<boolean> } | undefined;
  return () => {
    if (cached && Date.now() < cached.until) return cached.answer;
    const answer = describeDeployment(target).then(
      ({ current, ramping }) => current === buildId && !ramping,
      () => false,
    );
    cached = { until: Date.now() + ttlMs, answer };
    return answer;
  };
}
