// Issue #23: the booking's workflows on their task queue, each service's activities on a queue of
// its own (here, the flights'), run by the service's own workers. bookTrip is PINNED: where does a
// pinned booking's next step go when the service's workers are versioned? On a real dev server:
// - The service's queue polled by a deployment of its own ("flights"): a step goes to that
//   deployment's current build, whichever booking build is pinned, so the service rolls out on its
//   own. A step waits while no worker of the current build polls, and moves once the next build is
//   made current; a deployment with no current build (its first, not yet promoted) gets nothing.
// - Polled by the booking's own deployment (all in one process): a step goes to the pinned build's
//   workers on that queue and waits for them, even while a newer build's workers poll it; and so
//   it still does after the service has moved to a deployment of its own.
// - Polled by an unversioned worker: the step runs there.
// The server's rule (VersioningBehavior in the API's protos): a pinned workflow's activity goes to
// the workflow's version when its queue is in that version, else to the current version of the
// queue's own deployment. A queue is in a version once the version's workers have polled it, and
// stays in it after they stop.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import proto from '@temporalio/proto';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { setCurrentVersion, workerDeploymentOptions } from '../../src/temporal/versioning.ts';
import { serviceActivities } from '../fixtures/service-queues/activities.ts';
import {
  nextStepSignal,
  ranByQuery,
  type stepsOnServiceQueue,
  type StepsInput,
} from '../fixtures/service-queues/workflows.ts';
import { poll } from '../helpers/poll.ts';
import { quietLogger } from '../helpers/temporal.ts';
import { startTemporalDevServer, type DevServer } from './support.ts';

const { PendingActivityState, VersioningBehavior } = proto.temporal.api.enums.v1;
const namespace = 'default';
/** How long a step is watched to show that no worker takes it: a step that runs takes well under a second. */
const WAIT_WATCHED_MS = 3_000;

let dir: string;
let server: DevServer;
let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;
const running = new Set<RunningWorker>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trip-service-queues-'));
  [server, bundle] = await Promise.all([
    startTemporalDevServer(dir),
    bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../fixtures/service-queues/workflows.ts', import.meta.url)),
      logger: quietLogger,
    }),
  ]);
  connection = await Connection.connect({ address: server.address });
  nativeConnection = await NativeConnection.connect({ address: server.address });
  client = new Client({ connection });
});

/** Each test's workers stop when it ends: the next test polls only with its own. */
async function stopWorkers(): Promise<void> {
  await Promise.all([...running].map((worker) => worker.stop()));
}

afterEach(stopWorkers);

afterAll(async () => {
  await stopWorkers();
  await nativeConnection?.close();
  await connection?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A test's own task queues and deployment names, so no test sees another's versions. */
function freshNames() {
  const id = randomUUID().slice(0, 8);
  return {
    queues: { booking: `bookings-${id}`, flights: `bookings-${id}-flights` },
    deployments: { booking: `booking-${id}`, flights: `flights-${id}` },
  };
}

interface RunningWorker {
  stop(): Promise<void>;
}

/**
 * A worker on `queue`: the booking's workflows, or else the flights' activity, which answers with
 * `name` (e.g. `flights:f1`), so a booking's result says which worker took each step. Versioned as
 * `version` (PINNED by default, as src/temporal/versioning.ts sets it), or unversioned without one.
 */
async function startWorker(options: {
  name: string;
  queue: string;
  version?: WorkerDeploymentVersion;
  workflows?: boolean;
}): Promise<RunningWorker> {
  const { name, queue, version, workflows } = options;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: queue,
    identity: name,
    shutdownGraceTime: '1s',
    ...(workflows ? { workflowBundle: bundle } : { activities: serviceActivities(name) }),
    ...(version ? { workerDeploymentOptions: workerDeploymentOptions(version) } : {}),
  });
  const run = worker.run();
  const handle: RunningWorker = {
    stop: async () => {
      running.delete(handle);
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run;
    },
  };
  running.add(handle);
  return handle;
}

/** The task queues a version's workers have polled, as the server lists them (each registers on its first poll). */
async function taskQueuesOf(version: WorkerDeploymentVersion): Promise<string[]> {
  const { workerDeploymentVersionInfo: info } = await client.workflowService.describeWorkerDeploymentVersion({
    namespace,
    deploymentVersion: version,
  });
  return (info?.taskQueueInfos ?? []).map((q) => q.name ?? '');
}

/** Waits until `version`'s workers have polled every one of `queues`, so the server counts them in it. */
async function pollingOn(version: WorkerDeploymentVersion, queues: string[]): Promise<void> {
  await poll(
    () => taskQueuesOf(version),
    (polled) => queues.every((q) => polled.includes(q)),
    { what: `${version.deploymentName}:${version.buildId} polling ${queues.join(', ')}`, intervalMs: 200 },
  );
}

/**
 * Makes `version` its deployment's current build once its workers poll every one of `queues`: a
 * queue the version has not polled yet is not part of it, and its steps would be routed elsewhere.
 */
async function makeCurrent(version: WorkerDeploymentVersion, queues: string[]): Promise<void> {
  await pollingOn(version, queues);
  const target = { service: client.workflowService, namespace, deploymentName: version.deploymentName };
  await setCurrentVersion(target, version.buildId);
}

type Booking = WorkflowHandle<typeof stepsOnServiceQueue>;

function startBooking(queues: { booking: string; flights: string }, steps: number): Promise<Booking> {
  const input: StepsInput = { serviceQueue: queues.flights, steps };
  return client.workflow.start<typeof stepsOnServiceQueue>('stepsOnServiceQueue', {
    taskQueue: queues.booking,
    workflowId: `booking-${randomUUID()}`,
    args: [input],
  });
}

/** Who ran each step, once the booking has taken `count` of them. */
const stepsTaken = (booking: Booking, count: number) =>
  poll(
    () => booking.query(ranByQuery),
    (ranBy) => ranBy.length >= count,
    { what: `${booking.workflowId} to take step ${count}` },
  );

/** Lets the booking schedule its next step, and waits until a worker has run it. */
async function nextStep(booking: Booking): Promise<string[]> {
  const before = (await booking.query(ranByQuery)).length;
  await booking.signal(nextStepSignal);
  return stepsTaken(booking, before + 1);
}

/** Lets the booking schedule its next step, and shows that, while it is watched, no worker starts it. */
async function nextStepWaits(booking: Booking): Promise<void> {
  const before = await booking.query(ranByQuery);
  await booking.signal(nextStepSignal);
  await stillWaiting(booking, before);
}

/** For WAIT_WATCHED_MS the booking takes no step beyond `taken`: its next one stays scheduled, unstarted. */
async function stillWaiting(booking: Booking, taken: string[]): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, WAIT_WATCHED_MS));
  expect(await booking.query(ranByQuery)).toEqual(taken);
  const pending = (await booking.describe()).raw.pendingActivities ?? [];
  expect(pending.map((activity) => PendingActivityState[activity.state ?? 0])).toEqual([
    'PENDING_ACTIVITY_STATE_SCHEDULED',
  ]);
}

/** The version a booking is pinned to, as DescribeWorkflowExecution says it. */
async function pinnedTo(booking: Booking) {
  const info = (await booking.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return {
    behavior: VersioningBehavior[info?.behavior ?? 0],
    deploymentName: info?.deploymentVersion?.deploymentName,
    buildId: info?.deploymentVersion?.buildId,
  };
}

/** The workers that completed the booking's workflow tasks. */
async function workflowWorkers(booking: Booking): Promise<Set<string>> {
  const { events } = await booking.fetchHistory();
  return new Set((events ?? []).flatMap((e) => e.workflowTaskCompletedEventAttributes?.identity ?? []));
}

describe("a pinned booking's steps on a service's own task queue, polled by the service's own deployment", () => {
  test("follow the service deployment's current build across a service rollout; the booking's build stays", async () => {
    const { queues, deployments } = freshNames();
    const b1 = { deploymentName: deployments.booking, buildId: 'b1' };
    const f1 = { deploymentName: deployments.flights, buildId: 'f1' };
    const f2 = { deploymentName: deployments.flights, buildId: 'f2' };
    await startWorker({ name: 'booking:b1', queue: queues.booking, version: b1, workflows: true });
    const flightsF1 = await startWorker({ name: 'flights:f1', queue: queues.flights, version: f1 });
    await makeCurrent(b1, [queues.booking]);
    await makeCurrent(f1, [queues.flights]);

    const booking = await startBooking(queues, 3);
    expect(await stepsTaken(booking, 1)).toEqual(['flights:f1']);

    // The flights team rolls out f2 on its own: f2 polls and is made current while f1 still polls.
    await startWorker({ name: 'flights:f2', queue: queues.flights, version: f2 });
    await makeCurrent(f2, [queues.flights]);
    expect(await nextStep(booking)).toEqual(['flights:f1', 'flights:f2']);

    // f1 retired: the steps that follow run on f2 too.
    await flightsF1.stop();
    expect(await nextStep(booking)).toEqual(['flights:f1', 'flights:f2', 'flights:f2']);

    expect(await booking.result()).toEqual(['flights:f1', 'flights:f2', 'flights:f2']);
    expect(await pinnedTo(booking)).toEqual({
      behavior: 'VERSIONING_BEHAVIOR_PINNED',
      deploymentName: deployments.booking,
      buildId: 'b1',
    });
    expect(await workflowWorkers(booking)).toEqual(new Set(['booking:b1']));
  });

  test('a step with no worker of the current service build waits, and runs on the next build once that is current', async () => {
    const { queues, deployments } = freshNames();
    const b1 = { deploymentName: deployments.booking, buildId: 'b1' };
    const f1 = { deploymentName: deployments.flights, buildId: 'f1' };
    const f2 = { deploymentName: deployments.flights, buildId: 'f2' };
    await startWorker({ name: 'booking:b1', queue: queues.booking, version: b1, workflows: true });
    const flightsF1 = await startWorker({ name: 'flights:f1', queue: queues.flights, version: f1 });
    await makeCurrent(b1, [queues.booking]);
    await makeCurrent(f1, [queues.flights]);
    const booking = await startBooking(queues, 2);
    expect(await stepsTaken(booking, 1)).toEqual(['flights:f1']);

    // f1 stopped before f2 is current: the next step is f1's, and waits for it.
    await flightsF1.stop();
    await nextStepWaits(booking);
    // f2 polls, but a build that is not current takes none of it.
    await startWorker({ name: 'flights:f2', queue: queues.flights, version: f2 });
    await pollingOn(f2, [queues.flights]);
    await stillWaiting(booking, ['flights:f1']);
    // Made current, f2 takes the waiting step.
    await makeCurrent(f2, [queues.flights]);
    expect(await booking.result()).toEqual(['flights:f1', 'flights:f2']);
  });

  test('a service deployment with no current build gets no step: its first build must be made current', async () => {
    const { queues, deployments } = freshNames();
    const b1 = { deploymentName: deployments.booking, buildId: 'b1' };
    const f1 = { deploymentName: deployments.flights, buildId: 'f1' };
    await startWorker({ name: 'booking:b1', queue: queues.booking, version: b1, workflows: true });
    await startWorker({ name: 'flights:f1', queue: queues.flights, version: f1 });
    await makeCurrent(b1, [queues.booking]);
    await pollingOn(f1, [queues.flights]);

    const booking = await startBooking(queues, 1);
    await stillWaiting(booking, []);
    await makeCurrent(f1, [queues.flights]);
    expect(await booking.result()).toEqual(['flights:f1']);
  });
});

describe("a pinned booking's steps on a service's queue polled by the booking's own deployment (all in one process)", () => {
  test("go to the pinned build's workers on that queue, after a rollout too, and wait for them", async () => {
    const { queues, deployments } = freshNames();
    const b1 = { deploymentName: deployments.booking, buildId: 'b1' };
    const b2 = { deploymentName: deployments.booking, buildId: 'b2' };
    const both = [queues.booking, queues.flights];
    await startWorker({ name: 'booking:b1', queue: queues.booking, version: b1, workflows: true });
    const flightsB1 = await startWorker({ name: 'booking:b1', queue: queues.flights, version: b1 });
    await makeCurrent(b1, both);
    const booking = await startBooking(queues, 3);
    expect(await stepsTaken(booking, 1)).toEqual(['booking:b1']);

    // The booking rolls out b2 on both queues; a new booking runs on b2 alone.
    await startWorker({ name: 'booking:b2', queue: queues.booking, version: b2, workflows: true });
    await startWorker({ name: 'booking:b2', queue: queues.flights, version: b2 });
    await makeCurrent(b2, both);
    expect(await (await startBooking(queues, 1)).result()).toEqual(['booking:b2']);

    // The booking pinned to b1 sends its next step to b1's worker on the flights' queue.
    expect(await nextStep(booking)).toEqual(['booking:b1', 'booking:b1']);
    // With b1's flights worker stopped (b1's workflow worker still up), the step waits: b2's
    // worker on that queue, which polls, does not take it. So b1 keeps its workers on every queue
    // it polled until its bookings have drained.
    await flightsB1.stop();
    await nextStepWaits(booking);
    await startWorker({ name: 'booking:b1', queue: queues.flights, version: b1 });
    expect(await booking.result()).toEqual(['booking:b1', 'booking:b1', 'booking:b1']);
    expect(await pinnedTo(booking)).toMatchObject({ deploymentName: deployments.booking, buildId: 'b1' });
  });

  test("moved to a deployment of its own, the service takes new bookings' steps; the old build's bookings still want the old build's workers", async () => {
    const { queues, deployments } = freshNames();
    const b1 = { deploymentName: deployments.booking, buildId: 'b1' };
    const b2 = { deploymentName: deployments.booking, buildId: 'b2' };
    const f1 = { deploymentName: deployments.flights, buildId: 'f1' };
    await startWorker({ name: 'booking:b1', queue: queues.booking, version: b1, workflows: true });
    const flightsB1 = await startWorker({ name: 'booking:b1', queue: queues.flights, version: b1 });
    await makeCurrent(b1, [queues.booking, queues.flights]);
    const booking = await startBooking(queues, 3);
    expect(await stepsTaken(booking, 1)).toEqual(['booking:b1']);

    // The split: b2 polls the booking's queue only; the flights' queue gets a deployment of its own.
    await startWorker({ name: 'booking:b2', queue: queues.booking, version: b2, workflows: true });
    await startWorker({ name: 'flights:f1', queue: queues.flights, version: f1 });
    await makeCurrent(f1, [queues.flights]);
    await makeCurrent(b2, [queues.booking]);
    expect(await (await startBooking(queues, 1)).result()).toEqual(['flights:f1']);

    // The booking pinned to b1 still sends its steps to b1's worker on the flights' queue, and
    // waits for it when it is gone, though flights:f1 is current there and polls.
    expect(await nextStep(booking)).toEqual(['booking:b1', 'booking:b1']);
    await flightsB1.stop();
    await nextStepWaits(booking);
    await startWorker({ name: 'booking:b1', queue: queues.flights, version: b1 });
    expect(await booking.result()).toEqual(['booking:b1', 'booking:b1', 'booking:b1']);
  });
});

describe("a pinned booking's steps on a service's queue polled by an unversioned worker", () => {
  test('run there', async () => {
    const { queues, deployments } = freshNames();
    const b1 = { deploymentName: deployments.booking, buildId: 'b1' };
    await startWorker({ name: 'booking:b1', queue: queues.booking, version: b1, workflows: true });
    await startWorker({ name: 'unversioned', queue: queues.flights });
    await makeCurrent(b1, [queues.booking]);

    const booking = await startBooking(queues, 1);
    expect(await booking.result()).toEqual(['unversioned']);
    expect(await pinnedTo(booking)).toMatchObject({ behavior: 'VERSIONING_BEHAVIOR_PINNED', buildId: 'b1' });
  });
});
