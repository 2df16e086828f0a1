// Idempotency-Keys outlive Temporal's retention: the first booking's workflow deleted (as retention
// deletes it), a repeat from the same customer is answered from the key's row and the read model,
// never by a new saga; the same key from another customer is a booking of its own. On the dev
// stack (a real `temporal server start-dev`): the time-skipping test server does not implement
// DeleteWorkflowExecution.
import { setTimeout as delay } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import type { Stack } from '../../src/dev/stack.ts';
import { workflowIdFor } from '../../src/booking/booking.ts';
import { daysFromNow } from '../helpers/booking.ts';
import { invariantViolations, rowCountsFor, serviceRows } from '../helpers/db.ts';
import { startTestStack, type TestStack } from '../helpers/dev-stack.ts';
import { bearer } from '../helpers/identity.ts';
import { bookingBody, expectConforms, expectError, poll } from './support.ts';

let stack: Stack;
let testStack: TestStack | undefined;
beforeAll(async () => {
  testStack = await startTestStack('retention');
  stack = testStack.stack;
});
afterAll(async () => {
  await testStack?.stop();
});

const app = () => stack.apiUrl;

const rowsFor = (bookingId: string) => rowCountsFor(stack.dbs, bookingId);

/** Until the booking is closed in the read model (as an operator, who reads every booking). */
async function waitForBooking(id: string): Promise<BookingView> {
  const token = await stack.devIssuer!.mint('retention-operator', 'bookings:operate');
  return poll(
    async () => (await request(app()).get(`/bookings/${id}`).set(bearer(token))).body as BookingView,
    (v) => ['CONFIRMED', 'FAILED', 'CANCELLED'].includes(v.status) && v.source === 'read-model',
    { timeoutMs: 30_000, what: `booking ${id}` },
  );
}

describe('Idempotency-Keys outlive retention', () => {
  const trip = (day: number) => {
    const { customerId: _c, ...rest } = bookingBody({
      flight: { flightNumber: 'TB300', date: daysFromNow(day) },
      hotel: { hotelId: 'HTL-SEOUL-MYEONGDONG', checkIn: daysFromNow(day), nights: 1 },
    });
    return rest;
  };
  const post = (token: string, key: string, body: object) =>
    request(app()).post('/bookings').set(bearer(token)).set('Idempotency-Key', key).send(body);
  const customer = (sub: string) => stack.devIssuer!.mint(sub);

  test('the workflow deleted as retention does: the same customer gets the first answer, never a new saga; another customer a booking of their own', async () => {
    const [A, B] = await Promise.all([customer('ret-a'), customer('ret-b')]);
    const body = trip(33);
    const first = await post(A, 'retained-key', body);
    expect(first.status, first.text).toBe(201);
    const id = (first.body as BookingView).bookingId;
    const handle = stack.client.workflow.getHandle(workflowIdFor(id));
    await waitForBooking(id);
    const { runId } = await handle.describe();
    await stack.client.workflowService.deleteWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: workflowIdFor(id), runId },
    });
    await poll(
      () =>
        handle.describe().then(
          (d) => `there: ${d.status.name}`,
          (e: unknown) => (e instanceof WorkflowNotFoundError ? 'gone' : `error: ${String(e)}`),
        ),
      (s) => s === 'gone',
      { what: 'the workflow deleted', timeoutMs: 90_000, intervalMs: 1_000 },
    );

    const again = await post(A, 'retained-key', body);
    expect(again.status, again.text).toBe(200);
    expectConforms(again, 'POST', '/bookings');
    expect(again.body).toMatchObject({ bookingId: id, status: 'CONFIRMED', source: 'read-model', customerId: 'ret-a' });
    expectError(
      await post(A, 'retained-key', { ...body, flight: { ...body.flight, seats: 2 } }),
      422,
      'idempotency_key_reused',
    );
    await delay(300);
    await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError); // nothing started again
    expect(await rowsFor(id)).toEqual({ bookings: 1, flights: 1, hotels: 1, payments: 1 });

    const other = await post(B, 'retained-key', body);
    expect(other.status, other.text).toBe(201);
    const otherId = (other.body as BookingView).bookingId;
    expect(otherId).not.toBe(id);
    expect(await waitForBooking(otherId)).toMatchObject({ status: 'CONFIRMED', customerId: 'ret-b' });
    expect(await rowsFor(otherId)).toEqual({ bookings: 1, flights: 1, hotels: 1, payments: 1 });
    const [mine, theirs] = await Promise.all([serviceRows(stack.dbs, id), serviceRows(stack.dbs, otherId)]);
    expect(theirs.flight!.id).not.toBe(mine.flight!.id);
    expect(theirs.hotel!.id).not.toBe(mine.hotel!.id);
    expect(
      await stack.db.idempotencyKey.findMany({
        where: { key: 'retained-key' },
        select: { subject: true, bookingId: true },
        orderBy: { subject: 'asc' },
      }),
    ).toEqual([
      { subject: 'ret-a', bookingId: id },
      { subject: 'ret-b', bookingId: otherId },
    ]);
    expect(await invariantViolations(stack.dbs)).toEqual([]);
  });
});
