// The work the measurements give the stack: bookings (through the saga's client start, or
// POST /bookings as the API's callers do) and bare workflows, and the waits for their ends. A
// booking calls its services the stack's way: its input names the routes, as the API's does.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { tokenizeCard } from '../src/activities/payments/vault.ts';
import { TASK_QUEUE, workflowIdFor, type BookTripInput } from '../src/booking/booking.ts';
import { sampleCards } from '../src/activities/payments/cards.ts';
import { pool } from './load.ts';
import { serviceWorkflowsOf } from './service-workflows.ts';
import { VAULT_KEY, type Stack } from './stack.ts';
import { waitFor } from './wait.ts';

const CARDS = sampleCards();

/** The bare worker's task queue (bench/bare-worker.ts). */
const BARE_TASK_QUEUE = 'bench-bare';

export interface Workload {
  /** The `i`th booking of a run, spread over flights, hotels and dates, paid with a good card. */
  input: (i: number, overrides?: Partial<BookTripInput>) => BookTripInput;
  /** A booking that waits for an operator: the card is declined, and the hotel's undo fails. */
  waiting: (i: number, customerId: string) => BookTripInput;
  /** A POST /bookings body for `customerId`, with `extra` fields (faults, for one). */
  bodyFor: (customerId: string, extra?: Record<string, unknown>) => string;
  /** POST /bookings; the new booking's id. */
  postBooking: (body: string) => Promise<string>;
  /** The booking's workflow id. */
  workflowIdOf: (bookingId: string) => string;
  /** The events of a workflow's history in the booking's namespace (a booking's, or a bare one's). */
  historyOf: (workflowId: string) => Promise<temporal.api.history.v1.IHistoryEvent[]>;
  /** Waits for the booking's workflow, and returns its status. */
  resultOf: (bookingId: string) => Promise<string>;
  /** Starts the saga with the client (no API) and waits for its result. */
  executeSaga: (input: BookTripInput) => Promise<{ status: string }>;
  /** Starts the saga with the client (no API). */
  startSaga: (input: BookTripInput) => Promise<WorkflowHandle>;
  /** Terminates the booking's workflow and, over Nexus, the services' workflows it leaves running. */
  terminateSaga: (bookingId: string, reason: string) => Promise<void>;
  /** Starts a bare workflow and waits for its end. */
  executeBare: (workflowId: string) => Promise<void>;
  startBare: (workflowId?: string) => Promise<WorkflowHandle>;
  /** Resolves once `count` of `customerId`'s bookings have ended (CONFIRMED, FAILED or CANCELLED). */
  waitForEnded: (customerId: string, count: number, what: string) => Promise<void>;
  /** Resolves once `count` of `customerId`'s bookings wait for an operator (COMPENSATION_FAILED). */
  waitForAwaitingOperator: (customerId: string, count: number, what: string) => Promise<void>;
  /** 20 bookings, 10 at a time (and 20 bare workflows for the first warm-up). */
  warmUp: (which: 'first' | 'fresh') => Promise<void>;
}

/** A date 1–50 days ahead, spread by `i`, plus `extra` days. */
function dayOffset(i: number, extra = 0) {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1 + (i % 50) + extra))
    .toISOString()
    .slice(0, 10);
}

export async function createWorkload(stack: Stack): Promise<Workload> {
  const { client, dbs, apiUrl, authorization, services } = stack;
  const good = await tokenizeCard(dbs.payments, VAULT_KEY, 'bench', CARDS.good);
  const declined = await tokenizeCard(dbs.payments, VAULT_KEY, 'bench', CARDS.declined);

  const input = (i: number, overrides: Partial<BookTripInput> = {}): BookTripInput => ({
    bookingId: randomUUID(),
    customerId: `bench-${i % 100}`,
    flight: { flightNumber: ['TB100', 'TB200', 'TB300', 'TB400'][i % 4]!, date: dayOffset(i), seats: 1 },
    hotel: {
      hotelId: ['HTL-TOKYO-SHINJUKU', 'HTL-SEOUL-MYEONGDONG', 'HTL-SF-UNION'][i % 3]!,
      checkIn: dayOffset(i),
      checkOut: dayOffset(i, 2),
      rooms: 1,
    },
    payment: { token: good.token, brand: good.brand, last4: good.last4 },
    services: services.routes,
    ...overrides,
  });
  const executeSaga = async (b: BookTripInput) =>
    (await client.workflow.execute('bookTrip', {
      taskQueue: TASK_QUEUE,
      workflowId: workflowIdFor(b.bookingId),
      args: [b],
    })) as { status: string };
  const executeBare = async (workflowId: string) => {
    await client.workflow.execute('bareWorkflow', { taskQueue: BARE_TASK_QUEUE, workflowId });
  };

  return {
    input,
    waiting: (i, customerId) =>
      input(i, {
        customerId,
        payment: { token: declined.token, brand: declined.brand, last4: declined.last4 },
        faults: { cancelHotel: 'fail' },
      }),
    bodyFor: (customerId, extra = {}) =>
      JSON.stringify({
        customerId,
        flight: { flightNumber: 'TB100', date: dayOffset(3), seats: 1 },
        hotel: { hotelId: 'HTL-TOKYO-SHINJUKU', checkIn: dayOffset(3), nights: 2, rooms: 1 },
        payment: { card: CARDS.good },
        ...extra,
      }),
    postBooking: async (body) => {
      const res = await fetch(`${apiUrl}/bookings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body,
      });
      if (res.status !== 201) throw new Error(`POST /bookings: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { bookingId: string }).bookingId;
    },
    workflowIdOf: workflowIdFor,
    historyOf: async (workflowId) => (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [],
    resultOf: async (bookingId) =>
      ((await client.workflow.getHandle(workflowIdFor(bookingId)).result()) as { status: string }).status,
    executeSaga,
    startSaga: (b) =>
      client.workflow.start('bookTrip', { taskQueue: TASK_QUEUE, workflowId: workflowIdFor(b.bookingId), args: [b] }),
    terminateSaga: async (bookingId, reason) => {
      await client.workflow.getHandle(workflowIdFor(bookingId)).terminate(reason);
      // A terminated booking runs no code, so nothing cancels its operations: their workflows would run on.
      for (const w of await serviceWorkflowsOf(stack, bookingId)) {
        const handle = w.client.workflow.getHandle(w.workflowId);
        if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate(reason);
      }
    },
    executeBare,
    startBare: (workflowId = `bare-${randomUUID()}`) =>
      client.workflow.start('bareWorkflow', { taskQueue: BARE_TASK_QUEUE, workflowId }),
    waitForEnded: (customerId, count, what) =>
      waitFor(
        async () =>
          (await dbs.booking.booking.count({
            where: { customerId, status: { in: ['CONFIRMED', 'FAILED', 'CANCELLED'] } },
          })) >= count,
        600_000,
        what,
      ),
    waitForAwaitingOperator: (customerId, count, what) =>
      waitFor(
        async () =>
          (await dbs.booking.booking.count({ where: { customerId, status: 'COMPENSATION_FAILED' } })) >= count,
        600_000,
        what,
      ),
    warmUp: (which) =>
      pool(20, 10, async (i) => {
        await executeSaga(input(i, { customerId: `bench-warm-${which}` }));
        if (which === 'first') await executeBare(`bare-warm-${randomUUID()}`);
      }),
  };
}
