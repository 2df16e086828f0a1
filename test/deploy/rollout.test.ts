// A rollout while sagas wait, with Worker Deployment Versioning on a real dev server: build v1 is
// current; sagas start on it and wait for an operator; build v2 comes up and is made current; new
// sagas run on v2, the waiting ones finish on v1 (bookTrip is PINNED), and v1 is retired only once
// none of its sagas runs. Then v3 is ramped to half of the new sagas.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHotelService } from '../../src/activities/hotels/activities.ts';
import { workflowIdFor, type BookingState } from '../../src/booking/booking.ts';
import { getBookingStateQuery, resolveCompensationUpdate } from '../../src/booking/messages.ts';
import { WORKFLOW_BUNDLE_OPTIONS, createTripWorkers, type TripWorkers } from '../../src/temporal/worker-factory.ts';
import { temporalCli } from '../../src/temporal/executables.ts';
import {
  describeDeployment,
  openSagasOn,
  promoteIfFirst,
  setCurrentVersion,
  setRampingVersion,
  workerDeploymentOptions,
  type DeploymentTarget,
} from '../../src/temporal/versioning.ts';
import type { bookTrip } from '../../src/workflows/book-trip.ts';
import { CARDS, bookingInput, type BookingOverrides } from '../helpers/booking.ts';
import { createTestDatabase, invariantViolations, type TestDatabase } from '../helpers/db.ts';
import { poll } from '../helpers/poll.ts';
import { quietLogger } from '../helpers/temporal.ts';
import { startTemporalDevServer, type DevServer } from './support.ts';

const run = promisify(execFile);
let dir: string;
let temporal: DevServer;
let tdb: TestDatabase;
let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;
const deploymentName = `trip-booking-test-${randomUUID().slice(0, 8)}`;
const taskQueue = `rollout-${randomUUID()}`;
let target: DeploymentTarget;
const workers = new Map<string, { worker: TripWorkers; running: Promise<void> }>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trip-rollout-'));
  [temporal, tdb, bundle] = await Promise.all([
    startTemporalDevServer(dir),
    createTestDatabase('deploy_rollout'),
    bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: quietLogger }),
  ]);
  connection = await Connection.connect({ address: temporal.address });
  nativeConnection = await NativeConnection.connect({ address: temporal.address });
  client = new Client({ connection });
  target = { service: client.workflowService, namespace: 'default', deploymentName };
  await startServices();
});

afterAll(async () => {
  for (const { worker, running } of workers.values()) {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
  }
  await nativeConnection?.close();
  await connection?.close();
  await temporal?.stop();
  await tdb?.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * The booking's worker of one build, named after it so histories say which build did each task.
 * The services' workers are not the booking's builds: here unversioned, one set for every build
 * (startServices); each service's own versioned rollout is test/deploy/service-rollout.test.ts's.
 */
async function startBuild(buildId: string, deployment = deploymentName): Promise<void> {
  const worker = await createTripWorkers({
    connection: nativeConnection,
    taskQueue: deployment === deploymentName ? taskQueue : `${taskQueue}-${deployment}`,
    roles: ['booking'],
    workflowBundle: bundle,
    dbs: tdb.dbs,
    faultInjection: true,
    worker: {
      identity: `worker-${buildId}`,
      shutdownGraceTime: '1s',
      workerDeploymentOptions: workerDeploymentOptions({ deploymentName: deployment, buildId }),
    },
  });
  workers.set(`${deployment}/${buildId}`, { worker, running: worker.run() });
}

/** Every service's worker, beside the booking's task queue, whatever the booking's build. */
async function startServices(): Promise<void> {
  const worker = await createTripWorkers({
    connection: nativeConnection,
    taskQueue,
    roles: ['flights', 'hotels', 'payments'],
    dbs: tdb.dbs,
    faultInjection: true,
    worker: { identity: SERVICES_IDENTITY, shutdownGraceTime: '1s' },
  });
  workers.set('services', { worker, running: worker.run() });
}
const SERVICES_IDENTITY = 'worker-services';

/** `npm run rollout -- <args>` against this test's server and deployment. */
function rollout(...args: string[]): Promise<{ stdout: string }> {
  return run(process.execPath, ['--import', 'tsx', 'scripts/rollout.ts', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      XDG_CONFIG_HOME: dir,
      TEMPORAL_ADDRESS: temporal.address,
      WORKER_DEPLOYMENT_NAME: deploymentName,
    },
  });
}

async function stopBuild(buildId: string): Promise<void> {
  const entry = workers.get(`${deploymentName}/${buildId}`)!;
  entry.worker.shutdown();
  await entry.running;
}

async function startBooking(overrides: BookingOverrides = {}): Promise<WorkflowHandle<typeof bookTrip>> {
  const input = await bookingInput(tdb.dbs, overrides);
  return client.workflow.start<typeof bookTrip>('bookTrip', {
    taskQueue,
    workflowId: workflowIdFor(input.bookingId),
    args: [input],
  });
}

/** The build a saga is pinned to, as DescribeWorkflowExecution says it. */
async function pinnedBuild(handle: WorkflowHandle): Promise<{ behavior: string; buildId: string | undefined }> {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  const behavior =
    info?.behavior === undefined || info.behavior === null
      ? 'none'
      : proto.temporal.api.enums.v1.VersioningBehavior[info.behavior];
  return { behavior, buildId: info?.deploymentVersion?.buildId ?? undefined };
}

/** Every worker identity that completed a workflow task or started an activity of this saga. */
async function identitiesIn(handle: WorkflowHandle): Promise<Set<string>> {
  const { events } = await handle.fetchHistory();
  return new Set(
    (events ?? [])
      .flatMap((e) => [
        e.workflowTaskCompletedEventAttributes?.identity,
        e.activityTaskStartedEventAttributes?.identity,
      ])
      .filter((x): x is string => Boolean(x)),
  );
}

const waitForStatus = (handle: WorkflowHandle<typeof bookTrip>, status: BookingState['status']) =>
  poll(
    () => handle.query(getBookingStateQuery),
    (s) => s.status === status,
    { what: `${handle.workflowId} ${status}`, timeoutMs: 30_000 },
  );

describe('a new deployment', () => {
  test('its first build becomes current by itself, only one of two that start at once, and never again after that', async () => {
    const fresh = { ...target, deploymentName: `${deploymentName}-first` };
    await Promise.all([startBuild('a', fresh.deploymentName), startBuild('b', fresh.deploymentName)]);
    const promoted = await Promise.all([promoteIfFirst(fresh, 'a'), promoteIfFirst(fresh, 'b')]);
    expect(promoted.filter(Boolean)).toHaveLength(1);
    const winner = promoted[0] ? 'a' : 'b';
    expect((await describeDeployment(fresh)).current).toBe(winner);
    // A worker of the other build that starts later changes nothing: only a rollout does.
    expect(await promoteIfFirst(fresh, winner === 'a' ? 'b' : 'a')).toBe(false);
    expect((await describeDeployment(fresh)).current).toBe(winner);
  });
});

describe('a rollout while sagas wait', () => {
  test('new sagas go to the new build, waiting ones finish on the build that started them, and the old build drains before it is retired', async () => {
    await startBuild('v1');
    await setCurrentVersion(target, 'v1');
    expect((await describeDeployment(target)).current).toBe('v1');

    // Two sagas on v1 that wait for an operator: a declined card, and an undo that fails for good.
    const waiting = await Promise.all(
      [0, 1].map(() => startBooking({ card: CARDS.declined, faults: { cancelHotel: 'fail' } })),
    );
    for (const handle of waiting) await waitForStatus(handle, 'COMPENSATION_FAILED');

    // The operator's way: `npm run rollout -- current v2` (it waits for v2's first poll).
    await startBuild('v2');
    expect((await rollout('current', 'v2')).stdout).toContain('new sagas start on v2');
    expect((await describeDeployment(target)).current).toBe('v2');

    const fresh = await startBooking();
    expect((await fresh.result()).status).toBe('CONFIRMED');
    expect(await pinnedBuild(fresh)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_PINNED', buildId: 'v2' });
    // The workflow's tasks and its read-model writes on v2; its steps on the services' workers.
    expect(await identitiesIn(fresh)).toEqual(new Set(['worker-v2', SERVICES_IDENTITY]));

    // v1 still has open sagas: it may not go yet.
    await poll(
      () => openSagasOn(target, 'v1'),
      (n) => n === 2,
      { what: 'two open sagas on v1 in visibility' },
    );
    await expect(rollout('drained', 'v1')).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringContaining('2 saga(s) still run on v1') as unknown,
    });

    // The operator cancels each hotel by hand and resolves; they finish on v1, the build that started them.
    for (const handle of waiting) {
      await createHotelService(tdb.dbs.hotels).cancelHotel({ bookingId: handle.workflowId.replace(/^booking-/, '') });
      expect(await pinnedBuild(handle)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_PINNED', buildId: 'v1' });
      await handle.executeUpdate(resolveCompensationUpdate, { args: [{ note: 'hotel cancelled by phone' }] });
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
      expect(await handle.query(getBookingStateQuery)).toMatchObject({
        status: 'FAILED',
        failure: { type: 'CardDeclined' },
        resolution: { note: 'hotel cancelled by phone' },
      });
      expect(await identitiesIn(handle)).toEqual(new Set(['worker-v1', SERVICES_IDENTITY]));
    }
    // `temporal workflow describe` says the same.
    const { stdout } = await run(temporalCli()!.path, [
      'workflow',
      'describe',
      '-w',
      waiting[0]!.workflowId,
      '--address',
      temporal.address,
      '-o',
      'json',
    ]);
    const described = JSON.parse(stdout) as {
      workflowExecutionInfo: {
        versioningInfo: { behavior: string; deploymentVersion: { deploymentName: string; buildId: string } };
      };
    };
    expect(described.workflowExecutionInfo.versioningInfo).toMatchObject({
      behavior: 'VERSIONING_BEHAVIOR_PINNED',
      deploymentVersion: { deploymentName, buildId: 'v1' },
    });

    // Drained: nothing runs on v1 any more, so its workers may stop.
    await poll(
      () => openSagasOn(target, 'v1'),
      (n) => n === 0,
      { what: 'v1 drained', timeoutMs: 30_000 },
    );
    expect((await rollout('drained', 'v1')).stdout).toContain('0 saga(s) still run on v1');
    await stopBuild('v1');
    expect(await invariantViolations(tdb.dbs)).toEqual([]);
  });

  test('a ramp sends part of the new sagas to the next build, the rest to the current one', async () => {
    await startBuild('v3');
    await setRampingVersion(target, 'v3', 50);
    expect((await describeDeployment(target)).ramping).toEqual({ buildId: 'v3', percentage: 50 });

    const handles = await Promise.all(Array.from({ length: 16 }, () => startBooking()));
    for (const handle of handles) expect((await handle.result()).status).toBe('CONFIRMED');
    const builds = await Promise.all(handles.map(async (h) => (await pinnedBuild(h)).buildId));
    const on = (b: string) => builds.filter((x) => x === b).length;
    // 16 sagas at 50 %: all on one build has a chance of 2 in 65,536.
    expect(on('v2') + on('v3')).toBe(16);
    expect(on('v2')).toBeGreaterThan(0);
    expect(on('v3')).toBeGreaterThan(0);

    // Ramped to the end, v3 becomes current: every new saga goes there.
    await setCurrentVersion(target, 'v3');
    const after = await startBooking();
    expect((await after.result()).status).toBe('CONFIRMED');
    expect((await pinnedBuild(after)).buildId).toBe('v3');
    expect(await describeDeployment(target)).toMatchObject({ current: 'v3', ramping: undefined });
  });
});
