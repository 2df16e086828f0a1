// The saga's waits and Temporal's operator tools over Nexus, on one real `temporal server start-dev`:
// each service in its own namespace behind its endpoint, its operations run as serviceOperation
// workflows there. A hold is confirmed, expires, or is cancelled; an undo that fails for good waits
// for an operator's retry and resolve; `temporal activity pause`/`update-options`/`unpause` act in
// the service's namespace; an operator terminates a service's workflow while the booking waits on
// it; a booking is reset (`temporal workflow reset`) and its operations run again against the
// services; and a booking terminated mid-step leaves its service's workflow running, which the
// reconciler's undos make harmless.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client, Connection, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { workflowIdFor, type BookingState } from '../../src/booking/booking.ts';
import {
  cancelBookingUpdate,
  confirmHoldUpdate,
  getBookingStateQuery,
  resolveCompensationUpdate,
  retryCompensationUpdate,
} from '../../src/booking/messages.ts';
import { SERVICE_NAMES } from '../../src/booking/service-contracts.ts';
import { routesFor, type ServiceName } from '../../src/booking/service-routes.ts';
import { createHotelService } from '../../src/activities/hotels/activities.ts';
import { setCurrentVersion, workerDeploymentOptions } from '../../src/temporal/versioning.ts';
import { createTripWorkers, type TripWorkers } from '../../src/temporal/worker-factory.ts';
import type { bookTrip } from '../../src/workflows/book-trip.ts';
import type { ReconcileResult, reconcileBookings } from '../../src/workflows/reconcile.ts';
import {
  CARDS,
  FLIGHT,
  HOTEL,
  VAULT_KEY,
  bookingInput,
  paymentRef,
  type BookingOverrides,
} from '../helpers/booking.ts';
import { createBookingService } from '../../src/api/bookings/service.ts';
import { invariantViolations, rowCountsFor, serviceRows, type TestDatabase } from '../helpers/db.ts';
import { ensureServiceTestEndpoints, startNexusTestServer, type NexusTestServer } from '../helpers/nexus-server.ts';
import { poll } from '../helpers/poll.ts';
import {
  compensationsFrom,
  compensationsOf,
  everyStep,
  failedAt,
  runningAt,
  statesOf,
  step,
  undoneBefore,
  waitingBefore,
} from '../helpers/steps.ts';
import { type DevServer } from '../deploy/support.ts';

const exec = promisify(execFile);
const id = randomBytes(3).toString('hex');
let nexusServer: NexusTestServer;
let server: DevServer;
let tdb: TestDatabase;
let connection: Connection;
let native: NativeConnection;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;

/** Each service's namespace and task queue there, and its endpoint's name prefix. */
const serviceNamespace = (service: ServiceName) => `${service}-${id}`;
const serviceQueue = (service: ServiceName) => `${service}-ops-${id}`;
const ENDPOINT_PREFIX = `trip-${id}`;
const serviceClients = {} as Record<ServiceName, Client>;
/** Each service's worker, in its namespace, for the whole file: a service's worker outlives any one booking's. */
let serviceWorkers: TripWorkers | undefined;
let servicesRunning: Promise<void> | undefined;

beforeAll(async () => {
  nexusServer = await startNexusTestServer('nexus_operator_tools', serviceNamespace);
  ({ server, tdb, bundle, connection, native, client } = nexusServer);
  await ensureServiceTestEndpoints(connection, ENDPOINT_PREFIX, (service) => ({
    namespace: serviceNamespace(service),
    taskQueue: serviceQueue(service),
  }));
  for (const service of SERVICE_NAMES)
    serviceClients[service] = new Client({ connection, namespace: serviceNamespace(service) });
  serviceWorkers = await createTripWorkers({
    connection: native,
    roles: SERVICE_NAMES,
    workflowBundle: bundle,
    dbs: tdb.dbs,
    faultInjection: true,
    nexus: Object.fromEntries(
      SERVICE_NAMES.map((s) => [s, { namespace: serviceNamespace(s), taskQueue: serviceQueue(s) }]),
    ),
    worker: { shutdownGraceTime: '1s' },
  });
  servicesRunning = serviceWorkers.run();
}, 120_000);

afterAll(async () => {
  serviceWorkers?.shutdown();
  await servicesRunning;
  await nexusServer?.close();
});

type Handle = WorkflowHandle<typeof bookTrip>;
interface Starter {
  (overrides?: BookingOverrides): Promise<Handle>;
  taskQueue: string;
  services: ReturnType<typeof routesFor>;
}

/** The booking's worker (versioned, as in production: bookTrip is PINNED) on a fresh booking queue. */
async function withWorkers<T>(body: (start: Starter) => Promise<T>): Promise<T> {
  const taskQueue = `nexus-ops-${randomBytes(4).toString('hex')}`;
  const workers: TripWorkers = await createTripWorkers({
    connection: native,
    taskQueue,
    roles: ['booking'],
    workflowBundle: bundle,
    dbs: tdb.dbs,
    faultInjection: true,
    // A terminated booking's row counts as unwound at once.
    reconcile: { client, goneAfterMs: 0 },
    worker: {
      shutdownGraceTime: '1s',
      workerDeploymentOptions: workerDeploymentOptions({ deploymentName: taskQueue, buildId: 'b1' }),
    },
  });
  const services = routesFor(SERVICE_NAMES, 'nexus', { bookingTaskQueue: taskQueue, endpointPrefix: ENDPOINT_PREFIX });
  return workers.runUntil(async () => {
    await setCurrentVersion({ service: client.workflowService, namespace: 'default', deploymentName: taskQueue }, 'b1');
    const start = async (overrides: BookingOverrides = {}) => {
      const input = { ...(await bookingInput(tdb.dbs, overrides)), services };
      return client.workflow.start<typeof bookTrip>('bookTrip', {
        taskQueue,
        workflowId: workflowIdFor(input.bookingId),
        args: [input],
      });
    };
    return body(Object.assign(start, { taskQueue, services }));
  });
}

const bookingIdOf = (handle: WorkflowHandle) => handle.workflowId.replace(/^booking-/, '');
const stateOf = (handle: Handle) => handle.query(getBookingStateQuery);

/**
 * The booking's end, within `ms`: its final state and the workflow's error, if any. A booking that
 * does not end in time fails the test with what it last showed (a wedged saga, not a slow one).
 */
async function finish(handle: Handle, ms = 30_000): Promise<{ state: BookingState; error?: unknown }> {
  let error: unknown;
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    handle.result().then(
      () => true,
      (e: unknown) => ((error = e), true),
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  const state = await stateOf(handle);
  if (!ended)
    throw new Error(
      `booking ${handle.workflowId} did not end within ${ms} ms: ${state.status}, ${JSON.stringify(state.steps)}`,
    );
  return { state, ...(error ? { error } : {}) };
}

/** Polls the booking's query until `until` holds. */
const until = (handle: Handle, what: string, holds: (s: BookingState) => boolean, timeoutMs = 30_000) =>
  poll(() => stateOf(handle), holds, { what: `${handle.workflowId}: ${what}`, timeoutMs, intervalMs: 100 });

/** `temporal <args>` against this file's dev server. */
async function temporalCli(...args: string[]): Promise<string> {
  const { stdout } = await exec('temporal', [...args, '--address', server.address], { timeout: 60_000 });
  return stdout;
}

/** The serviceOperation workflows one service ran (or runs) for a booking's operation, as its namespace lists them. */
async function operations(
  service: ServiceName,
  operation: string,
  bookingId: string,
): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const w of serviceClients[service].workflow.list({
    query: `WorkflowType = 'serviceOperation' AND WorkflowId STARTS_WITH '${operation}-${bookingId}-'`,
  }))
    found.push(w);
  return found;
}

/** Polls the service's visibility until it lists `count` workflows of the operation (each settled if `closed`). */
function operationsListed(service: ServiceName, operation: string, bookingId: string, count: number, closed = false) {
  return poll(
    () => operations(service, operation, bookingId),
    (ws) => ws.length === count && (!closed || ws.every((w) => w.status.name !== 'RUNNING')),
    { what: `${count} ${operation} workflow(s) of ${bookingId} in ${service}'s namespace`, timeoutMs: 20_000 },
  );
}

/** Every serviceOperation workflow of the booking that is still running, in any service's namespace. */
async function runningOperations(bookingId: string): Promise<string[]> {
  const running: string[] = [];
  for (const service of SERVICE_NAMES) {
    for await (const w of serviceClients[service].workflow.list({
      query: `WorkflowType = 'serviceOperation' AND ExecutionStatus = 'Running'`,
    }))
      if (w.workflowId.includes(bookingId)) running.push(`${service}: ${w.workflowId.split(`-${bookingId}`)[0]}`);
  }
  return running.sort();
}

/** Polls the services' visibility (which may trail a close a moment) until exactly `expected` of the booking run. */
const expectRunning = (bookingId: string, expected: string[]) =>
  poll(
    () => runningOperations(bookingId),
    (running) => JSON.stringify(running) === JSON.stringify([...expected].sort()),
    { what: `running operations of ${bookingId} to be [${expected.join(', ')}]`, timeoutMs: 10_000 },
  );

/** The pending activity of a serviceOperation workflow: its ID (for the CLI), attempt and whether it is paused. */
async function pendingActivity(handle: WorkflowHandle) {
  const [activity] = (await handle.describe()).raw.pendingActivities ?? [];
  return activity
    ? {
        activityId: activity.activityId ?? '',
        type: activity.activityType?.name ?? '',
        attempt: activity.attempt ?? 0,
        paused: Boolean(activity.paused),
        /** The retry policy's maximum interval in seconds, as the activity's options now say. */
        maximumIntervalS: Number(activity.activityOptions?.retryPolicy?.maximumInterval?.seconds ?? NaN),
      }
    : undefined;
}

/** The one running workflow of a booking's operation in its service's namespace, once its activity is at `attempt`. */
async function retryingOperation(service: ServiceName, operation: string, bookingId: string, attempt: number) {
  const [info] = await poll(
    () => operations(service, operation, bookingId),
    (ws) => ws.length === 1,
    { what: `${operation} of ${bookingId} in ${service}'s namespace`, timeoutMs: 20_000 },
  );
  const handle = serviceClients[service].workflow.getHandle(info!.workflowId, info!.runId);
  const activity = await poll(
    () => pendingActivity(handle),
    (a) => a?.type === operation && a.attempt >= attempt,
    { what: `${operation} of ${bookingId} at attempt ${attempt}`, timeoutMs: 20_000 },
  );
  return { handle, activity: activity! };
}

/** Runs reconciler passes until one gives the booking back (visibility may trail the terminate a moment). */
async function reconcileUntilGivenBack(
  start: Starter,
  bookingId: string,
): Promise<ReconcileResult['gaveBack'][number]> {
  let pass = 0;
  const result = await poll(
    () =>
      client.workflow.execute<typeof reconcileBookings>('reconcileBookings', {
        taskQueue: start.taskQueue,
        workflowId: `reconcile-${bookingId}-${++pass}`,
        args: [{ batch: 10, services: start.services }],
      }),
    (r) => r.gaveBack.some((b) => b.bookingId === bookingId),
    { what: `a reconciler pass to give back ${bookingId}`, timeoutMs: 30_000, intervalMs: 500 },
  );
  return result.gaveBack.find((b) => b.bookingId === bookingId)!;
}

// ---------- 1. Holds ----------

test('a hold over Nexus: HELD with flight and hotel reserved by their services; the confirm charges in the payments namespace; CONFIRMED', async () => {
  const customerId = `hold-${randomUUID().slice(0, 8)}`;
  const result = await withWorkers(async (start) => {
    const handle = await start({ customerId, hold: { minutes: 30 } });
    const held = await until(handle, 'HELD', (s) => s.status === 'HELD');
    expect(statesOf(held)).toEqual(waitingBefore('payment'));
    const rows = await serviceRows(tdb.dbs, bookingIdOf(handle));
    expect([rows.flight?.status, rows.hotel?.status, rows.payment]).toEqual(['RESERVED', 'RESERVED', null]);
    expect(await operations('payments', 'chargePayment', bookingIdOf(handle))).toEqual([]);

    const confirmed = await handle.executeUpdate(confirmHoldUpdate, {
      args: [{ payment: await paymentRef(tdb.dbs, customerId, CARDS.good) }],
    });
    expect(confirmed.status).toBe('PENDING');
    return finish(handle);
  });
  expect(result.state.status).toBe('CONFIRMED');
  expect(statesOf(result.state)).toEqual(everyStep('DONE'));
  const bookingId = result.state.bookingId;
  const rows = await serviceRows(tdb.dbs, bookingId);
  expect(rows.payment).toMatchObject({
    status: 'CAPTURED',
    amountCents: result.state.flight!.priceCents! + result.state.hotel!.priceCents!,
  });
  // The charge ran as the payments service's own workflow, in its namespace.
  const [charge] = await operationsListed('payments', 'chargePayment', bookingId, 1, true);
  expect(charge!.status.name).toBe('COMPLETED');
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
});

test('a hold over Nexus that expires: EXPIRED, the hotel and the flight undone by their services, nothing charged', async () => {
  const result = await withWorkers(async (start) => {
    // The API takes whole minutes (1–1440); the workflow takes any: three seconds here.
    const handle = await start({ hold: { minutes: 0.05 } });
    await until(handle, 'HELD', (s) => s.status === 'HELD');
    return finish(handle);
  });
  const { state } = result;
  expect(state.status).toBe('EXPIRED');
  expect(result.error).toBeUndefined();
  expect(state.failure).toMatchObject({ step: 'payment', type: 'HoldExpired' });
  expect(statesOf(state)).toEqual(undoneBefore('payment'));
  expect(compensationsOf(state)).toEqual(compensationsFrom('hotel'));
  const rows = await serviceRows(tdb.dbs, state.bookingId);
  expect([rows.flight?.status, rows.hotel?.status, rows.payment, rows.booking?.status]).toEqual([
    'CANCELLED',
    'CANCELLED',
    null,
    'EXPIRED',
  ]);
  // Each undo was an operation of its service, in its namespace; the payments service saw nothing.
  for (const [service, operation] of [
    ['hotels', 'cancelHotel'],
    ['flights', 'cancelFlight'],
  ] as const)
    expect((await operationsListed(service, operation, state.bookingId, 1, true))[0]!.status.name).toBe('COMPLETED');
  expect(await operations('payments', 'chargePayment', state.bookingId)).toEqual([]);
  expect(await operations('payments', 'refundPayment', state.bookingId)).toEqual([]);
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
});

test('a hold over Nexus cancelled while HELD: CANCELLED at the payment step, everything given back', async () => {
  const result = await withWorkers(async (start) => {
    const handle = await start({ hold: { minutes: 30 } });
    await until(handle, 'HELD', (s) => s.status === 'HELD');
    await handle.executeUpdate(cancelBookingUpdate, { args: [{ reason: 'changed my mind' }] });
    return finish(handle);
  });
  const { state } = result;
  expect(state.status).toBe('CANCELLED');
  expect(state.failure).toMatchObject({ step: 'payment', type: 'Cancelled' });
  expect(compensationsOf(state)).toEqual(compensationsFrom('hotel'));
  const rows = await serviceRows(tdb.dbs, state.bookingId);
  expect([rows.flight?.status, rows.hotel?.status, rows.payment]).toEqual(['CANCELLED', 'CANCELLED', null]);
  await expectRunning(state.bookingId, []);
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
});

// ---------- 2. The operator's wait ----------

test("the operator's wait over Nexus: a hotel undo that fails for good waits COMPENSATION_FAILED; a retry runs it again in the hotels namespace; a resolve after a fix by hand ends it FAILED", async () => {
  const result = await withWorkers(async (start) => {
    const handle = await start({ card: CARDS.declined, faults: { cancelHotel: 'fail' } });
    const bookingId = bookingIdOf(handle);
    const stuck = await until(handle, 'COMPENSATION_FAILED', (s) => s.status === 'COMPENSATION_FAILED');
    expect(stuck.failure).toMatchObject({ step: 'payment', type: 'CardDeclined' });
    expect(statesOf(stuck)).toEqual(failedAt('payment', { hotel: 'COMPENSATION_FAILED' }));
    expect(compensationsOf(stuck)).toEqual(
      compensationsFrom('payment', { payment: 'NOTHING_TO_UNDO', hotel: 'FAILED' }),
    );
    // The failure read through the Nexus operation to the hotel service's own.
    expect(step(stuck, 'hotel').undo).toMatchObject({
      activity: 'cancelHotel',
      outcome: 'FAILED',
      error: { type: 'InjectedFailure' },
    });
    const [firstUndo] = await operationsListed('hotels', 'cancelHotel', bookingId, 1, true);
    expect(firstUndo!.status.name).toBe('FAILED');
    // The room is still held, the seat given back.
    let rows = await serviceRows(tdb.dbs, bookingId);
    expect([rows.flight?.status, rows.hotel?.status, rows.payment?.status]).toEqual([
      'CANCELLED',
      'RESERVED',
      'VOIDED',
    ]);

    // The operator's retry: a new call of the undo, a second workflow in the hotels namespace; it fails again.
    await handle.executeUpdate(retryCompensationUpdate, { args: [{ by: 'ops' }] });
    const again = await until(
      handle,
      'COMPENSATION_FAILED again',
      (s) => s.status === 'COMPENSATION_FAILED' && s.compensations.length === 4,
    );
    expect(compensationsOf(again).at(-1)).toBe('cancelHotel:FAILED');
    expect(again.retriedBy).toEqual(['ops']);
    const undos = await operationsListed('hotels', 'cancelHotel', bookingId, 2, true);
    expect(new Set(undos.map((u) => u.workflowId)).size).toBe(2);

    // A person cancels the room with the hotel by hand, then resolves: the booking ends.
    await createHotelService(tdb.dbs.hotels).cancelHotel({ bookingId });
    await handle.executeUpdate(resolveCompensationUpdate, { args: [{ note: 'cancelled by phone', by: 'ops' }] });
    const done = await finish(handle);
    rows = await serviceRows(tdb.dbs, bookingId);
    expect(rows.hotel?.status).toBe('CANCELLED');
    return done;
  });
  expect(result.state.status).toBe('FAILED');
  expect(result.state.resolution).toMatchObject({ note: 'cancelled by phone', by: 'ops' });
  expect(result.state.failure).toMatchObject({ step: 'payment', type: 'CardDeclined' });
  expect((await serviceRows(tdb.dbs, result.state.bookingId)).booking?.status).toBe('FAILED');
  await expectRunning(result.state.bookingId, []);
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
});

// ---------- 3. Activity pause in the service's namespace ----------

test('temporal activity pause in the payments namespace: no attempt while paused, the booking waits on its operation; update-options and unpause: CONFIRMED', async () => {
  const result = await withWorkers(async (start) => {
    // The payment provider fails three times (attempts at 0, 1, 3 s), then answers (7 s).
    const handle = await start({ faults: { chargePayment: 'transient:3' } });
    const bookingId = bookingIdOf(handle);
    const { handle: op, activity } = await retryingOperation('payments', 'chargePayment', bookingId, 2);
    const namespace = serviceNamespace('payments');
    const target = ['--namespace', namespace, '--workflow-id', op.workflowId, '--activity-id', activity.activityId];
    await temporalCli('activity', 'pause', ...target, '--reason', 'payment provider outage');
    const paused = await poll(
      () => pendingActivity(op),
      (a) => a?.paused === true,
      { what: 'the charge paused' },
    );
    // Longer than the backoff before the next attempt (at most 4 s): none is made.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    // The row's policy until the operator changes it: backing off up to 10 minutes.
    expect(await pendingActivity(op)).toMatchObject({ paused: true, attempt: paused!.attempt, maximumIntervalS: 600 });
    const waiting = await stateOf(handle);
    expect(waiting.status).toBe('PENDING');
    expect(statesOf(waiting)).toEqual(runningAt('payment'));
    // The booking waits on the payment's Nexus operation, started and not done.
    const pendingOps = (await handle.describe()).raw.pendingNexusOperations ?? [];
    expect(pendingOps.map((o) => o.operation)).toEqual(['chargePayment']);

    await temporalCli(
      'activity',
      'update-options',
      ...target,
      '--retry-initial-interval',
      '1s',
      '--retry-maximum-interval',
      '1s',
    );
    expect(await pendingActivity(op)).toMatchObject({ paused: true, maximumIntervalS: 1 });
    await temporalCli('activity', 'unpause', ...target);
    return finish(handle);
  });
  expect(result.state.status).toBe('CONFIRMED');
  // Three injected failures, then the fourth attempt: the attempt count went on through the pause.
  expect(step(result.state, 'payment')).toMatchObject({ state: 'DONE', attempts: 4 });
  expect((await serviceRows(tdb.dbs, result.state.bookingId)).payment?.status).toBe('CAPTURED');
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
});

// ---------- 4. A service's workflow terminated ----------

test("an operator terminates the payments service's workflow while the booking waits on it: the operation fails, the saga unwinds, everything is given back", async () => {
  const result = await withWorkers(async (start) => {
    // The provider fails for a long while: the charge's workflow retries, the booking waits.
    const handle = await start({ faults: { chargePayment: 'transient:40' } });
    const bookingId = bookingIdOf(handle);
    const { handle: op } = await retryingOperation('payments', 'chargePayment', bookingId, 2);
    await temporalCli(
      'workflow',
      'terminate',
      '--namespace',
      serviceNamespace('payments'),
      '--workflow-id',
      op.workflowId,
      '--reason',
      'operator: stuck charge',
    );
    return finish(handle);
  });
  const { state } = result;
  expect(state.status).toBe('FAILED');
  // The failure inside the Nexus operation's is the terminate itself (the operator's reason does not cross).
  expect(state.failure).toMatchObject({ step: 'payment', type: 'TerminatedFailure' });
  expect(state.failure?.message).toMatch(/terminated/);
  expect(step(state, 'payment').error?.type).toBe('TerminatedFailure');
  expect(compensationsOf(state)).toEqual(compensationsFrom('payment', { payment: 'NOTHING_TO_UNDO' }));
  expect(statesOf(state)).toEqual(failedAt('payment'));
  const rows = await serviceRows(tdb.dbs, state.bookingId);
  // The refund left a tombstone: a charge of the terminated workflow that still lands takes nothing.
  expect([rows.flight?.status, rows.hotel?.status, rows.payment?.status, rows.booking?.status]).toEqual([
    'CANCELLED',
    'CANCELLED',
    'VOIDED',
    'FAILED',
  ]);
  const [charge] = await operationsListed('payments', 'chargePayment', state.bookingId, 1, true);
  expect(charge!.status.name).toBe('TERMINATED');
  await expectRunning(state.bookingId, []);
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
});

// ---------- 5. Reset of a booking ----------

/** The ID of the WorkflowTaskCompleted event whose task scheduled an operation: a reset to it runs that task again. */
async function taskThatScheduled(handle: WorkflowHandle, operation: string): Promise<string> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.findIndex((e) => e.nexusOperationScheduledEventAttributes?.operation === operation);
  expect(scheduled).toBeGreaterThan(0);
  const completed = events
    .slice(0, scheduled)
    .reverse()
    .find((e) => e.workflowTaskCompletedEventAttributes);
  return String(completed!.eventId);
}

test('temporal workflow reset of a CONFIRMED booking over Nexus (to before its payment, then to its first task): the operations run again, nothing is taken twice', async () => {
  const bookingId = await withWorkers(async (start) => {
    const handle = await start();
    const first = await finish(handle);
    expect(first.state.status).toBe('CONFIRMED');
    const bookingId = first.state.bookingId;
    const before = await serviceRows(tdb.dbs, bookingId);
    const workflowId = workflowIdFor(bookingId);
    const runs = [(await handle.describe()).runId];

    const rerun = async (args: string[]) => {
      await temporalCli('workflow', 'reset', '--workflow-id', workflowId, ...args);
      const latest = client.workflow.getHandle<typeof bookTrip>(workflowId);
      await poll(
        async () => (await latest.describe()).runId,
        (runId) => !runs.includes(runId),
        { what: 'the reset run' },
      );
      runs.push((await latest.describe()).runId);
      const again = await finish(latest);
      expect(again.state.status).toBe('CONFIRMED');
      expect(statesOf(again.state)).toEqual(everyStep('DONE'));
      // The same reservations and the same payment: found again, not taken again.
      expect(again.state.payment?.paymentId).toBe(first.state.payment?.paymentId);
      expect(again.state.flight?.reservationId).toBe(first.state.flight?.reservationId);
      expect(again.state.hotel?.reservationId).toBe(first.state.hotel?.reservationId);
      expect(await rowCountsFor(tdb.dbs, bookingId)).toEqual({ bookings: 1, flights: 1, hotels: 1, payments: 1 });
      const rows = await serviceRows(tdb.dbs, bookingId);
      expect(rows.payment).toMatchObject({ status: 'CAPTURED', amountCents: before.payment!.amountCents });
      expect(rows.payment?.id).toBe(before.payment?.id);
      expect([rows.flight?.status, rows.hotel?.status]).toEqual(['RESERVED', 'RESERVED']);
    };

    // To the workflow task that scheduled the charge: only the payment's operation runs again.
    await rerun([
      '--event-id',
      await taskThatScheduled(handle, 'chargePayment'),
      '--reason',
      'test: rerun the payment',
    ]);
    expect((await operationsListed('payments', 'chargePayment', bookingId, 2, true)).map((w) => w.status.name)).toEqual(
      ['COMPLETED', 'COMPLETED'],
    );
    expect(await operations('flights', 'reserveFlight', bookingId)).toHaveLength(1);
    expect(await operations('hotels', 'reserveHotel', bookingId)).toHaveLength(1);

    // To its first workflow task: every step's operation runs again.
    await rerun(['--type', 'FirstWorkflowTask', '--reason', 'test: rerun every step']);
    await operationsListed('flights', 'reserveFlight', bookingId, 2, true);
    await operationsListed('hotels', 'reserveHotel', bookingId, 2, true);
    await operationsListed('payments', 'chargePayment', bookingId, 3, true);
    // A reset of a closed run leaves it as it was (completed) and adds a run; a reconciler's pass
    // leaves the booking alone (its latest run completed, its row CONFIRMED).
    expect(runs).toHaveLength(3);
    const statuses = await Promise.all(
      runs.map(async (runId) => (await client.workflow.getHandle(workflowId, runId).describe()).status.name),
    );
    expect(statuses).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    const pass = await client.workflow.execute<typeof reconcileBookings>('reconcileBookings', {
      taskQueue: start.taskQueue,
      workflowId: `reconcile-after-reset-${bookingId}`,
      args: [{ batch: 10, services: start.services }],
    });
    expect(pass.gaveBack.map((b) => b.bookingId)).not.toContain(bookingId);
    expect(pass.failed.map((b) => b.bookingId)).not.toContain(bookingId);
    return bookingId;
  });
  expect((await serviceRows(tdb.dbs, bookingId)).booking?.status).toBe('CONFIRMED');
  await expectRunning(bookingId, []);
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
});

test("temporal workflow reset --type FirstWorkflowTask of a FAILED booking over Nexus: the rerun finds the first run's undos and takes nothing", async () => {
  const { first, again } = await withWorkers(async (start) => {
    const handle = await start({ card: CARDS.declined });
    const first = await finish(handle);
    expect(first.state.status).toBe('FAILED');
    const workflowId = workflowIdFor(first.state.bookingId);
    const firstRun = (await handle.describe()).runId;
    await temporalCli(
      'workflow',
      'reset',
      '--workflow-id',
      workflowId,
      '--type',
      'FirstWorkflowTask',
      '--reason',
      'test: rerun a failed booking',
    );
    const latest = client.workflow.getHandle<typeof bookTrip>(workflowId);
    await poll(
      async () => (await latest.describe()).runId,
      (runId) => runId !== firstRun,
      { what: 'the reset run' },
    );
    return { first, again: await finish(latest) };
  });
  expect(first.state.failure).toMatchObject({ step: 'payment', type: 'CardDeclined' });
  // The flight's service keeps the first run's cancel as the booking's reservation: a second
  // reserve of the booking is refused, so the rerun fails at once and books nothing.
  expect(again.state.status).toBe('FAILED');
  expect(again.state.failure).toMatchObject({ step: 'flight', type: 'AlreadyCompensated' });
  const bookingId = first.state.bookingId;
  expect(await rowCountsFor(tdb.dbs, bookingId)).toEqual({ bookings: 1, flights: 1, hotels: 1, payments: 1 });
  const rows = await serviceRows(tdb.dbs, bookingId);
  expect([rows.flight?.status, rows.hotel?.status, rows.payment?.status, rows.booking?.status]).toEqual([
    'CANCELLED',
    'CANCELLED',
    'VOIDED',
    'FAILED',
  ]);
  expect(await operations('hotels', 'reserveHotel', bookingId)).toHaveLength(1);
  await expectRunning(bookingId, []);
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
});

// ---------- 6. A booking terminated mid-step ----------

test("a booking terminated while its payment's operation runs: the service's workflow runs on in its namespace; the reconciler gives everything back and the late charge takes nothing", async () => {
  const result = await withWorkers(async (start) => {
    // Started as the API starts it, which writes the booking's PENDING row: the reconciler gives back
    // open rows (a saga on the happy path writes none of its own until its end).
    const bookings = createBookingService({
      client,
      db: tdb.dbs.booking,
      payments: tdb.dbs.payments,
      taskQueue: start.taskQueue,
      serviceRoutes: start.services,
      config: {
        temporalUiUrl: 'http://ui.invalid',
        temporalNamespace: 'default',
        faultInjection: true,
        cardVaultKey: VAULT_KEY,
      },
    });
    // The provider fails four times (attempts at 0, 1, 3, 7 s), then would charge.
    const { view } = await bookings.start({
      customerId: `terminated-${randomUUID().slice(0, 8)}`,
      flight: FLIGHT,
      hotel: HOTEL,
      payment: { card: CARDS.good },
      faults: { chargePayment: 'transient:4' },
    });
    const bookingId = view.bookingId;
    const handle = client.workflow.getHandle<typeof bookTrip>(workflowIdFor(bookingId));
    const { handle: op, activity } = await retryingOperation('payments', 'chargePayment', bookingId, 2);
    await handle.terminate('an operator terminated the booking');

    // What the terminate left: the charge's workflow, still running in the payments namespace.
    expect((await op.describe()).status.name).toBe('RUNNING');
    await expectRunning(bookingId, ['payments: chargePayment']);
    expect((await serviceRows(tdb.dbs, bookingId)).booking?.status).toBe('PENDING');

    // The operator holds the leftover charge (paused in its namespace) while the reconciler passes,
    // so that it lands after the pass, as a late attempt would; then lets it go, retrying every second.
    const target = [
      '--namespace',
      serviceNamespace('payments'),
      '--workflow-id',
      op.workflowId,
      '--activity-id',
      activity.activityId,
    ];
    await temporalCli('activity', 'pause', ...target, '--reason', 'held while the reconciler passes');
    const gaveBack = await reconcileUntilGivenBack(start, bookingId);
    const afterPass = await serviceRows(tdb.dbs, bookingId);
    await temporalCli(
      'activity',
      'update-options',
      ...target,
      '--retry-initial-interval',
      '1s',
      '--retry-maximum-interval',
      '1s',
    );
    await temporalCli('activity', 'unpause', ...target);
    // The charge lands after the refund's tombstone: it fails for good, and takes nothing.
    const failure = await op.result().then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: Error & { cause?: { type?: string } } },
    );
    return { bookingId, gaveBack, afterPass, failure };
  });
  const { bookingId, gaveBack, afterPass, failure } = result;
  expect(gaveBack.cause).toBe('WorkflowTerminated');
  expect(gaveBack.undos.map((u) => `${u.activity}:${u.outcome}`)).toEqual(
    compensationsFrom('payment', { payment: 'NOTHING_TO_UNDO' }),
  );
  expect([
    afterPass.flight?.status,
    afterPass.hotel?.status,
    afterPass.payment?.status,
    afterPass.booking?.status,
  ]).toEqual(['CANCELLED', 'CANCELLED', 'VOIDED', 'TERMINATED']);
  expect(failure?.cause?.cause?.type).toBe('AlreadyCompensated');
  const rows = await serviceRows(tdb.dbs, bookingId);
  expect(rows.payment?.status).toBe('VOIDED');
  expect(await rowCountsFor(tdb.dbs, bookingId)).toEqual({ bookings: 1, flights: 1, hotels: 1, payments: 1 });
  // The reconciler's undos ran in the services' own namespaces too.
  await operationsListed('payments', 'refundPayment', bookingId, 1, true);
  await operationsListed('hotels', 'cancelHotel', bookingId, 1, true);
  await operationsListed('flights', 'cancelFlight', bookingId, 1, true);
  await expectRunning(bookingId, []);
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
});
