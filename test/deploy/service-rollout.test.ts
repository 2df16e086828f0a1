// Issue #23: each service's worker is versioned in a deployment of its own (`<booking's>-<service>`)
// with its process's build, so its team rolls it out apart from the booking's. On a real dev
// server, both ways of calling the services: a booking pinned to booking build b1 reserves its
// flight on flights build f1 and holds; the flights team starts f2 and makes it current with
// `npm run rollout -- --service flights current f2` (f1 still polls); the booking's next flight
// step, its undo, runs on f2, and the booking stays pinned to b1. As activities the step goes to
// f2's worker on the flights' queue; over Nexus the service's serviceOperation workflow of the undo
// starts on f2 (AUTO_UPGRADE, the service worker's default). `npm run rollout -- status` shows the
// four deployments. A ramp of f2 at 50 % sends some bookings' flights to f2 and the rest to f1, and
// at 0 % none.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { workflowIdFor, type BookingState } from '../../src/booking/booking.ts';
import { cancelBookingUpdate, getBookingStateQuery } from '../../src/booking/messages.ts';
import { SERVICE_NAMES } from '../../src/booking/service-contracts.ts';
import { routesFor, type ServiceName, type ServiceTransport } from '../../src/booking/service-routes.ts';
import {
  describeDeployment,
  promoteIfFirst,
  serviceDeploymentName,
  workerDeploymentOptions,
} from '../../src/temporal/versioning.ts';
import { createTripWorkers, type TripWorkers, type WorkerRole } from '../../src/temporal/worker-factory.ts';
import type { bookTrip } from '../../src/workflows/book-trip.ts';
import { bookingInput, daysFromNow, type BookingOverrides } from '../helpers/booking.ts';
import { invariantViolations, type TestDatabase } from '../helpers/db.ts';
import { ensureServiceTestEndpoints, startNexusTestServer, type NexusTestServer } from '../helpers/nexus-server.ts';
import { poll } from '../helpers/poll.ts';
import { type DevServer } from './support.ts';

const { PendingActivityState, VersioningBehavior } = proto.temporal.api.enums.v1;
/** How long a step is watched to show that no worker takes it: a step that runs takes well under a second. */
const WAIT_WATCHED_MS = 3_000;
const run = promisify(execFile);
const id = randomBytes(3).toString('hex');
let nexusServer: NexusTestServer;
let dir: string;
let server: DevServer;
let tdb: TestDatabase;
let connection: Connection;
let native: NativeConnection;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;

/** Over Nexus: each service's namespace, its task queue there for a booking queue, and the endpoints' prefix. */
const serviceNamespace = (service: ServiceName) => `${service}-${id}`;
const serviceQueue = (service: ServiceName, bookingQueue: string) => `${bookingQueue}-${service}-ops`;
const endpointPrefix = (bookingQueue: string) => `ep-${bookingQueue}`;

beforeAll(async () => {
  nexusServer = await startNexusTestServer('deploy_service_rollout', serviceNamespace);
  ({ dir, server, tdb, bundle, connection, native, client } = nexusServer);
}, 120_000);

const running = new Set<{ workers: TripWorkers; done: Promise<void> }>();
afterEach(async () => {
  for (const entry of running) {
    if (entry.workers.getState() === 'RUNNING') entry.workers.shutdown();
    await entry.done.catch(() => undefined);
  }
  running.clear();
});

afterAll(() => nexusServer?.close());

/** One way's booking queue and deployment (a fresh one per test), and where its services run. */
async function setUp(way: ServiceTransport) {
  const deploymentName = `svc-rollout-${way}-${randomBytes(3).toString('hex')}`;
  const taskQueue = deploymentName;
  const nexus =
    way === 'nexus'
      ? Object.fromEntries(
          SERVICE_NAMES.map((s) => [s, { namespace: serviceNamespace(s), taskQueue: serviceQueue(s, taskQueue) }]),
        )
      : undefined;
  if (nexus) await ensureServiceTestEndpoints(connection, endpointPrefix(taskQueue), (service) => nexus[service]!);
  const services = routesFor(SERVICE_NAMES, way, {
    bookingTaskQueue: taskQueue,
    endpointPrefix: endpointPrefix(taskQueue),
  });

  /**
   * One process's workers of `roles`, build `buildId` (the booking's deployment options, as
   * src/worker.ts passes them: each service's worker gets its own deployment), named
   * `<identity>` in the histories; each deployment's first build becomes current, as src/worker.ts does.
   */
  async function startWorkers(
    roles: WorkerRole[],
    buildId: string,
    identity: string,
    { promote = true } = {},
  ): Promise<TripWorkers> {
    const workers = await createTripWorkers({
      connection: native,
      taskQueue,
      roles,
      workflowBundle: bundle,
      dbs: tdb.dbs,
      faultInjection: false,
      ...(nexus ? { nexus } : {}),
      reconcile: { client },
      worker: {
        identity,
        shutdownGraceTime: '1s',
        workerDeploymentOptions: workerDeploymentOptions({ deploymentName, buildId }),
      },
    });
    running.add({ workers, done: workers.run() });
    if (promote)
      for (const v of workers.versions)
        await promoteIfFirst(
          { service: client.workflowService, namespace: v.namespace, deploymentName: v.deploymentName },
          v.buildId,
        );
    return workers;
  }

  async function startBooking(overrides: BookingOverrides = {}): Promise<WorkflowHandle<typeof bookTrip>> {
    const input = { ...(await bookingInput(tdb.dbs, overrides)), services };
    return client.workflow.start<typeof bookTrip>('bookTrip', {
      taskQueue,
      workflowId: workflowIdFor(input.bookingId),
      args: [input],
    });
  }

  /** `npm run rollout -- <args>` against this server and this test's deployments, with the way's settings. */
  function rollout(...args: string[]): Promise<{ stdout: string }> {
    return run(process.execPath, ['--import', 'tsx', 'scripts/rollout.ts', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        XDG_CONFIG_HOME: dir,
        TEMPORAL_ADDRESS: server.address,
        WORKER_DEPLOYMENT_NAME: deploymentName,
        SERVICES_VIA: way,
        SERVICE_NAMESPACES: SERVICE_NAMES.map((s) => `${s}=${serviceNamespace(s)}`).join(','),
      },
    });
  }

  /** Where a service's deployment lives: the booking's namespace as activities, the service's over Nexus. */
  const deploymentOf = (service: ServiceName) => ({
    service: client.workflowService,
    namespace: nexus ? serviceNamespace(service) : 'default',
    deploymentName: serviceDeploymentName(deploymentName, service),
  });

  /** How `npm run rollout -- status` names a service's deployment: `<booking's>-<service>`, with its namespace over Nexus. */
  const shownAs = (service: ServiceName) =>
    `${deploymentName}-${service}${nexus ? ` (namespace ${serviceNamespace(service)})` : ''}`;

  return { deploymentName, taskQueue, startWorkers, startBooking, rollout, deploymentOf, shownAs };
}

/** Which worker ran each of the booking's activities, by activity (the steps, the activity way). */
async function activityWorkers(handle: WorkflowHandle): Promise<Record<string, string[]>> {
  const { events } = await handle.fetchHistory();
  const names = new Map<string, string>();
  const ran: Record<string, string[]> = {};
  for (const e of events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(String(e.eventId), scheduled.activityType!.name!);
    const started = e.activityTaskStartedEventAttributes;
    if (started) (ran[names.get(String(started.scheduledEventId))!] ??= []).push(started.identity!);
  }
  return ran;
}

/**
 * Over Nexus: the service's serviceOperation workflow of `operation` for the booking (found in
 * the service's namespace by its ID, `<operation>-<bookingId>-<request id>`), with the workers
 * that ran its activity and the version it ran on.
 */
async function operationWorkflow(service: ServiceName, operation: string, bookingId: string) {
  const there = new Client({ connection, namespace: serviceNamespace(service) });
  const ids = await poll(
    async () => {
      const found: string[] = [];
      for await (const w of there.workflow.list({ query: `WorkflowType = 'serviceOperation'` }))
        if (w.workflowId.startsWith(`${operation}-${bookingId}-`)) found.push(w.workflowId);
      return found;
    },
    (found) => found.length > 0,
    { what: `the ${operation} workflow of ${bookingId} in ${serviceNamespace(service)}` },
  );
  expect(ids).toHaveLength(1);
  const handle = there.workflow.getHandle(ids[0]!);
  const { events } = await handle.fetchHistory();
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return {
    ranBy: (events ?? []).flatMap((e) => e.activityTaskStartedEventAttributes?.identity ?? []),
    behavior: VersioningBehavior[info?.behavior ?? 0],
    buildId: info?.deploymentVersion?.buildId,
  };
}

/** The version a booking is pinned to, as DescribeWorkflowExecution says it. */
async function pinnedTo(handle: WorkflowHandle) {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return { behavior: VersioningBehavior[info?.behavior ?? 0], buildId: info?.deploymentVersion?.buildId };
}

const waitForStatus = (handle: WorkflowHandle<typeof bookTrip>, status: BookingState['status']) =>
  poll(
    () => handle.query(getBookingStateQuery),
    (s) => s.status === status,
    { what: `${handle.workflowId} ${status}`, timeoutMs: 30_000 },
  );

describe.each(['activity', 'nexus'] as const)('the flights service rolls out on its own (%s way)', (way) => {
  test("a booking pinned to b1 runs its next flight step, the undo, on flights' new current build f2", async () => {
    const { deploymentName, startWorkers, startBooking, rollout, deploymentOf, shownAs } = await setUp(way);
    await startWorkers(['booking'], 'b1', 'booking-b1');
    await startWorkers(['flights'], 'f1', 'flights-f1');
    await startWorkers(['hotels', 'payments'], 's1', 'services-s1');
    // Each deployment's first build became current by itself.
    expect((await describeDeployment(deploymentOf('flights'))).current).toBe('f1');

    const held = await startBooking({ hold: { minutes: 30 } });
    await waitForStatus(held, 'HELD');

    // The flights team's rollout: f2 beside f1, made current; f1 still polls.
    await startWorkers(['flights'], 'f2', 'flights-f2');
    expect((await rollout('--service', 'flights', 'current', 'f2')).stdout).toContain('new steps run on f2');
    expect((await describeDeployment(deploymentOf('flights'))).current).toBe('f2');

    await held.executeUpdate(cancelBookingUpdate, { args: [{}] });
    await held.result().catch(() => undefined);
    expect((await held.query(getBookingStateQuery)).status).toBe('CANCELLED');
    expect(await pinnedTo(held)).toEqual({ behavior: 'VERSIONING_BEHAVIOR_PINNED', buildId: 'b1' });

    const bookingId = held.workflowId.replace(/^booking-/, '');
    if (way === 'activity') {
      expect(await activityWorkers(held)).toMatchObject({
        reserveFlight: ['flights-f1'],
        cancelFlight: ['flights-f2'],
        reserveHotel: ['services-s1'],
        cancelHotel: ['services-s1'],
      });
    } else {
      expect(await operationWorkflow('flights', 'reserveFlight', bookingId)).toEqual({
        ranBy: ['flights-f1'],
        behavior: 'VERSIONING_BEHAVIOR_AUTO_UPGRADE',
        buildId: 'f1',
      });
      expect(await operationWorkflow('flights', 'cancelFlight', bookingId)).toEqual({
        ranBy: ['flights-f2'],
        behavior: 'VERSIONING_BEHAVIOR_AUTO_UPGRADE',
        buildId: 'f2',
      });
    }

    // A new booking's flight goes to f2 as well; the booking's build is still b1.
    const fresh = await startBooking();
    expect((await fresh.result()).status).toBe('CONFIRMED');
    if (way === 'activity') expect((await activityWorkers(fresh)).reserveFlight).toEqual(['flights-f2']);
    else
      expect(
        (await operationWorkflow('flights', 'reserveFlight', fresh.workflowId.replace(/^booking-/, ''))).ranBy,
      ).toEqual(['flights-f2']);

    // f1 holds nothing any more; the status names all four deployments and their builds.
    expect((await rollout('--service', 'flights', 'drained', 'f1')).stdout).toContain(
      '0 operation workflow(s) still run on f1',
    );
    const { stdout } = await rollout('status');
    expect(stdout).toContain(`${deploymentName}: current b1`);
    expect(stdout).toContain(`${shownAs('flights')}: current f2`);
    expect(stdout).toContain(`${shownAs('hotels')}: current s1`);
    expect(stdout).toContain(`${shownAs('payments')}: current s1`);
    expect(await invariantViolations(tdb.dbs)).toEqual([]);
  });
});

describe("a service's deployment with no current build", () => {
  test("gets none of a booking's steps; its first build, made current as a worker's start makes it, takes them", async () => {
    const { startWorkers, startBooking, rollout, deploymentOf } = await setUp('activity');
    await startWorkers(['booking', 'hotels', 'payments'], 'b1', 'booking-b1');
    // A flights worker that polls, its build not made current (as if its start had not promoted it).
    await startWorkers(['flights'], 'f1', 'flights-f1', { promote: false });
    const flights = deploymentOf('flights');
    await poll(
      () => describeDeployment(flights).catch(() => undefined),
      (d) => d?.versions.some((v) => v.buildId === 'f1') ?? false,
      { what: 'f1 polling' },
    );
    expect((await rollout('--service', 'flights', 'status')).stdout).toContain(
      `${flights.deploymentName}: current none`,
    );

    const handle = await startBooking();
    await new Promise((resolve) => setTimeout(resolve, WAIT_WATCHED_MS));
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    expect(pending.map((a) => [a.activityType?.name, PendingActivityState[a.state ?? 0]])).toEqual([
      ['reserveFlight', 'PENDING_ACTIVITY_STATE_SCHEDULED'],
    ]);

    // What src/worker.ts does at start (and `npm run dev`, which makes its build current outright).
    expect(await promoteIfFirst(flights, 'f1')).toBe(true);
    expect((await handle.result()).status).toBe('CONFIRMED');
    expect((await activityWorkers(handle)).reserveFlight).toEqual(['flights-f1']);
    // Once a build was current, a worker's start changes nothing.
    expect(await promoteIfFirst(flights, 'f1')).toBe(false);
  });
});

describe('moving from unversioned service workers (the builds before this one)', () => {
  test("once the service's first versioned build is current, the steps go to it, not to the unversioned workers still polling", async () => {
    const { taskQueue, startWorkers, startBooking, deploymentOf } = await setUp('activity');
    await startWorkers(['booking', 'hotels', 'payments'], 'b1', 'booking-b1');
    const unversioned = await createTripWorkers({
      connection: native,
      taskQueue,
      roles: ['flights'],
      dbs: tdb.dbs,
      faultInjection: false,
      worker: { identity: 'flights-unversioned', shutdownGraceTime: '1s' },
    });
    expect(unversioned.versions).toEqual([]);
    running.add({ workers: unversioned, done: unversioned.run() });
    const before = await startBooking();
    expect((await before.result()).status).toBe('CONFIRMED');
    expect((await activityWorkers(before)).reserveFlight).toEqual(['flights-unversioned']);

    await startWorkers(['flights'], 'f1', 'flights-f1'); // its start makes f1 current
    expect((await describeDeployment(deploymentOf('flights'))).current).toBe('f1');
    const after = await Promise.all([startBooking(), startBooking(), startBooking()]);
    for (const handle of after) {
      expect((await handle.result()).status).toBe('CONFIRMED');
      expect((await activityWorkers(handle)).reserveFlight).toEqual(['flights-f1']);
    }
  });
});

describe.each(['activity', 'nexus'] as const)('a ramp of the flights service (%s way)', (way) => {
  test('sends part of the new flight steps to the ramping build, and none once its ramp is 0 %', async () => {
    const { startWorkers, startBooking, rollout, deploymentOf, shownAs } = await setUp(way);
    await startWorkers(['booking', 'hotels', 'payments'], 'b1', 'booking-b1');
    await startWorkers(['flights'], 'f1', 'flights-f1');
    await startWorkers(['flights'], 'f2', 'flights-f2', { promote: false });
    const flights = deploymentOf('flights');
    await poll(
      () => describeDeployment(flights),
      (d) => d.versions.some((v) => v.buildId === 'f2'),
      { what: 'f2 polling' },
    );

    expect((await rollout('--service', 'flights', 'ramp', 'f2', '50')).stdout).toContain('50 % of new steps run on f2');
    expect((await rollout('--service', 'flights', 'status')).stdout).toContain(
      `${shownAs('flights')}: current f1, ramping f2 at 50 %`,
    );
    // Which build takes a step is decided per workflow: 16 bookings all on one build would be a
    // 1 in 32,768 chance. They stay a night of their own (each way its own), so that the file's
    // other bookings leave them rooms.
    const night = way === 'activity' ? 30 : 33;
    const stay = {
      flight: { date: daysFromNow(night) },
      hotel: { checkIn: daysFromNow(night), checkOut: daysFromNow(night + 1) },
    };
    const bookings = (n: number) => Promise.all(Array.from({ length: n }, () => startBooking(stay)));
    const ramped = await flightBuildsOf(await bookings(16));
    expect(new Set(ramped)).toEqual(new Set(['flights-f1', 'flights-f2']));

    await rollout('--service', 'flights', 'ramp', 'f2', '0');
    const after = await flightBuildsOf(await bookings(4));
    expect(after).toEqual(['flights-f1', 'flights-f1', 'flights-f1', 'flights-f1']);
    expect(await invariantViolations(tdb.dbs)).toEqual([]);
  });

  /** The worker that reserved each booking's flight, once each booking confirmed. */
  async function flightBuildsOf(handles: WorkflowHandle<typeof bookTrip>[]): Promise<string[]> {
    const ranBy: string[] = [];
    for (const handle of handles) {
      expect((await handle.result()).status).toBe('CONFIRMED');
      const bookingId = handle.workflowId.replace(/^booking-/, '');
      ranBy.push(
        ...(way === 'activity'
          ? ((await activityWorkers(handle)).reserveFlight ?? [])
          : (await operationWorkflow('flights', 'reserveFlight', bookingId)).ranBy),
      );
    }
    return ranBy;
  }
});
