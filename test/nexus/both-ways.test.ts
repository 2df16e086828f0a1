// The saga's contract, both ways of calling its services, on one real `temporal server start-dev`
// (Nexus does not run on the time-skipping server): as activities on each service's task queue
// in the booking's namespace, and as Nexus operations on each service's endpoint, handled in the
// service's own namespace by its own worker. The same bookings end the same way either way; over
// Nexus, each step is a Nexus operation in the booking's history and a workflow of the service's
// own, and a user's cancel while a step runs reaches the service.
import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { workflowIdFor, type BookingState } from '../../src/booking/booking.ts';
import { giveBackWorkflowIdFor } from '../../src/booking/unwound.ts';
import { SOLD_OUT_FLIGHT } from '../../src/booking/scenarios.ts';
import { cancelBookingUpdate, getBookingStateQuery } from '../../src/booking/messages.ts';
import { SERVICE_NAMES } from '../../src/booking/service-contracts.ts';
import { routesFor, type ServiceName, type ServiceTransport } from '../../src/booking/service-routes.ts';
import { setCurrentVersions, workerDeploymentOptions } from '../../src/temporal/versioning.ts';
import { createTripWorkers, type TripWorkers } from '../../src/temporal/worker-factory.ts';
import type { bookTrip } from '../../src/workflows/book-trip.ts';
import type { giveBackBooking } from '../../src/workflows/give-back.ts';
import type { reconcileBookings } from '../../src/workflows/reconcile.ts';
import { CARDS, VAULT_KEY, bookingInput, type BookingOverrides } from '../helpers/booking.ts';
import { createBookingService } from '../../src/api/bookings/service.ts';
import { invariantViolations, refuseUpdate, serviceRows, type TestDatabase } from '../helpers/db.ts';
import { ensureServiceTestEndpoints, startNexusTestServer, type NexusTestServer } from '../helpers/nexus-server.ts';
import { poll } from '../helpers/poll.ts';
import { everyStep, failedAt, statesOf, step, unwindFrom } from '../helpers/steps.ts';

const id = randomBytes(3).toString('hex');
let nexusServer: NexusTestServer;
let tdb: TestDatabase;
let connection: Connection;
let native: NativeConnection;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;

/** Each service's namespace and task queue there, and its endpoint's name prefix. */
const serviceNamespace = (service: ServiceName) => `${service}-${id}`;
const serviceQueue = (service: ServiceName) => `${service}-ops-${id}`;
const ENDPOINT_PREFIX = `trip-${id}`;

beforeAll(async () => {
  nexusServer = await startNexusTestServer('nexus_both_ways', serviceNamespace);
  ({ tdb, bundle, connection, native, client } = nexusServer);
  await ensureServiceTestEndpoints(connection, ENDPOINT_PREFIX, (service) => ({
    namespace: serviceNamespace(service),
    taskQueue: serviceQueue(service),
  }));
}, 120_000);

afterAll(() => nexusServer?.close());

interface Run {
  handle: WorkflowHandle<typeof bookTrip>;
  state: BookingState;
  error?: unknown;
}

/** Every worker of one way, on a fresh booking queue; `body` runs while they run. */
async function withWorkers<T>(transport: ServiceTransport, body: (start: Starter) => Promise<T>): Promise<T> {
  const taskQueue = `both-ways-${transport}-${randomBytes(4).toString('hex')}`;
  const nexus =
    transport === 'nexus'
      ? Object.fromEntries(
          SERVICE_NAMES.map((s) => [s, { namespace: serviceNamespace(s), taskQueue: serviceQueue(s) }]),
        )
      : undefined;
  const workers: TripWorkers = await createTripWorkers({
    connection: native,
    taskQueue,
    workflowBundle: bundle,
    dbs: tdb.dbs,
    faultInjection: true,
    ...(nexus ? { nexus } : {}),
    // A closed workflow's row counts as gone at once: the reconciler's test terminates one.
    reconcile: { client, goneAfterMs: 0 },
    // Every worker is versioned, as in production (bookTrip is PINNED): the booking's in the queue's
    // deployment, each service's with the same build in its own (`<queue>-<service>`, in the
    // service's namespace over Nexus).
    worker: {
      shutdownGraceTime: '1s',
      workerDeploymentOptions: workerDeploymentOptions({ deploymentName: taskQueue, buildId: 'b1' }),
    },
  });
  const services = routesFor(SERVICE_NAMES, transport, {
    bookingTaskQueue: taskQueue,
    endpointPrefix: ENDPOINT_PREFIX,
  });
  return workers.runUntil(async () => {
    // Once each worker polls, its build becomes its deployment's current one.
    await setCurrentVersions(client.workflowService, workers.versions);
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
type Starter = ((overrides?: BookingOverrides) => Promise<WorkflowHandle<typeof bookTrip>>) & {
  taskQueue: string;
  services: ReturnType<typeof routesFor>;
};

async function finish(handle: WorkflowHandle<typeof bookTrip>): Promise<Run> {
  let error: unknown;
  await handle.result().catch((e: unknown) => (error = e));
  return { handle, state: await handle.query(getBookingStateQuery), ...(error ? { error } : {}) };
}

/** Each step's service call as the booking's history records it: a Nexus operation or an activity. */
async function callsIn(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((e) => {
    const nexus = e.nexusOperationScheduledEventAttributes;
    if (nexus) return [`nexus ${nexus.endpoint}: ${nexus.operation}`];
    const activity = e.activityTaskScheduledEventAttributes;
    if (activity && activity.activityType?.name !== 'syncBooking') return [`activity ${activity.activityType?.name}`];
    return [];
  });
}

describe.each(['activity', 'nexus'] as const)('%s way: the failure table holds', (transport) => {
  test('a booking that succeeds is CONFIRMED, charged the sum of the reserved prices, every row as it should be', async () => {
    const run = await withWorkers(transport, async (start) => finish(await start()));
    expect(run.state.status).toBe('CONFIRMED');
    expect(statesOf(run.state)).toEqual(everyStep('DONE'));
    const rows = await serviceRows(tdb.dbs, run.state.bookingId);
    expect([rows.flight?.status, rows.hotel?.status, rows.payment?.status]).toEqual([
      'RESERVED',
      'RESERVED',
      'CAPTURED',
    ]);
    expect(rows.payment?.amountCents).toBe(run.state.flight!.priceCents! + run.state.hotel!.priceCents!);
    const calls = await callsIn(run.handle);
    expect(calls).toEqual(
      transport === 'nexus'
        ? [
            `nexus ${ENDPOINT_PREFIX}-flights: reserveFlight`,
            `nexus ${ENDPOINT_PREFIX}-hotels: reserveHotel`,
            `nexus ${ENDPOINT_PREFIX}-payments: chargePayment`,
          ]
        : ['activity reserveFlight', 'activity reserveHotel', 'activity chargePayment'],
    );
  });

  test('a declined card: FAILED at payment with CardDeclined; refund, hotel, flight undone in reverse', async () => {
    const run = await withWorkers(transport, async (start) => finish(await start({ card: CARDS.declined })));
    expect(run.state.status).toBe('FAILED');
    expect(run.state.failure).toMatchObject({ step: 'payment', type: 'CardDeclined' });
    expect(run.state.compensations.map((c) => c.activity)).toEqual(unwindFrom('payment'));
    expect(run.error).toBeInstanceOf(WorkflowFailedError);
    const rows = await serviceRows(tdb.dbs, run.state.bookingId);
    expect([rows.flight?.status, rows.hotel?.status]).toEqual(['CANCELLED', 'CANCELLED']);
  });

  test('a sold-out flight fails at once with FlightSoldOut, nothing to undo but its tombstone', async () => {
    const run = await withWorkers(transport, async (start) =>
      finish(await start({ flight: { flightNumber: SOLD_OUT_FLIGHT } })),
    );
    expect(run.state.status).toBe('FAILED');
    expect(statesOf(run.state)).toEqual(failedAt('flight'));
    expect(run.state.failure).toMatchObject({ step: 'flight', type: 'FlightSoldOut' });
    expect(run.state.compensations).toEqual([{ step: 'flight', activity: 'cancelFlight', outcome: 'NOTHING_TO_UNDO' }]);
  });

  test('a hotel that fails twice is retried by its service, and the ledger says which attempt did it', async () => {
    const run = await withWorkers(transport, async (start) =>
      finish(await start({ faults: { reserveHotel: 'transient:2' } })),
    );
    expect(run.state.status).toBe('CONFIRMED');
    expect(step(run.state, 'hotel').attempts).toBe(3);
  });

  test("a user's cancel while the hotel is being reserved reaches the hotel service; everything is undone", async () => {
    const run = await withWorkers(transport, async (start) => {
      // The hotel does its work, then answers only after its attempt's timeout: the cancel comes meanwhile.
      const handle = await start({ faults: { reserveHotel: 'timeout' } });
      await poll(
        () => handle.query(getBookingStateQuery),
        (s) => step(s, 'hotel').state === 'RUNNING',
        { what: 'the hotel step running', timeoutMs: 30_000 },
      );
      await handle.executeUpdate(cancelBookingUpdate, { args: [{}] });
      return finish(handle);
    });
    expect(run.state.status).toBe('CANCELLED');
    const rows = await serviceRows(tdb.dbs, run.state.bookingId);
    expect(rows.flight?.status).toBe('CANCELLED');
    expect(rows.hotel?.status ?? 'none').not.toBe('RESERVED');
    expect(rows.payment).toBeNull();
    if (transport === 'nexus') {
      // The hotel service's own workflow for the reserve was asked to stop, in its own namespace.
      const hotels = new Client({ connection, namespace: serviceNamespace('hotels') });
      const reserves = [];
      for await (const w of hotels.workflow.list({
        query: `WorkflowId STARTS_WITH 'reserveHotel-${run.state.bookingId}'`,
      }))
        reserves.push(w);
      expect(reserves).toHaveLength(1);
      const { events } = await hotels.workflow.getHandle(reserves[0]!.workflowId).fetchHistory();
      expect(events?.some((e) => e.workflowExecutionCancelRequestedEventAttributes)).toBe(true);
    }
    expect(await invariantViolations(tdb.dbs)).toEqual([]);
  });
});

test("over Nexus, the API shows a retried step's live attempts, read from its service's workflow", async () => {
  const bookings = createBookingService({
    client,
    db: tdb.dbs.booking,
    payments: tdb.dbs.payments,
    config: {
      temporalUiUrl: 'http://ui.invalid',
      temporalNamespace: 'default',
      faultInjection: true,
      cardVaultKey: VAULT_KEY,
    },
  });
  const seen = await withWorkers('nexus', async (start) => {
    // The payment provider fails for a while: the payments service retries (1 s, 2 s, 4 s, …).
    const handle = await start({ faults: { chargePayment: 'transient:40' } });
    const bookingId = handle.workflowId.replace(/^booking-/, '');
    const view = await poll(
      () => bookings.get(bookingId),
      (v) => (v?.steps.find((s) => s.name === 'payment')?.live?.attempt ?? 0) >= 2,
      { what: "the payment's second attempt in the API's view", timeoutMs: 30_000 },
    );
    await handle.executeUpdate(cancelBookingUpdate, { args: [{}] });
    await finish(handle);
    return view!.steps.find((s) => s.name === 'payment')!.live!;
  });
  expect(seen.attempt).toBeGreaterThanOrEqual(2);
  expect(seen.lastFailure).toContain('chargePayment');
  expect(seen.nextAttemptAt).toBeDefined();
});

/** A hold, HELD in the read model: its flight and hotel reserved by their services, nothing charged. */
async function heldBooking(start: Starter) {
  const handle = await start({ hold: { minutes: 30 } });
  const bookingId = handle.workflowId.replace(/^booking-/, '');
  await poll(
    () => tdb.dbs.booking.booking.findUnique({ where: { id: bookingId } }),
    (row) => row?.status === 'HELD',
    { what: `${bookingId} HELD in the read model`, timeoutMs: 30_000 },
  );
  return { handle, bookingId };
}

/** One reconciler pass on the way's booking queue, calling the services the way's way. */
const reconcilePass = (start: Starter, bookingId: string) =>
  client.workflow.execute<typeof reconcileBookings>('reconcileBookings', {
    taskQueue: start.taskQueue,
    workflowId: `reconcile-${bookingId}`,
    args: [{ batch: 10, services: start.services }],
  });

/** A terminated hold given back: both reservations cancelled, the hotel's in its own namespace, TERMINATED. */
async function expectGivenBack(bookingId: string): Promise<void> {
  const rows = await serviceRows(tdb.dbs, bookingId);
  expect([rows.flight?.status, rows.hotel?.status, rows.booking?.status]).toEqual([
    'CANCELLED',
    'CANCELLED',
    'TERMINATED',
  ]);
  // The undos ran in the services' own namespaces.
  const hotels = new Client({ connection, namespace: serviceNamespace('hotels') });
  const undos = [];
  for await (const w of hotels.workflow.list({ query: `WorkflowId STARTS_WITH 'cancelHotel-${bookingId}'` }))
    undos.push(w);
  expect(undos.length).toBeGreaterThanOrEqual(1);
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
}

test("over Nexus, a terminated booking is given back by the reconciler, through the services' own undos", async () => {
  const pass = await withWorkers('nexus', async (start) => {
    // A hold keeps the flight and the hotel; an operator terminates the workflow meanwhile.
    const { handle, bookingId } = await heldBooking(start);
    await handle.terminate('an operator terminated it');
    return { bookingId, result: await reconcilePass(start, bookingId) };
  });
  const mine = pass.result.gaveBack.find((b) => b.bookingId === pass.bookingId);
  expect(mine?.cause).toBe('WorkflowTerminated');
  expect(mine?.undos.filter((u) => u.outcome === 'UNDONE').map((u) => u.activity)).toEqual([
    'cancelHotel',
    'cancelFlight',
  ]);
  await expectGivenBack(pass.bookingId);
});

test("over Nexus, an undo the reconciler's pass cannot do goes on in the booking's give-back workflow, which runs it in the service's namespace once the service takes it", async () => {
  const out = await withWorkers('nexus', async (start) => {
    const { handle, bookingId } = await heldBooking(start);
    // The hotel will not cancel this reservation for now; an operator terminates the booking meanwhile.
    const allowCancel = await refuseUpdate(tdb.dbs.hotels, {
      table: 'hotel_reservations',
      bookingId,
      status: 'CANCELLED',
      message: 'the hotel cannot cancel this reservation right now',
    });
    await handle.terminate('an operator terminated it');
    const pass = await reconcilePass(start, bookingId);
    const handedOver = await poll(
      () => serviceRows(tdb.dbs, bookingId),
      (rows) => rows.booking?.status === 'COMPENSATING',
      { what: `${bookingId} COMPENSATING in the read model`, timeoutMs: 30_000 },
    );
    await allowCancel();
    const giveBack = client.workflow.getHandle<typeof giveBackBooking>(giveBackWorkflowIdFor(bookingId));
    return { bookingId, pass, handedOver, result: await giveBack.result() };
  });
  const { bookingId, pass, handedOver, result } = out;
  // The pass gave back the flight, and handed the hotel over.
  expect(pass.failed.find((f) => f.bookingId === bookingId)).toMatchObject({
    handedTo: giveBackWorkflowIdFor(bookingId),
    error: expect.stringMatching(/^cancelHotel: .*cannot cancel this reservation/) as unknown,
  });
  expect([handedOver.flight?.status, handedOver.hotel?.status]).toEqual(['CANCELLED', 'RESERVED']);
  // The give-back's retry, in the hotels namespace, did the rest.
  expect(result).toMatchObject({ bookingId, terminated: true });
  expect(result.undos.map((u) => `${u.activity} ${u.outcome}`)).toEqual([
    'refundPayment NOTHING_TO_UNDO',
    'cancelFlight UNDONE',
    'cancelHotel UNDONE',
  ]);
  await expectGivenBack(bookingId);
});

test("over Nexus, each service's work runs in its own namespace, one workflow per operation", async () => {
  const run = await withWorkers('nexus', async (start) => finish(await start({ card: CARDS.declined })));
  for (const [service, operations] of [
    ['flights', ['reserveFlight', 'cancelFlight']],
    ['hotels', ['reserveHotel', 'cancelHotel']],
    ['payments', ['chargePayment', 'refundPayment']],
  ] as const) {
    const own = new Client({ connection, namespace: serviceNamespace(service) });
    const seen: string[] = [];
    await poll(
      async () => {
        seen.length = 0;
        for await (const w of own.workflow.list({ query: `WorkflowType = 'serviceOperation'` }))
          if (w.workflowId.includes(run.state.bookingId)) seen.push(w.workflowId.split(`-${run.state.bookingId}`)[0]!);
        return seen.sort();
      },
      (names) => names.length === operations.length,
      { what: `${service}'s operations in its namespace (visibility)`, timeoutMs: 15_000 },
    );
    expect(seen).toEqual([...operations].sort());
  }
  // The booking's namespace has no activity of a service: only its own read-model writes.
  const { events } = await run.handle.fetchHistory();
  expect(
    events
      ?.flatMap((e) =>
        e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : [],
      )
      .every((name) => name === 'syncBooking'),
  ).toBe(true);
});
