// A step run over Nexus through the runner's `execute`, on a real `temporal server start-dev` (the
// time-skipping server has no Nexus): the saga's namespace and the flight team's, an endpoint
// between them, the team's worker (its Nexus service, its workflow, its activity) and the saga's.
// The ledger reads the failure inside the Nexus one: a business failure thrown by the team's
// handler or by its workflow's activity, a refused undo, a timeout, and a cancel of the saga
// while the operation runs (WAIT_CANCELLATION_COMPLETED, the SDK's default).
import { randomUUID } from 'node:crypto';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { CancelledFailure } from '@temporalio/workflow';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { SagaLedger } from '../src/index.ts';
import { startDevServer, type DevServer } from './dev-server.ts';
import { FlightTeam } from './flight-team.ts';
import { reserveWorkflowId } from './fixtures/flight-service.ts';
import { ledgerQuery, type HotelActivities, type NexusSagaInput, type runNexusSaga } from './fixtures/nexus-saga.ts';
import { callTimeline, failureChain, poll, quietLogger } from './helpers.ts';

const SAGA = { namespace: 'saga', taskQueue: 'saga-queue' };
const FLIGHTS = { namespace: 'flights', taskQueue: 'flights-queue' };
const ENDPOINT = 'flights'; // the server wants ^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$

const fixture = (file: string) => new URL(`./fixtures/${file}`, import.meta.url).pathname;

let server: DevServer;
let native: NativeConnection;
let sagaClient: Client;
let flightsClient: Client;
const team = new FlightTeam();
const stops: (() => Promise<void>)[] = [];

const hotelActivities: HotelActivities = {
  reserveHotel: ({ tripId }) => Promise.resolve({ attempt: 1, reference: `H-${tripId}` }),
  cancelHotel: () => Promise.resolve({ attempt: 1, outcome: 'UNDONE' }),
};

/** A worker running until afterAll. */
async function startWorker(options: Parameters<typeof Worker.create>[0]): Promise<void> {
  const worker = await Worker.create(options);
  const running = worker.run();
  stops.push(async () => {
    worker.shutdown();
    await running;
  });
}

beforeAll(async () => {
  const [started, sagaBundle, flightsBundle] = await Promise.all([
    startDevServer([SAGA.namespace, FLIGHTS.namespace]),
    bundleWorkflowCode({ workflowsPath: fixture('nexus-saga.ts'), logger: quietLogger }),
    bundleWorkflowCode({ workflowsPath: fixture('flight-workflows.ts'), logger: quietLogger }),
  ]);
  server = started;
  await server.connection.operatorService.createNexusEndpoint({
    spec: { name: ENDPOINT, target: { worker: FLIGHTS } },
  });
  sagaClient = new Client({ connection: server.connection, namespace: SAGA.namespace });
  flightsClient = new Client({ connection: server.connection, namespace: FLIGHTS.namespace });
  native = await NativeConnection.connect({ address: server.address });
  await startWorker({
    connection: native,
    ...FLIGHTS,
    workflowBundle: flightsBundle,
    activities: team.activities,
    nexusServices: [team.handler],
  });
  await startWorker({ connection: native, ...SAGA, workflowBundle: sagaBundle, activities: hotelActivities });
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await native?.close();
  await server?.stop();
});

/** Starts the saga for a fresh trip. */
async function start(input: Omit<NexusSagaInput, 'endpoint' | 'tripId'>) {
  const tripId = `trip-${randomUUID().slice(0, 8)}`;
  const handle = await sagaClient.workflow.start<typeof runNexusSaga>('runNexusSaga', {
    ...SAGA,
    workflowId: `nexus-saga-${tripId}`,
    args: [{ endpoint: ENDPOINT, tripId, ...input }],
  });
  return { tripId, handle };
}

/** Runs the saga for a fresh trip to its end: its ledger, its history, and what it called. */
async function book(input: Omit<NexusSagaInput, 'endpoint' | 'tripId'>) {
  const { tripId, handle } = await start(input);
  const ledger = await handle.result();
  const history = await handle.fetchHistory();
  return { tripId, ledger, history, timeline: callTimeline(history) };
}

const hotelRan = [
  'ActivityTaskScheduled reserveHotel',
  'ActivityTaskStarted reserveHotel',
  'ActivityTaskCompleted reserveHotel',
];
const hotelUndone = [
  'ActivityTaskScheduled cancelHotel',
  'ActivityTaskStarted cancelHotel',
  'ActivityTaskCompleted cancelHotel',
];
const flightUndone = ['NexusOperationScheduled cancelFlight', 'NexusOperationCompleted cancelFlight'];

const entry = (ledger: SagaLedger, name: string) => ledger.steps.find((s) => s.name === name)!;

test("a step over Nexus: the operation runs in the team's namespace, and the ledger records its result", async () => {
  const { tripId, ledger, history, timeline } = await book({});
  expect(timeline).toEqual([
    ...hotelRan,
    'NexusOperationScheduled reserveFlight',
    'NexusOperationStarted reserveFlight',
    'NexusOperationCompleted reserveFlight',
  ]);
  const scheduled = history.events!.find((e) => e.nexusOperationScheduledEventAttributes)!;
  expect(scheduled.nexusOperationScheduledEventAttributes).toMatchObject({ endpoint: ENDPOINT, service: 'flights' });
  expect(JSON.parse(Buffer.from(scheduled.userMetadata!.summary!.data!).toString('utf8'))).toBe(
    `Reserve a flight for ${tripId}`,
  );
  expect(ledger.steps).toEqual([
    { name: 'hotel', state: 'DONE', attempts: 1, reference: `H-${tripId}` },
    { name: 'flight', state: 'DONE', attempts: 1, reference: `FL-${tripId}` },
  ]);
  expect(team.calls).toEqual(expect.arrayContaining([`reserveFlight ${tripId}`, `reserveSeat ${tripId} attempt 1`]));
  const reserve = await flightsClient.workflow.getHandle(reserveWorkflowId(tripId)).describe();
  expect(reserve.status.name).toBe('COMPLETED');
});

test("a business failure thrown by the team's handler (before any workflow): the ledger records the type inside HandlerError", async () => {
  const { tripId, ledger, history, timeline } = await book({ reserveFault: 'sold-out-at-start' });
  expect(timeline).toEqual([
    ...hotelRan,
    'NexusOperationScheduled reserveFlight',
    'NexusOperationFailed reserveFlight',
    ...flightUndone,
    ...hotelUndone,
  ]);
  // What the workflow was given: NexusOperationFailure ← HandlerError ← ApplicationFailure.
  const failed = history.events!.find((e) => e.nexusOperationFailedEventAttributes)!;
  expect(failureChain(failed.nexusOperationFailedEventAttributes!.failure)).toEqual([
    'nexusOperationExecutionFailureInfo',
    'nexusHandlerFailureInfo',
    'applicationFailureInfo FlightSoldOut',
  ]);
  const error = { type: 'FlightSoldOut', message: `no seat left for ${tripId}` };
  expect(entry(ledger, 'flight')).toMatchObject({ state: 'FAILED', attempts: 1, error });
  expect(ledger.failure).toEqual({ step: 'flight', ...error });
  expect(ledger.compensations.map((c) => `${c.activity}:${c.outcome}`)).toEqual([
    'cancelFlight:NOTHING_TO_UNDO',
    'cancelHotel:UNDONE',
  ]);
  expect(entry(ledger, 'hotel').state).toBe('COMPENSATED');
});

test("a business failure thrown by the team's workflow's activity: the ledger records its type, message and attempt", async () => {
  const { tripId, ledger, history, timeline } = await book({ reserveFault: 'sold-out' });
  expect(timeline).toEqual([
    ...hotelRan,
    'NexusOperationScheduled reserveFlight',
    'NexusOperationStarted reserveFlight',
    'NexusOperationFailed reserveFlight',
    ...flightUndone,
    ...hotelUndone,
  ]);
  const failed = history.events!.find((e) => e.nexusOperationFailedEventAttributes)!;
  expect(failureChain(failed.nexusOperationFailedEventAttributes!.failure)).toEqual([
    'nexusOperationExecutionFailureInfo',
    'activityFailureInfo',
    'applicationFailureInfo FlightSoldOut',
  ]);
  // The team retried its activity with its own policy: the second attempt found the flight sold out.
  expect(team.calls.filter((c) => c.startsWith(`reserveSeat ${tripId}`))).toEqual([
    `reserveSeat ${tripId} attempt 1`,
    `reserveSeat ${tripId} attempt 2`,
  ]);
  const error = { type: 'FlightSoldOut', message: `no seat left for ${tripId}` };
  expect(entry(ledger, 'flight')).toMatchObject({ state: 'FAILED', attempts: 2, error });
  expect(ledger.failure).toEqual({ step: 'flight', ...error });
  expect(entry(ledger, 'hotel').state).toBe('COMPENSATED');
});

test("an undo over Nexus that the team's sync handler refuses: COMPENSATION_FAILED with the type inside, the unwind goes on", async () => {
  const { tripId, ledger } = await book({ reserveFault: 'sold-out-at-start', refuseCancel: true });
  const error = { type: 'CancelRefused', message: `the fare of ${tripId} cannot be cancelled` };
  expect(entry(ledger, 'flight')).toMatchObject({
    state: 'COMPENSATION_FAILED',
    undo: { activity: 'cancelFlight', outcome: 'FAILED', error },
  });
  expect(ledger.compensations).toEqual([
    { step: 'flight', activity: 'cancelFlight', outcome: 'FAILED', error },
    { step: 'hotel', activity: 'cancelHotel', outcome: 'UNDONE' },
  ]);
});

test('an operation that outlives its budget: the ledger records the timeout inside, and the saga unwinds', async () => {
  const { tripId, ledger, timeline } = await book({ reserveFault: 'hold', reserveTimeout: '2 seconds' });
  expect(timeline).toEqual([
    ...hotelRan,
    'NexusOperationScheduled reserveFlight',
    'NexusOperationStarted reserveFlight',
    'NexusOperationTimedOut reserveFlight',
    ...flightUndone,
    ...hotelUndone,
  ]);
  expect(entry(ledger, 'flight').error).toEqual({
    type: 'ScheduleToCloseTimeout',
    message: 'gave up: the retry budget ran out before the service answered',
  });
  // A timeout sends the team no cancel: its workflow still holds the seat.
  await flightsClient.workflow.getHandle(reserveWorkflowId(tripId)).terminate('the test is over');
});

test("a cancel of the saga while the Nexus step runs: the team's workflow is cancelled first, then the saga unwinds and records Cancelled", async () => {
  const { tripId, handle } = await start({ reserveFault: 'hold' });
  await poll(
    'the reserve operation started',
    async () => callTimeline(await handle.fetchHistory()).includes('NexusOperationStarted reserveFlight') || undefined,
  );
  await handle.cancel();
  const error = await handle.result().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

  const ledger = await handle.query(ledgerQuery);
  expect(entry(ledger, 'flight')).toMatchObject({
    state: 'FAILED',
    error: { type: 'Cancelled', message: 'cancelled while running' },
  });
  expect(ledger.failure).toEqual({ step: 'flight', type: 'Cancelled', message: 'cancelled while running' });
  expect(ledger.compensations.map((c) => `${c.activity}:${c.outcome}`)).toEqual([
    'cancelFlight:NOTHING_TO_UNDO',
    'cancelHotel:UNDONE',
  ]);
  // WAIT_CANCELLATION_COMPLETED: the undo runs only once the team's workflow has been cancelled.
  const timeline = callTimeline(await handle.fetchHistory());
  expect(timeline.indexOf('NexusOperationCanceled reserveFlight')).toBeGreaterThan(-1);
  expect(timeline.indexOf('NexusOperationCanceled reserveFlight')).toBeLessThan(
    timeline.indexOf('NexusOperationScheduled cancelFlight'),
  );
  expect(timeline.slice(-5)).toEqual([...flightUndone, ...hotelUndone]);
  const reserve = await flightsClient.workflow.getHandle(reserveWorkflowId(tripId)).describe();
  expect(reserve.status.name).toBe('CANCELLED');
});
