// Callers that wait (Prefer: wait) never lock a booking's owner out: however many wait, a booking
// has at most one awaitSettled Update in flight, so Temporal's cap on the Updates in flight per
// workflow (10 by default) is never reached by waiting. On the dev stack (a real `temporal server
// start-dev`, which enforces that cap; the time-skipping test server does not).
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import type { Stack } from '../../src/dev/stack.ts';
import { isSettled, workflowIdFor } from '../../src/booking/booking.ts';
import { daysFromNow } from '../helpers/booking.ts';
import { startTestStack, type TestStack } from '../helpers/dev-stack.ts';
import { bearer } from '../helpers/identity.ts';
import { bookingBody, poll } from './support.ts';

let stack: Stack;
let testStack: TestStack | undefined;
beforeAll(async () => {
  testStack = await startTestStack('shared_waits');
  stack = testStack.stack;
});
afterAll(async () => {
  await testStack?.stop();
});

/** The awaitSettled Updates the workflow accepted (each one in flight until the booking settles), from its history. */
async function acceptedWaits(bookingId: string): Promise<number> {
  const history = await stack.client.workflow.getHandle(workflowIdFor(bookingId)).fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'awaitSettled',
  ).length;
}

function slowBody(day: number) {
  const { customerId: _c, ...body } = bookingBody({
    flight: { flightNumber: 'TB300', date: daysFromNow(day) },
    hotel: { hotelId: 'HTL-SEOUL-MYEONGDONG', checkIn: daysFromNow(day), nights: 1 },
    // The payment provider is down for ten minutes: the booking stays PENDING, its payment retried.
    faults: { chargePayment: 'outage:10m' },
  });
  return body;
}

describe('Prefer: wait on a slow booking', () => {
  test('callers that share a wait each stop at their own deadline', async () => {
    const owner = await stack.devIssuer!.mint('wait-deadlines');
    const body = slowBody(51);
    const key = `own-deadline-${randomBytes(4).toString('hex')}`;
    const first = await request(stack.apiUrl)
      .post('/bookings')
      .set(bearer(owner))
      .set('Idempotency-Key', key)
      .send(body);
    expect(first.status, first.text).toBe(201);
    const id = (first.body as BookingView).bookingId;
    const timed = async (seconds: number) => {
      const started = Date.now();
      const res = await request(stack.apiUrl)
        .post('/bookings')
        .set(bearer(owner))
        .set('Idempotency-Key', key)
        .set('Prefer', `wait=${seconds}`)
        .send(body);
      return { res, ms: Date.now() - started };
    };
    const [short, long] = await Promise.all([timed(1), timed(5)]);
    for (const { res } of [short, long]) {
      expect(res.status, res.text).toBe(200);
      expect((res.body as BookingView).status).toBe('PENDING');
    }
    // The shorter wait did not hold the longer one up, nor the longer one the shorter.
    expect(long.ms).toBeGreaterThanOrEqual(4_900);
    expect(short.ms).toBeLessThan(long.ms);
    expect(await acceptedWaits(id)).toBe(1);
  });

  test("15 waiting repeats, twice over, cost one Update; the owner's cancel is accepted while they wait; every waiter gets a 2xx", async () => {
    const owner = await stack.devIssuer!.mint('wait-owner');
    const body = slowBody(50);
    const key = `shared-wait-${randomBytes(4).toString('hex')}`;
    const repeat = (seconds: number) =>
      request(stack.apiUrl)
        .post('/bookings')
        .set(bearer(owner))
        .set('Idempotency-Key', key)
        .set('Prefer', `wait=${seconds}`)
        .send(body)
        .timeout(60_000);

    const first = await request(stack.apiUrl)
      .post('/bookings')
      .set(bearer(owner))
      .set('Idempotency-Key', key)
      .send(body);
    expect(first.status, first.text).toBe(201);
    const id = (first.body as BookingView).bookingId;

    // Round one: 15 callers wait 2 s and give up, all at about the same time.
    const round1 = await Promise.all(Array.from({ length: 15 }, () => repeat(2)));
    for (const res of round1) {
      expect(res.status, res.text).toBe(200);
      expect((res.body as BookingView).status).toBe('PENDING');
    }

    // Round two: 15 callers wait up to 30 s; while they wait, the owner cancels.
    const round2 = Promise.all(Array.from({ length: 15 }, () => repeat(30)));
    await poll(
      () => acceptedWaits(id),
      (n) => n > 0,
      { what: "a waiter's awaitSettled Update accepted", timeoutMs: 20_000 },
    );
    const cancel = await request(stack.apiUrl)
      .post(`/bookings/${id}/cancel`)
      .set(bearer(owner))
      .send({ reason: 'no answer from the bank' });
    expect(cancel.status, cancel.text).toBe(202);

    for (const res of await round2) {
      expect(res.status, res.text).toBe(200);
      // Each answers once the booking settles (CANCELLED), or as it stands at its deadline.
      const view = res.body as BookingView;
      expect(view.cancelRequested || isSettled(view.status), res.text).toBe(true);
    }
    expect(await acceptedWaits(id), 'awaitSettled Updates the workflow accepted').toBe(1);
  });
});
