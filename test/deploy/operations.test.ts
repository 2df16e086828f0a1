// What Temporal's own operator tools do to a booking (docs/operations.md), each with the `temporal`
// CLI against a real `temporal server start-dev` and the dev stack on a real PostgreSQL: a
// terminated saga (running, HELD, or waiting for an operator with its payment captured) is given
// back by the reconciler's scheduled passes and ends TERMINATED on GET, in the list and on its
// stream; a deleted one likewise; a payment step paused during an outage waits, and goes on when
// unpaused; sagas stuck on a bad build are reset onto the good one (--type BuildId); and the dev
// stack starts eagerly only while its build is the current one.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowNotFoundError, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { loadConfig } from '../../src/config.ts';
import { connectDatabases, disconnectDatabases, type Databases } from '../../src/activities/databases.ts';
import { databaseUrls } from '../../src/db/databases.ts';
import { databaseUrlFor, freePort } from '../../src/dev/postgres.ts';
import { startStack, type Stack } from '../../src/dev/stack.ts';
import { workflowIdFor } from '../../src/booking/booking.ts';
import { giveBackWorkflowIdFor } from '../../src/booking/unwound.ts';
import { reconcileScheduleId } from '../../src/temporal/reconcile-schedule.ts';
import { createTripWorkers, type TripWorkers } from '../../src/temporal/worker-factory.ts';
import { describeDeployment, workerDeploymentOptions } from '../../src/temporal/versioning.ts';
import type { bookTrip } from '../../src/workflows/book-trip.ts';
import type { ReconcileResult } from '../../src/workflows/reconcile.ts';
import { CARDS, bookingInput, daysFromNow } from '../helpers/booking.ts';
import { dropDatabases, invariantViolations, refuseUpdate, roomsFree, serviceRows } from '../helpers/db.ts';
import { fetchAs } from '../helpers/identity.ts';
import { capturingLogger } from '../helpers/log.ts';
import { poll } from '../helpers/poll.ts';
import { byStep, everyStep, runningAt, statesOf, step, undoneBefore, undoneThrough } from '../helpers/steps.ts';
import { parseSse } from '../api/support.ts';
import { startTemporalDevServer, type DevServer } from './support.ts';

const run = promisify(execFile);
const serverUrl = inject('databaseServerUrl');
const database = `trip_operations_${randomBytes(4).toString('hex')}`;
const deploymentName = `trip-ops-${randomUUID().slice(0, 8)}`;
const taskQueue = `operations-${randomUUID()}`;
let dir: string;
let temporal: DevServer;
let stack: Stack;
const log = capturingLogger('info');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trip-operations-'));
  temporal = await startTemporalDevServer(dir);
  const config = loadConfig({
    NODE_ENV: 'test',
    FAULT_INJECTION: 'on',
    // Activity pause, reset and the reconciler act on the steps' activities in the booking's namespace.
    SERVICES_VIA: 'activity',
    DATABASE_URL: databaseUrlFor(serverUrl, database),
    TEMPORAL_ADDRESS: temporal.address,
    WORKER_DEPLOYMENT_NAME: deploymentName,
    WORKER_BUILD_ID: 'v1',
    RECONCILE_INTERVAL: '2s',
  });
  // A deleted workflow's row counts as gone at once here (1 minute by default).
  stack = await startStack({
    config,
    dataDir: join(dir, 'data'),
    apiPort: 0,
    taskQueue,
    reconcileGoneAfterMs: 0,
    logger: log.logger,
  });
});

afterAll(async () => {
  await stack?.stop();
  await temporal?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  // The booking database, and those the stack derived and provisioned beside it (with their roles).
  await dropDatabases(serverUrl, Object.values(databaseUrls(databaseUrlFor(serverUrl, database), {}, true).urls));
});

/** `temporal <args>` against this test's dev server. */
async function temporalCli(...args: string[]): Promise<string> {
  const { stdout } = await run('temporal', [...args, '--address', temporal.address], { timeout: 60_000 });
  return stdout;
}

async function api(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetchAs(`${stack.apiUrl}${path}`, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Trip {
  flightNumber?: string;
  day: number;
  hotelId: string;
  faults?: Record<string, string>;
  hold?: boolean;
}

async function book({ flightNumber = 'TB200', day, hotelId, faults, hold }: Trip): Promise<string> {
  const body = {
    customerId: 'ops-customer',
    flight: { flightNumber, date: daysFromNow(day), seats: 2 },
    hotel: { hotelId, checkIn: daysFromNow(day), nights: 2, rooms: 2 },
    ...(hold ? { hold: { minutes: 60 } } : { payment: { card: CARDS.good } }),
    ...(faults ? { faults } : {}),
  };
  const res = await api('/bookings', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.bookingId as string;
}

const view = async (id: string) => (await api(`/bookings/${id}`)).body as unknown as BookingView;
const waitFor = (id: string, until: (v: BookingView) => boolean, what: string, timeoutMs = 60_000) =>
  poll(() => view(id), until, { what: `booking ${id} ${what}`, timeoutMs, intervalMs: 250 });

/** What the services have free: seats on a flight that day, rooms at a hotel. */
async function inventory(flightNumber: string, day: number, hotelId: string) {
  const [flight, hotel] = await Promise.all([
    stack.dbs.flights.flight.findFirstOrThrow({
      where: { flightNumber, date: new Date(`${daysFromNow(day)}T00:00:00Z`) },
    }),
    roomsFree(stack.dbs, { hotelId, checkIn: daysFromNow(day), checkOut: daysFromNow(day + 2) }), // book()'s stay: two nights
  ]);
  return { seats: flight.seatsAvailable, rooms: hotel };
}

/** A booking's event stream, read to its end: resolves with its events once the server ends it. */
function streamOf(id: string): { ended: Promise<ReturnType<typeof parseSse>>; opened: Promise<void> } {
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const ended = (async () => {
    const res = await fetchAs(`${stack.apiUrl}/bookings/${id}/events`, { signal: AbortSignal.timeout(120_000) });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.includes('event: booking')) opened();
    }
    return parseSse(text);
  })();
  ended.catch(() => undefined); // awaited by the test; a stream cut when the stack stops is no second failure
  return { ended, opened: open };
}

/** Every finished pass of this test's reconciler, with what it gave back. */
async function passes(): Promise<ReconcileResult[]> {
  const executions: WorkflowExecutionInfo[] = [];
  for await (const e of stack.client.workflow.list({
    query: `WorkflowType = 'reconcileBookings' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`,
  })) {
    executions.push(e);
  }
  return Promise.all(
    executions.map((e) =>
      stack.client.workflow.getHandle<() => Promise<ReconcileResult>>(e.workflowId, e.runId).result(),
    ),
  );
}

/** An operator's retry or resolve of a booking's failed compensation, through the API. */
const operatorAction = (id: string, action: 'retry' | 'resolve', body: object = {}) =>
  api(`/bookings/${id}/compensation/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** An operator makes the give-back's failing refund its last attempt (`temporal activity update-options`). */
async function failRefundForGood(bookingId: string): Promise<void> {
  const workflowId = giveBackWorkflowIdFor(bookingId);
  const handle = stack.client.workflow.getHandle(workflowId);
  const refund = await poll(
    () => pendingActivity(handle, 'refundPayment'),
    (a) => a !== undefined && a.attempt > 1,
    { what: `${workflowId}'s refund retrying`, timeoutMs: 60_000, intervalMs: 250 },
  );
  await temporalCli(
    'activity',
    'update-options',
    '--workflow-id',
    workflowId,
    '--activity-id',
    refund!.activityId,
    '--retry-maximum-attempts',
    '1',
  );
}

describe('temporal workflow terminate: the reconciler gives back what the saga held', () => {
  test('a running saga, a HELD one and one waiting for an operator with its payment captured: each given back once, TERMINATED on GET, list and stream', async () => {
    const day = 40;
    const before = {
      running: await inventory('TB200', day, 'HTL-SEOUL-MYEONGDONG'),
      held: await inventory('TB300', day, 'HTL-SF-UNION'),
      waiting: await inventory('TB400', day, 'HTL-TOKYO-SHINJUKU'),
    };
    // Running: the payment service is down for hours, flight and hotel are reserved.
    const running = await book({ day, hotelId: 'HTL-SEOUL-MYEONGDONG', faults: { chargePayment: 'outage:2h' } });
    // HELD: flight and hotel held, no card yet.
    const held = await book({ flightNumber: 'TB300', day, hotelId: 'HTL-SF-UNION', hold: true });
    // Waiting for an operator with the money taken: the charge commits but answers late, the
    // customer cancels meanwhile, and the refund fails for good.
    const waiting = await book({
      flightNumber: 'TB400',
      day,
      hotelId: 'HTL-TOKYO-SHINJUKU',
      faults: { chargePayment: 'timeout:3', refundPayment: 'fail' },
    });
    await poll(
      () => serviceRows(stack.dbs, waiting),
      (r) => r.payment?.status === 'CAPTURED',
      { what: 'the payment captured', timeoutMs: 30_000 },
    );
    expect(
      (
        await api(`/bookings/${waiting}/cancel`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(202);

    await waitFor(
      running,
      (v) => step(v, 'payment').live?.attempt !== undefined && step(v, 'flight').state === 'DONE',
      'retrying its payment',
    );
    await waitFor(held, (v) => v.status === 'HELD', 'HELD');
    await waitFor(waiting, (v) => v.status === 'COMPENSATION_FAILED', 'COMPENSATION_FAILED');
    expect(await inventory('TB200', day, 'HTL-SEOUL-MYEONGDONG')).toEqual({
      seats: before.running.seats - 2,
      rooms: before.running.rooms - 2,
    });
    expect(await inventory('TB300', day, 'HTL-SF-UNION')).toEqual({
      seats: before.held.seats - 2,
      rooms: before.held.rooms - 2,
    });

    const streams = Object.fromEntries([running, held, waiting].map((id) => [id, streamOf(id)]));
    await Promise.all(Object.values(streams).map((s) => s.opened));
    for (const id of [running, held, waiting]) {
      await temporalCli(
        'workflow',
        'terminate',
        '--workflow-id',
        workflowIdFor(id),
        '--reason',
        'operations test: terminated by an operator',
      );
    }

    const ended = await Promise.all(
      [running, held, waiting].map((id) => waitFor(id, (v) => v.status === 'TERMINATED', 'TERMINATED')),
    );
    for (const v of ended) {
      expect(v).toMatchObject({
        status: 'TERMINATED',
        source: 'read-model',
        currentStep: null,
        failure: { type: 'WorkflowTerminated' },
      });
      expect(v.failure!.message).toMatch(
        /^its workflow was terminated while the booking was (PENDING|HELD|COMPENSATION_FAILED); the reconciler gave back what it held \(refundPayment .*, cancelHotel undone, cancelFlight undone\)/,
      );
    }
    const [r, h, w] = ended;
    const undoOutcomes = (v: BookingView) => byStep(v, (s) => s.undo?.outcome);
    expect(undoOutcomes(r!)).toEqual(everyStep('UNDONE', { payment: 'NOTHING_TO_UNDO' }));
    expect(undoOutcomes(h!)).toEqual(everyStep('UNDONE', { payment: 'NOTHING_TO_UNDO' }));
    expect(undoOutcomes(w!)).toEqual(everyStep('UNDONE'));
    // The earlier failure is kept in the reason: the customer's cancel, before the refund failed.
    expect(w!.failure!.message).toContain('before that, payment: Cancelled');
    expect(statesOf(r!)).toEqual(undoneThrough('payment'));
    expect(statesOf(h!)).toEqual(undoneBefore('payment'));

    // What the services hold: nothing. Seats and rooms are back, the captured payment refunded.
    expect(await inventory('TB200', day, 'HTL-SEOUL-MYEONGDONG')).toEqual(before.running);
    expect(await inventory('TB300', day, 'HTL-SF-UNION')).toEqual(before.held);
    expect(await inventory('TB400', day, 'HTL-TOKYO-SHINJUKU')).toEqual(before.waiting);
    expect((await serviceRows(stack.dbs, waiting)).payment?.status).toBe('REFUNDED');
    expect((await serviceRows(stack.dbs, running)).payment?.status).toBe('VOIDED');

    // The list says so, and each stream ended with it.
    const list = await api('/bookings?status=TERMINATED&limit=100');
    expect((list.body.items as { bookingId: string }[]).map((i) => i.bookingId).sort()).toEqual(
      [running, held, waiting].sort(),
    );
    for (const id of [running, held, waiting]) {
      const events = await streams[id]!.ended;
      expect(events.at(-1)).toEqual({ event: 'end', data: JSON.stringify({ status: 'TERMINATED' }) });
      expect((JSON.parse(events.at(-2)!.data) as BookingView).status).toBe('TERMINATED');
    }
    // Nothing more to cancel.
    expect(
      (
        await api(`/bookings/${held}/cancel`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(409);

    // Later passes give back nothing more: each booking was given back by one pass, once.
    const versions = ended.map((v) => v.version);
    const count = (await passes()).length;
    await poll(passes, (p) => p.length >= count + 2, { what: 'two more passes', timeoutMs: 60_000, intervalMs: 500 });
    const gaveBack = (await passes()).flatMap((p) => p.gaveBack.map((b) => b.bookingId));
    expect(gaveBack.sort()).toEqual([running, held, waiting].sort());
    expect((await Promise.all([running, held, waiting].map(view))).map((v) => v.version)).toEqual(versions);
    expect(await inventory('TB200', day, 'HTL-SEOUL-MYEONGDONG')).toEqual(before.running);
    // The pass's details in the Web UI say what it gave back.
    const summaries = (await passes())
      .map((p) => p.summary)
      .filter((s) => s.startsWith('Gave back') && !s.startsWith('Gave back nothing'));
    expect(summaries.join('\n')).toMatch(
      new RegExp(`- ${running} \\(WorkflowTerminated, was PENDING\\): cancelHotel, cancelFlight`),
    );
    expect(await invariantViolations(stack.dbs)).toEqual([]);
  }, 240_000);

  test('a saga started past the API (a client of its own) and terminated before its first write is given back too: its row is TERMINATED', async () => {
    const day = 43;
    const before = await inventory('TB200', day, 'HTL-SEOUL-MYEONGDONG');
    const input = await bookingInput(stack.dbs, {
      customerId: 'ops-customer',
      flight: { flightNumber: 'TB200', date: daysFromNow(day), seats: 1 },
      hotel: { hotelId: 'HTL-SEOUL-MYEONGDONG', checkIn: daysFromNow(day), checkOut: daysFromNow(day + 2), rooms: 1 },
      faults: { chargePayment: 'outage:2h' },
    });
    const handle = await stack.client.workflow.start<typeof bookTrip>('bookTrip', {
      taskQueue,
      workflowId: workflowIdFor(input.bookingId),
      args: [input],
    });
    // Flight and hotel taken, the payment retrying: no status change yet, so no row.
    const held = await poll(
      () => serviceRows(stack.dbs, input.bookingId),
      (r) => r.flight?.status === 'RESERVED' && r.hotel?.status === 'RESERVED',
      { what: 'the flight and the hotel reserved', timeoutMs: 30_000 },
    );
    expect(held.booking).toBeNull();
    await handle.terminate('operations test: terminated by an operator');

    const done = await waitFor(input.bookingId, (v) => v.status === 'TERMINATED', 'TERMINATED');
    expect(done).toMatchObject({ source: 'read-model', failure: { type: 'WorkflowTerminated', step: 'payment' } });
    expect(done.failure!.message).toMatch(
      /^its workflow was terminated while the booking was PENDING; the reconciler gave back what it held \(refundPayment nothing to undo, cancelHotel undone, cancelFlight undone\)$/,
    );
    expect(await inventory('TB200', day, 'HTL-SEOUL-MYEONGDONG')).toEqual(before);
    expect(await invariantViolations(stack.dbs)).toEqual([]);
  }, 120_000);

  test('a saga whose workflow is gone (deleted) is given back too, as WorkflowGone', async () => {
    const day = 41;
    const before = await inventory('TB200', day, 'HTL-SEOUL-MYEONGDONG');
    const id = await book({ day, hotelId: 'HTL-SEOUL-MYEONGDONG', hold: true });
    await poll(
      () => serviceRows(stack.dbs, id),
      (r) => r.booking?.status === 'HELD',
      { what: 'HELD in the read model', timeoutMs: 60_000 },
    );
    // As retention deletes a closed workflow (here a running one: the server terminates it first).
    const { runId } = await stack.client.workflow.getHandle(workflowIdFor(id)).describe();
    await stack.client.workflowService.deleteWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: workflowIdFor(id), runId },
    });
    await poll(
      () =>
        stack.client.workflow
          .getHandle(workflowIdFor(id))
          .describe()
          .then(
            () => 'there',
            (e: unknown) => (e instanceof WorkflowNotFoundError ? 'gone' : String(e)),
          ),
      (s) => s === 'gone',
      { what: 'the workflow deleted', timeoutMs: 60_000, intervalMs: 500 },
    );
    const done = await waitFor(id, (v) => v.status === 'TERMINATED', 'TERMINATED');
    expect(done.failure).toMatchObject({ type: 'WorkflowGone', step: 'payment' });
    expect(await inventory('TB200', day, 'HTL-SEOUL-MYEONGDONG')).toEqual(before);
    expect(await invariantViolations(stack.dbs)).toEqual([]);
  }, 120_000);

  test('an undo that fails in every pass goes on in a give-back workflow of its own: COMPENSATING, then COMPENSATION_FAILED for an operator, who retries or resolves it; a terminated give-back orphans nothing', async () => {
    const day = 42;
    const trips = {
      retried: { flightNumber: 'TB200', hotelId: 'HTL-SEOUL-MYEONGDONG' },
      resolved: { flightNumber: 'TB300', hotelId: 'HTL-SF-UNION' },
    } as const;
    const free = (trip: (typeof trips)[keyof typeof trips]) => inventory(trip.flightNumber, day, trip.hotelId);
    const before = { retried: await free(trips.retried), resolved: await free(trips.resolved) };
    // The charge commits but answers late: flight, hotel and payment are all taken while the saga waits on it.
    const retried = await book({ ...trips.retried, day, faults: { chargePayment: 'timeout:3' } });
    const resolved = await book({ ...trips.resolved, day, faults: { chargePayment: 'timeout:3' } });
    const ids = [retried, resolved];
    const allowRefunds = new Map<string, () => Promise<void>>();
    for (const id of ids) {
      await poll(
        () => serviceRows(stack.dbs, id),
        (r) => r.payment?.status === 'CAPTURED',
        { what: `booking ${id}'s payment captured`, timeoutMs: 30_000 },
      );
      // The payment provider refuses this refund: every attempt of refundPayment fails, in a pass and after it.
      allowRefunds.set(
        id,
        await refuseUpdate(stack.dbs.payments, {
          table: 'payments',
          bookingId: id,
          status: 'REFUNDED',
          message: 'the card network refuses refunds of this payment',
        }),
      );
      await temporalCli('workflow', 'terminate', '--workflow-id', workflowIdFor(id), '--reason', 'operations test');
    }

    // A pass gives back the seats and rooms, and hands the refund to the booking's give-back workflow.
    for (const id of ids) {
      const v = await waitFor(id, (b) => b.status === 'COMPENSATING', 'handed over', 90_000);
      expect(v).toMatchObject({ source: 'read-model', failure: { type: 'WorkflowTerminated', step: 'payment' } });
      expect(v.failure!.message).toMatch(
        new RegExp(
          `^its workflow was terminated while the booking was PENDING; the reconciler could not give back refundPayment: .*refuses refunds.* \\(it gave back: cancelHotel undone, cancelFlight undone\\); ${giveBackWorkflowIdFor(id)} retries with each undo's own patience, then waits for an operator$`,
        ),
      );
      expect(step(v, 'payment').state).toBe('COMPENSATING');
      expect((await serviceRows(stack.dbs, id)).payment?.status).toBe('CAPTURED');
    }
    expect(await free(trips.retried)).toEqual(before.retried);
    expect(await free(trips.resolved)).toEqual(before.resolved);
    // Not yet an operator's to act on: the give-back retries on its own.
    expect((await operatorAction(retried, 'retry')).status).toBe(409);

    // The refund keeps failing; an operator cuts its patience short (update-options), so it fails for good.
    for (const id of ids) await failRefundForGood(id);
    for (const id of ids) {
      const v = await waitFor(id, (b) => b.status === 'COMPENSATION_FAILED', 'waiting for an operator');
      expect(v.operatorWait).toMatchObject({ reminders: 0 });
      expect(v.failure!.message).toMatch(
        new RegExp(`; ${giveBackWorkflowIdFor(id)} waits for an operator to retry or resolve it$`),
      );
      expect(step(v, 'payment')).toMatchObject({ state: 'COMPENSATION_FAILED', undo: { outcome: 'FAILED' } });
    }
    expect((await operatorAction(resolved, 'resolve', { note: '   ' })).status).toBe(400);

    // Passes leave the bookings to their give-backs: each was handed over once.
    const count = (await passes()).length;
    await poll(passes, (p) => p.length >= count + 2, { what: 'two more passes', timeoutMs: 60_000, intervalMs: 500 });
    const handOvers = async (id: string) =>
      (await passes()).filter((p) =>
        p.failed.some((f) => f.bookingId === id && f.handedTo === giveBackWorkflowIdFor(id)),
      ).length;
    expect([await handOvers(retried), await handOvers(resolved)]).toEqual([1, 1]);

    // An operator terminates a give-back: the next pass finds the booking again and hands it to a new one.
    const giveBack = stack.client.workflow.getHandle(giveBackWorkflowIdFor(resolved));
    const { runId: firstRun } = await giveBack.describe();
    await temporalCli(
      'workflow',
      'terminate',
      '--workflow-id',
      giveBackWorkflowIdFor(resolved),
      '--reason',
      'operations test',
    );
    await poll(
      () => giveBack.describe(),
      (d) => d.runId !== firstRun && d.status.name === 'RUNNING',
      { what: 'a new give-back of the booking', timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(await handOvers(resolved)).toBe(2);
    await failRefundForGood(resolved);
    await waitFor(resolved, (b) => b.status === 'COMPENSATION_FAILED', 'waiting for an operator again');

    // The provider takes refunds again. The operator retries one booking; the other a person refunds
    // by hand (the provider's dashboard), and the operator resolves it with a note.
    await allowRefunds.get(retried)!();
    const retry = await operatorAction(retried, 'retry');
    expect(retry.status, JSON.stringify(retry.body)).toBe(202);
    expect(retry.body.retriedBy).toEqual(['test-operator']);
    const refunded = await waitFor(retried, (b) => b.status === 'TERMINATED', 'TERMINATED');
    expect(refunded.failure!.message).toMatch(
      /^its workflow was terminated while the booking was PENDING; the reconciler gave back what it held \(cancelHotel undone, cancelFlight undone, refundPayment undone\)$/,
    );
    expect(refunded).toMatchObject({ retriedBy: ['test-operator'] });
    expect(refunded).not.toHaveProperty('operatorWait');
    expect(statesOf(refunded)).toEqual(undoneThrough('payment'));
    expect((await serviceRows(stack.dbs, retried)).payment?.status).toBe('REFUNDED');

    await allowRefunds.get(resolved)!();
    await stack.dbs.payments
      .$executeRaw`UPDATE payments SET status = 'REFUNDED', refunded_at = now() WHERE booking_id = ${resolved}`;
    const note = 'refunded by hand in the provider dashboard, ticket OPS-42';
    expect((await operatorAction(resolved, 'resolve', { note })).status).toBe(202);
    const ended = await waitFor(resolved, (b) => b.status === 'TERMINATED', 'TERMINATED');
    expect(ended.resolution).toMatchObject({ note, by: 'test-operator' });
    expect(ended.failure!.message).toMatch(
      /^its workflow was terminated while the booking was PENDING; the reconciler gave back what it held \(cancelHotel undone, cancelFlight undone\); refundPayment: .*refuses refunds.*: resolved by hand by test-operator: refunded by hand in the provider dashboard, ticket OPS-42$/,
    );
    expect(step(ended, 'payment')).toMatchObject({ state: 'COMPENSATION_FAILED', undo: { outcome: 'FAILED' } });
    // Nothing more for an operator: both give-backs are over.
    expect((await operatorAction(resolved, 'retry')).status).toBe(409);
    for (const id of ids)
      expect((await stack.client.workflow.getHandle(giveBackWorkflowIdFor(id)).describe()).status.name).toBe(
        'COMPLETED',
      );
    expect(await invariantViolations(stack.dbs)).toEqual([]);
  }, 300_000);

  test('the schedule is one, however many times it is ensured, and visible as a Temporal Schedule', async () => {
    const { ensureReconcileSchedule } = await import('../../src/temporal/reconcile-schedule.ts');
    const results = await Promise.all(
      [0, 1, 2].map(() => ensureReconcileSchedule(stack.client, { taskQueue, intervalMs: 2_000, batch: 20 })),
    );
    expect(results).toEqual(['updated', 'updated', 'updated']);
    const ids: string[] = [];
    for await (const s of stack.client.schedule.list()) ids.push(s.scheduleId);
    expect(ids.filter((i) => i === reconcileScheduleId(taskQueue))).toHaveLength(1);
    const listed = await temporalCli(
      'schedule',
      'describe',
      '--schedule-id',
      reconcileScheduleId(taskQueue),
      '-o',
      'json',
    );
    expect(listed).toContain('reconcileBookings');
  });
});

/** The pending activity of a step, as describe has it: its ID (for the CLI), attempt and whether it is paused. */
async function pendingActivity(handle: WorkflowHandle, type: string) {
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  const activity = pending.find((a) => a.activityType?.name === type);
  return activity
    ? { activityId: activity.activityId ?? '', attempt: activity.attempt ?? 0, paused: Boolean(activity.paused) }
    : undefined;
}

describe('temporal activity pause, update-options, unpause: a failing step during an outage', () => {
  test('paused, the payment makes no attempt and the booking waits PENDING; with a shorter retry interval and unpaused, it goes on to CONFIRMED', async () => {
    // The payment provider fails five times (attempts 1 to 5 at 0, 1, 3, 7, 15 s), then answers.
    const id = await book({ day: 42, hotelId: 'HTL-SEOUL-MYEONGDONG', faults: { chargePayment: 'transient:5' } });
    const handle = stack.client.workflow.getHandle(workflowIdFor(id));
    const failing = await poll(
      () => pendingActivity(handle, 'chargePayment'),
      (a) => (a?.attempt ?? 0) >= 2,
      { what: 'the payment retrying', timeoutMs: 30_000 },
    );
    await temporalCli(
      'activity',
      'pause',
      '--workflow-id',
      workflowIdFor(id),
      '--activity-id',
      failing!.activityId,
      '--reason',
      'payment provider outage',
    );
    const paused = await poll(
      () => pendingActivity(handle, 'chargePayment'),
      (a) => a?.paused === true,
      { what: 'the payment paused' },
    );
    // Paused for longer than its backoff: no new attempt, and the booking still runs.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect(await pendingActivity(handle, 'chargePayment')).toMatchObject({ paused: true, attempt: paused!.attempt });
    const waiting = await view(id);
    expect(waiting.status).toBe('PENDING');
    expect(statesOf(waiting)).toEqual(runningAt('payment'));

    // The provider is back: retry every second from now on, and go.
    await temporalCli(
      'activity',
      'update-options',
      '--workflow-id',
      workflowIdFor(id),
      '--activity-id',
      failing!.activityId,
      '--retry-initial-interval',
      '1s',
      '--retry-maximum-interval',
      '1s',
    );
    await temporalCli('activity', 'unpause', '--workflow-id', workflowIdFor(id), '--activity-id', failing!.activityId);
    const done = await waitFor(id, (v) => v.status === 'CONFIRMED' && v.source === 'read-model', 'CONFIRMED', 30_000);
    expect(step(done, 'payment')).toMatchObject({ state: 'DONE', attempts: 6 });
    expect((await serviceRows(stack.dbs, id)).payment?.status).toBe('CAPTURED');
  }, 120_000);
});

/** The build a saga runs on, as describe's versioningInfo says (once its first workflow task is done). */
function buildOf(id: string): Promise<string | undefined> {
  const read = async () =>
    (await stack.client.workflow.getHandle(workflowIdFor(id)).describe()).raw.workflowExecutionInfo?.versioningInfo
      ?.deploymentVersion?.buildId ?? undefined;
  return poll(read, (b) => b !== undefined, { what: `the build of ${id}` });
}

describe('a bad deploy: eager starts follow the current build, and temporal workflow reset --type BuildId moves stuck sagas back', () => {
  let bad: { worker: TripWorkers; running: Promise<void>; connection: NativeConnection; dbs: Databases } | undefined;
  afterAll(async () => {
    if (bad?.worker.getState() === 'RUNNING') bad.worker.shutdown();
    await bad?.running.catch(() => undefined);
    await bad?.connection.close();
    if (bad) await disconnectDatabases(bad.dbs);
  });

  test('with v1 current the dev stack starts eagerly on v1; with build "bad" current new bookings run on "bad", not v1; reset onto v1, they confirm', async () => {
    const started = () =>
      log
        .lines()
        .map((line) => JSON.parse(line) as { msg?: string; eagerlyStarted?: boolean })
        .filter((l) => l.msg === 'booking started');
    const eagerBefore = started().filter((l) => l.eagerlyStarted).length;
    const first = await book({ day: 43, hotelId: 'HTL-SEOUL-MYEONGDONG' });
    expect(started().filter((l) => l.eagerlyStarted).length).toBe(eagerBefore + 1);
    expect(await buildOf(first)).toBe('v1');

    // Build "bad" (the booking's worker alone: the services' workers are unversioned and shared by
    // every build) cannot reach the booking's database: its read-model write fails and is retried.
    const connection = await NativeConnection.connect({ address: temporal.address });
    const nowhere = `postgresql://postgres@127.0.0.1:${await freePort()}/nowhere`;
    const dbs = connectDatabases(databaseUrls(nowhere, {}, true).urls);
    const worker = await createTripWorkers({
      connection,
      taskQueue,
      roles: ['booking'],
      dbs,
      faultInjection: true,
      worker: {
        identity: 'worker-bad',
        shutdownGraceTime: '1s',
        workerDeploymentOptions: workerDeploymentOptions({ deploymentName, buildId: 'bad' }),
      },
    });
    bad = { worker, running: worker.run(), connection, dbs };
    // Refused until the new build's worker has polled the task queue.
    await poll(
      () =>
        temporalCli(
          'worker',
          'deployment',
          'set-current-version',
          '--deployment-name',
          deploymentName,
          '--build-id',
          'bad',
          '--yes',
        ),
      () => true,
      {
        what: '"bad" made current',
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );
    await poll(
      () => describeDeployment({ service: stack.client.workflowService, namespace: 'default', deploymentName }),
      (d) => d.current === 'bad',
      { what: '"bad" current' },
    );

    // New bookings go to the current build, though the API's process runs a v1 worker: no eager start.
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // the API's cached answer expires
    const eager = started().filter((l) => l.eagerlyStarted).length;
    const stuck = [
      await book({ day: 44, hotelId: 'HTL-SEOUL-MYEONGDONG' }),
      await book({ day: 44, hotelId: 'HTL-SEOUL-MYEONGDONG' }),
    ];
    expect(started().filter((l) => l.eagerlyStarted).length).toBe(eager);
    for (const id of stuck) {
      await poll(
        () => pendingActivity(stack.client.workflow.getHandle(workflowIdFor(id)), 'syncBooking'),
        (a) => (a?.attempt ?? 0) >= 2,
        { what: `${id} stuck on "bad"`, timeoutMs: 60_000 },
      );
      expect(await buildOf(id)).toBe('bad');
    }

    // The operator rolls back (v1 current again) and resets each stuck saga to before "bad" touched it.
    await temporalCli(
      'worker',
      'deployment',
      'set-current-version',
      '--deployment-name',
      deploymentName,
      '--build-id',
      'v1',
      '--yes',
    );
    // One batch reset of every saga the bad build ran (visibility may trail the start by a moment).
    const touched = `WorkflowType = 'bookTrip' AND ExecutionStatus = 'Running' AND TemporalWorkerDeploymentVersion = '${deploymentName}:bad'`;
    await poll(
      () => stack.client.workflow.count(touched),
      (c) => c.count === stuck.length,
      { what: 'the stuck sagas in visibility', timeoutMs: 60_000 },
    );
    await temporalCli(
      'workflow',
      'reset',
      '--query',
      touched,
      '--type',
      'BuildId',
      '--build-id',
      'bad',
      '--reason',
      'bad deploy rolled back',
      '--yes',
    );
    for (const id of stuck) {
      const done = await waitFor(id, (v) => v.status === 'CONFIRMED' && v.source === 'read-model', 'CONFIRMED', 60_000);
      expect(statesOf(done)).toEqual(everyStep('DONE'));
      expect(await buildOf(id)).toBe('v1');
      const rows = await serviceRows(stack.dbs, id);
      expect([rows.flight?.status, rows.hotel?.status, rows.payment?.status]).toEqual([
        'RESERVED',
        'RESERVED',
        'CAPTURED',
      ]);
    }
    // The reset terminated each stuck run: the reconciler leaves the saga's new run alone.
    // (Visibility is eventually consistent: a run that completed may still list as RUNNING a moment.)
    const listRuns = () =>
      Promise.all(
        stuck.map(async (id) => {
          const statuses: string[] = [];
          for await (const e of stack.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(id)}'` }))
            statuses.push(e.status.name);
          return statuses.sort();
        }),
      );
    const runs = await poll(listRuns, (r) => r.every((statuses) => !statuses.includes('RUNNING')), {
      what: 'visibility to list the reset runs as closed',
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    expect(runs).toEqual([
      ['COMPLETED', 'TERMINATED'],
      ['COMPLETED', 'TERMINATED'],
    ]);
    expect(await invariantViolations(stack.dbs)).toEqual([]);
  }, 300_000);
});
