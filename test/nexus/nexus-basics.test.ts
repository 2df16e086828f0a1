// The spike: the flight step called over Nexus, for real. A `temporal server start-dev` of this
// file's own, the booking team's namespace (the caller) and the flight team's (the handler), an
// endpoint between them; reserveFlight runs as the flight team's workflow, cancelFlight is a sync
// operation. What crosses the boundary: results, retries (the handler's), cancellation (one test
// per NexusOperationCancellationType), failures and the caller's timeout. Findings:
// docs/nexus-spike.md.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { poll } from '../helpers/poll.ts';
import type { bookFlight, BookFlightInput } from './caller-workflows.ts';
import { FLIGHT_SERVICE_NAME, reserveWorkflowId, type FlightFault } from './flight-service.ts';
import { LATE_WRITE_MS } from './flight-activities.ts';
import { RESERVE_SEATS_OPTIONS } from './handler-workflows.ts';
import type { SeatEvent } from './seat-store.ts';
import { commandEvents, eventCounts, eventNames, startNexusSpike, summaryOf, type NexusSpike } from './support.ts';

let spike: NexusSpike;
beforeAll(async () => {
  spike = await startNexusSpike();
}, 180_000);
afterAll(() => spike?.stop());

interface Booking {
  bookingId: string;
  handle: WorkflowHandle<typeof bookFlight>;
}

/** Starts the caller's workflow for a new booking of 2 seats on NX100. */
async function startBooking(
  options: Partial<Omit<BookFlightInput, 'endpoint' | 'request'>> & { fault?: FlightFault } = {},
): Promise<Booking> {
  const { fault, ...rest } = options;
  const bookingId = randomUUID();
  const input: BookFlightInput = {
    endpoint: spike.endpoint,
    request: { bookingId, flightNumber: 'NX100', seats: 2, ...(fault ? { fault } : {}) },
    ...rest,
  };
  const handle = await spike.booking.client.workflow.start<typeof bookFlight>('bookFlight', {
    args: [input],
    taskQueue: spike.booking.taskQueue,
    workflowId: `book-${bookingId}`,
  });
  return { bookingId, handle };
}

/** The flight team's workflow behind a booking's reserveFlight, seen from the flight team's namespace. */
const handlerWorkflow = (bookingId: string) => spike.flights.client.workflow.getHandle(reserveWorkflowId(bookingId));

const events = (bookingId: string): SeatEvent['event'][] => spike.store.eventsOf(bookingId).map((e) => e.event);

async function statusOf(handle: { describe(): Promise<{ status: { name: string } }> }): Promise<string> {
  return (await handle.describe()).status.name;
}

describe.concurrent('the flight step over Nexus, booking namespace → flights namespace', () => {
  test('reserveFlight runs as the flight team’s workflow, its activity retried there under the team’s policy; cancelFlight undoes it', async () => {
    const { bookingId, handle } = await startBooking({ fault: 'transient-once', undoAfterReserve: true });

    const result = await handle.result();
    expect(result.reservation).toEqual({ reservationId: `FR-${bookingId}`, seatNumbers: ['1A', '2A'], attempt: 2 });
    expect(result.undo).toEqual({ outcome: 'UNDONE', reservationId: `FR-${bookingId}` });
    expect(spike.store.reservations.has(bookingId)).toBe(false);

    // Both attempts ran in the flight team's namespace, on its worker.
    const attempts = spike.store.eventsOf(bookingId).filter((e) => e.event === 'attempt');
    expect(attempts).toEqual(
      [1, 2].map((attempt) => ({ event: 'attempt', bookingId, attempt, namespace: spike.flights.namespace })),
    );

    // The caller's history: three events per async operation, two per sync one; no activity.
    const caller = await handle.fetchHistory();
    expect(commandEvents(caller)).toEqual([
      'WorkflowExecutionStarted',
      'NexusOperationScheduled',
      'NexusOperationStarted',
      'NexusOperationCompleted',
      'NexusOperationScheduled',
      'NexusOperationCompleted',
      'WorkflowExecutionCompleted',
    ]);
    expect(eventNames(caller)).toHaveLength(19);
    const [reserve, undo] = (caller.events ?? []).filter((e) => e.nexusOperationScheduledEventAttributes);
    expect(reserve!.nexusOperationScheduledEventAttributes).toMatchObject({
      endpoint: spike.endpoint,
      service: FLIGHT_SERVICE_NAME,
      operation: 'reserveFlight',
    });
    expect(undo!.nexusOperationScheduledEventAttributes).toMatchObject({ operation: 'cancelFlight' });
    // The step's budgets as the server keeps them: a minute for the reserve, a day for the undo.
    const budget = (e: typeof reserve) =>
      Number(e!.nexusOperationScheduledEventAttributes?.scheduleToCloseTimeout?.seconds);
    expect([budget(reserve), budget(undo)]).toEqual([60, 24 * 60 * 60]);
    expect([summaryOf(reserve!), summaryOf(undo!)]).toEqual([
      'Reserve 2 seat(s) on NX100',
      `Undo flight: cancelFlight ${bookingId}`,
    ]);
    // NexusOperationStarted links to the handler's workflow.
    const started = caller.events?.find((e) => e.nexusOperationStartedEventAttributes);
    expect(started?.links?.[0]?.workflowEvent).toMatchObject({
      namespace: spike.flights.namespace,
      workflowId: reserveWorkflowId(bookingId),
    });

    // The handler's history: the team's workflow, its activity scheduled with the team's retry
    // policy, started (once, recorded with its last attempt: a retry is not an event) and completed.
    const handler = await handlerWorkflow(bookingId).fetchHistory();
    expect(commandEvents(handler)).toEqual([
      'WorkflowExecutionStarted',
      'ActivityTaskScheduled',
      'ActivityTaskStarted',
      'ActivityTaskCompleted',
      'WorkflowExecutionCompleted',
    ]);
    expect(eventNames(handler)).toHaveLength(11);
    const scheduled = handler.events?.find(
      (e) => e.activityTaskScheduledEventAttributes,
    )?.activityTaskScheduledEventAttributes;
    expect(scheduled?.retryPolicy?.maximumAttempts).toBe(RESERVE_SEATS_OPTIONS.retry.maximumAttempts);
    expect(
      handler.events?.find((e) => e.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes?.attempt,
    ).toBe(2);
    // Its start carries the caller's link and the completion callback that reports back.
    const callback = handler.events?.[0]?.workflowExecutionStartedEventAttributes?.completionCallbacks?.[0];
    expect(callback?.nexus?.url).toBe('temporal://system');
    expect(callback?.links?.[0]?.workflowEvent).toMatchObject({
      namespace: spike.booking.namespace,
      workflowId: `book-${bookingId}`,
    });

    // The start handler saw the caller's deadline and link as headers.
    const start = spike.store.eventsOf(bookingId).find((e) => e.event === 'start');
    expect(start?.event === 'start' && start.headers).toMatchObject({
      'operation-timeout': expect.stringMatching(/^\d+ms$/) as string,
      'nexus-link': expect.stringContaining(spike.booking.namespace) as string,
    });
  });

  test('a sync operation that fails retryably (the undo) is retried by the server, invisibly to the caller’s history', async () => {
    const { bookingId, handle } = await startBooking({ undoAfterReserve: true, undo: { failTimes: 2 } });

    const result = await handle.result();
    expect(result.undo).toEqual({ outcome: 'UNDONE', reservationId: `FR-${bookingId}` });
    expect(events(bookingId)).toEqual(['start', 'attempt', 'hold', 'undo-refused', 'undo-refused', 'undo']);
    const counts = eventCounts(await handle.fetchHistory());
    expect([counts.NexusOperationScheduled, counts.NexusOperationCompleted, counts.NexusOperationFailed]).toEqual([
      2,
      2,
      undefined,
    ]);
  });

  describe('a user’s cancel while reserveFlight runs: which cancellation type cancels the operation and leaves nothing behind', () => {
    const CASES = [
      // The caller stops waiting at once and sends no cancel: the handler's workflow runs on.
      { type: 'ABANDON', sendsCancel: false, waitsFor: 'nothing', handlerAtCallerClose: 'RUNNING', leftBehind: false },
      // A cancel is sent, the caller does not wait: its undo runs before the handler has stopped,
      // and the handler's late write survives the undo.
      { type: 'TRY_CANCEL', sendsCancel: true, waitsFor: 'nothing', handlerAtCallerClose: 'RUNNING', leftBehind: true },
      {
        type: 'WAIT_CANCELLATION_REQUESTED',
        sendsCancel: true,
        waitsFor: 'NexusOperationCancelRequestCompleted',
        handlerAtCallerClose: 'RUNNING',
        leftBehind: true,
      },
      // The caller waits until the handler's workflow is cancelled: the undo comes last.
      {
        type: 'WAIT_CANCELLATION_COMPLETED',
        sendsCancel: true,
        waitsFor: 'NexusOperationCanceled',
        handlerAtCallerClose: 'CANCELLED',
        leftBehind: false,
      },
    ] as const;

    test.each(CASES)('$type', async ({ type, sendsCancel, waitsFor, handlerAtCallerClose, leftBehind }) => {
      const { bookingId, handle } = await startBooking({ fault: 'slow', cancellationType: type });
      await poll(
        () => events(bookingId),
        (seen) => seen.includes('hold'),
        { what: 'the slow reserve to hold the seats' },
      );

      await handle.cancel();
      const error = await handle.result().catch((e: unknown) => e);
      expect(String(error)).toMatch(/cancelled/);
      const handler = handlerWorkflow(bookingId);
      expect(await statusOf(handler)).toBe(handlerAtCallerClose);

      // The caller undid in a non-cancellable scope after the cancel came in.
      const caller = commandEvents(await handle.fetchHistory());
      expect(caller.slice(0, 4)).toEqual([
        'WorkflowExecutionStarted',
        'NexusOperationScheduled',
        'NexusOperationStarted',
        'WorkflowExecutionCancelRequested',
      ]);
      expect(caller.at(-1)).toBe('WorkflowExecutionCanceled');
      expect(caller.includes('NexusOperationCancelRequested')).toBe(sendsCancel);
      const undoAt = caller.lastIndexOf('NexusOperationScheduled');
      if (waitsFor !== 'nothing') expect(caller.indexOf(waitsFor)).toBeLessThan(undoAt);
      expect(caller.slice(undoAt, undoAt + 2)).toEqual(['NexusOperationScheduled', 'NexusOperationCompleted']);

      if (!sendsCancel) {
        // The operation was never cancelled: its activity still runs in the flight team's namespace.
        expect((await handler.describe()).raw.pendingActivities).toHaveLength(1);
        expect(events(bookingId)).toEqual(['start', 'attempt', 'hold', 'undo']);
        await handler.terminate('the spike cleans up an abandoned operation');
        return;
      }
      // The cancel reached the handler: its workflow and its activity were cancelled.
      await poll(
        () => statusOf(handler),
        (status) => status === 'CANCELLED',
        { what: `the handler's workflow (${type}) to be cancelled`, timeoutMs: 10 * LATE_WRITE_MS },
      );
      expect(commandEvents(await handler.fetchHistory())).toEqual([
        'WorkflowExecutionStarted',
        'ActivityTaskScheduled',
        'WorkflowExecutionCancelRequested',
        'ActivityTaskCancelRequested',
        'ActivityTaskStarted',
        'ActivityTaskCanceled',
        'WorkflowExecutionCanceled',
      ]);
      await poll(
        () => events(bookingId),
        (seen) => seen.includes('late-write'),
        { what: 'the late write' },
      );
      expect(events(bookingId)).toEqual(
        leftBehind
          ? ['start', 'attempt', 'hold', 'undo', 'late-write']
          : ['start', 'attempt', 'hold', 'late-write', 'undo'],
      );
      expect(spike.store.reservations.has(bookingId)).toBe(leftBehind);
    });
  });

  test('FlightSoldOut from the handler’s workflow: NexusOperationFailure ← ActivityFailure ← ApplicationFailure, type kept', async () => {
    const { bookingId, handle } = await startBooking({ fault: 'sold-out' });

    const result = await handle.result();
    expect(result.failure).toEqual([
      {
        name: 'NexusOperationFailure',
        message: 'nexus operation completed unsuccessfully',
        operation: 'reserveFlight',
        operationToken: expect.any(String) as string,
      },
      { name: 'ActivityFailure', message: 'Activity task failed' },
      { name: 'ApplicationFailure', message: 'NX100 is sold out', type: 'FlightSoldOut', nonRetryable: true },
    ]);
    expect(result.undo).toEqual({ outcome: 'NOTHING_TO_UNDO' });
    expect(events(bookingId)).toEqual(['start', 'attempt', 'undo']); // non-retryable: one attempt
    expect(commandEvents(await handle.fetchHistory())).toContain('NexusOperationFailed');
    expect(await statusOf(handlerWorkflow(bookingId))).toBe('FAILED');
  });

  test('FlightSoldOut from the start handler: NexusOperationFailure ← HandlerError (INTERNAL, not retryable) ← ApplicationFailure, type kept', async () => {
    const { bookingId, handle } = await startBooking({ fault: 'sold-out-at-start' });

    const result = await handle.result();
    expect(result.failure).toEqual([
      {
        name: 'NexusOperationFailure',
        message: 'nexus operation completed unsuccessfully',
        operation: 'reserveFlight',
      },
      {
        name: 'HandlerError',
        message: 'Handler failed with non-retryable application error',
        handlerErrorType: 'INTERNAL',
        retryable: false,
      },
      { name: 'ApplicationFailure', message: 'NX100 is sold out', type: 'FlightSoldOut', nonRetryable: true },
    ]);
    expect(events(bookingId)).toEqual(['start', 'undo']); // the server did not retry the start
    const caller = commandEvents(await handle.fetchHistory());
    expect(caller.slice(0, 3)).toEqual(['WorkflowExecutionStarted', 'NexusOperationScheduled', 'NexusOperationFailed']); // no Started: no workflow
  });

  test('the caller’s timeout fails its operation and sends no cancel; the handler’s workflow ends only because the handler took the deadline', async () => {
    const { bookingId, handle } = await startBooking({ fault: 'slow', reserveTimeoutMs: 3_000 });

    const result = await handle.result();
    expect(result.failure).toEqual([
      {
        name: 'NexusOperationFailure',
        message: 'nexus operation completed unsuccessfully',
        operation: 'reserveFlight',
        operationToken: expect.any(String) as string,
      },
      { name: 'TimeoutFailure', message: 'operation timed out', timeoutType: 'SCHEDULE_TO_CLOSE' },
    ]);
    const caller = commandEvents(await handle.fetchHistory());
    expect(caller).toContain('NexusOperationTimedOut');
    expect(caller).not.toContain('NexusOperationCancelRequested');
    // The handler set its workflow's execution timeout from the `operation-timeout` header.
    await poll(
      () => statusOf(handlerWorkflow(bookingId)),
      (status) => status === 'TIMED_OUT',
      { what: "the handler's workflow to time out" },
    );
    // Its activity learns of it only at a heartbeat: its write lands after the caller's undo.
    await poll(
      () => events(bookingId),
      (seen) => seen.includes('late-write'),
      { what: 'the late write' },
    );
    expect(events(bookingId)).toEqual(['start', 'attempt', 'hold', 'undo', 'late-write']);
    expect(spike.store.reservations.has(bookingId)).toBe(true);
  });
});
