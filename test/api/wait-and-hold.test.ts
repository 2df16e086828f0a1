// Prefer: wait on POST /bookings (Update-with-Start), holds, and POST /bookings/:id/confirm,
// through the real app, a real worker on the time-skipping server, and PostgreSQL.
import request from 'supertest';
import { BOOKING_STATUS_SEARCH_ATTRIBUTE } from '../../src/booking/messages.ts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { CARDS, daysFromNow } from '../helpers/booking.ts';
import { invariantViolations } from '../helpers/db.ts';
import { unwindFrom } from '../helpers/steps.ts';
import { createTripWorkers } from '../../src/temporal/worker-factory.ts';
import { createHotelService } from '../../src/activities/hotels/activities.ts';
import type { bookTrip } from '../../src/workflows/book-trip.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import {
  bookingBody,
  expectConforms,
  expectError,
  poll,
  readEvents,
  waitForBooking,
  type BodyOverrides,
} from './support.ts';

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await createApiHarness('api_wait_hold');
  api = await startApi(h);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

/** Each test books its own flight day, so seat counts are its own. */
const trip = (day: number): Pick<BodyOverrides, 'flight' | 'hotel'> => ({
  flight: { flightNumber: 'TB300', date: daysFromNow(day) },
  hotel: { hotelId: 'HTL-TOKYO-SHINJUKU', checkIn: daysFromNow(day), nights: 2 },
});

function holdBody(day: number, minutes = 60) {
  const { payment: _payment, ...body } = bookingBody({ customerId: `hold-${day}`, ...trip(day) });
  return { ...body, hold: { minutes } };
}

async function post(body: object, headers: Record<string, string> = {}) {
  const started = Date.now();
  const res = await request(api.app).post('/bookings').set(headers).send(body);
  return { res, ms: Date.now() - started, view: res.body as BookingView };
}

const confirm = (id: string, body: object, headers: Record<string, string> = {}) =>
  request(api.app).post(`/bookings/${id}/confirm`).set(headers).send(body);

describe('POST /bookings with Prefer: wait', () => {
  test('a fast booking: 201 with its final status, and Preference-Applied', async () => {
    const { res, view } = await post(bookingBody({ customerId: 'wait-fast', ...trip(11) }), { Prefer: 'wait=10' });
    expect(res.status, res.text).toBe(201);
    expect(res.headers['preference-applied']).toBe('wait=10');
    expect(view).toMatchObject({ status: 'CONFIRMED', source: 'workflow' });
    expect(view.payment?.amount).toMatch(/^[0-9]+\.[0-9]{2}$/);
    expect(res.headers.location).toBe(`/bookings/${view.bookingId}`);
    expectConforms(res, 'POST', '/bookings');
  });

  test('a failing booking: 201 with FAILED (a failed booking, not a failed request)', async () => {
    const { res, view } = await post(bookingBody({ customerId: 'wait-declined', ...trip(12), card: CARDS.declined }), {
      Prefer: 'respond-async, wait=10',
    });
    expect(res.status).toBe(201);
    expect(res.headers['preference-applied']).toBe('wait=10');
    expect(view).toMatchObject({ status: 'FAILED', failure: { step: 'payment', type: 'CardDeclined' } });
  });

  test('a slow booking: 201 PENDING after about N s, no longer; the saga runs on', async () => {
    // The hotel answers too late once (5 s start-to-close), then works.
    const { res, ms, view } = await post(
      bookingBody({ customerId: 'wait-slow', ...trip(13), faults: { reserveHotel: 'timeout' } }),
      { Prefer: 'wait=2' },
    );
    expect(res.status).toBe(201);
    expect(res.headers['preference-applied']).toBe('wait=2');
    expect(view.status).toBe('PENDING');
    expect(ms).toBeGreaterThanOrEqual(1_900);
    expect(ms).toBeLessThan(3_500);
    expect((await waitForBooking(api.app, view.bookingId)).status).toBe('CONFIRMED');
  });

  test('an idempotent repeat that asks to wait waits on the same booking and starts none', async () => {
    const body = bookingBody({ customerId: 'wait-repeat', ...trip(14), faults: { reserveHotel: 'timeout' } });
    const first = await post(body, { 'Idempotency-Key': 'wait-repeat-1', Prefer: 'wait=1' });
    expect(first.res.status).toBe(201);
    expect(first.view.status).toBe('PENDING');
    const repeat = await post(body, { 'Idempotency-Key': 'wait-repeat-1', Prefer: 'wait=20' });
    expect(repeat.res.status, repeat.res.text).toBe(200);
    expect(repeat.res.headers['preference-applied']).toBe('wait=20');
    expect(repeat.view).toMatchObject({ bookingId: first.view.bookingId, status: 'CONFIRMED' });
    expect(repeat.ms).toBeGreaterThan(1_000); // it waited for the hotel's retry
    expectConforms(repeat.res, 'POST', '/bookings');
    const list = await request(api.app).get('/bookings').query({ customerId: 'wait-repeat' });
    expect((list.body as { items: unknown[] }).items).toHaveLength(1);
  });

  test('no worker answers: 201 PENDING after about N s (the booking is started), not an error', async () => {
    const idle = await startApi(h, { workerDeadlineMs: 500 });
    await idle.stop(); // its task queue has no worker any more
    try {
      const started = Date.now();
      const res = await request(idle.app)
        .post('/bookings')
        .set({ Prefer: 'wait=2', 'Idempotency-Key': 'no-worker-1' })
        .send(bookingBody({ customerId: 'wait-idle', ...trip(24) }));
      const ms = Date.now() - started;
      expect(res.status, res.text).toBe(201);
      expect(res.headers['preference-applied']).toBe('wait=2');
      expect((res.body as BookingView).status).toBe('PENDING');
      expect(ms).toBeGreaterThanOrEqual(1_900);
      expect(ms).toBeLessThan(4_000);
      const handle = h.env.client.workflow.getHandle<typeof bookTrip>(`booking-${(res.body as BookingView).bookingId}`);
      const description = await handle.describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.taskQueue).toBe(idle.taskQueue);
      // No workflow task has run, yet the booking is in the read model and findable by status: the
      // API wrote its PENDING row and started it with BookingStatus=PENDING.
      const bookingId = (res.body as BookingView).bookingId;
      expect(description.typedSearchAttributes.get(BOOKING_STATUS_SEARCH_ATTRIBUTE)).toBe('PENDING');
      expect(await h.tdb.db.booking.findUnique({ where: { id: bookingId } })).toMatchObject({
        status: 'PENDING',
        version: 1n,
        customerId: 'wait-idle',
      });
      // A worker comes back: the same booking runs to its end (and the test server's clock is free again).
      const worker = await createTripWorkers({
        connection: h.env.nativeConnection,
        taskQueue: idle.taskQueue,
        workflowBundle: h.bundle,
        dbs: h.tdb.dbs,
        faultInjection: true,
        worker: { shutdownGraceTime: '1s' },
      });
      expect((await worker.runUntil(handle.result())).status).toBe('CONFIRMED');
      expect(await h.tdb.db.booking.findUnique({ where: { id: bookingId } })).toMatchObject({ status: 'CONFIRMED' });
      expect((await handle.describe()).typedSearchAttributes.get(BOOKING_STATUS_SEARCH_ATTRIBUTE)).toBe('CONFIRMED');
    } finally {
      await idle.stop();
    }
  });

  test('concurrent first requests with one key that all wait: one booking started, every answer its outcome', async () => {
    const body = bookingBody({ customerId: 'wait-race', ...trip(26) });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => post(body, { 'Idempotency-Key': 'wait-race-1', Prefer: 'wait=15' })),
    );
    expect(answers.map((a) => a.res.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.view.bookingId)).size).toBe(1);
    expect(answers.map((a) => a.view.status)).toEqual(Array(5).fill('CONFIRMED'));
    const list = await request(api.app).get('/bookings').query({ customerId: 'wait-race' });
    expect((list.body as { items: unknown[] }).items).toHaveLength(1);
  });

  test.each([
    'wait=0',
    'wait=31',
    'wait=abc',
    'wait',
    'wait=-1',
    'wait=1.5',
    'wait=5, wait=6',
    '=;,',
    'handling=strict',
    'wait="x"',
  ])('Prefer: %s is ignored: 201 PENDING at once, no Preference-Applied', async (prefer) => {
    const { res, ms, view } = await post(bookingBody({ customerId: 'wait-ignored', ...trip(15) }), { Prefer: prefer });
    expect(res.status, res.text).toBe(201);
    expect(res.headers['preference-applied']).toBeUndefined();
    expect(view.status).toBe('PENDING');
    expect(ms).toBeLessThan(1_500); // no wait (the header check above is the exact one)
  });

  test('a hold with Prefer: wait answers once HELD, with its deadline', async () => {
    const { res, view } = await post(holdBody(16, 90), { Prefer: 'wait=10' });
    expect(res.status, res.text).toBe(201);
    expect(view.status).toBe('HELD');
    expect(Date.parse(view.holdExpiresAt!) - Date.parse(view.updatedAt)).toBe(90 * 60_000);
    expect(view.payment).toBeUndefined();
    expectConforms(res, 'POST', '/bookings');
    await request(api.app).post(`/bookings/${view.bookingId}/cancel`).send({});
  });
});

describe('holds and POST /bookings/:id/confirm', () => {
  test('hold and payment together, or neither: 400', async () => {
    const both = { ...bookingBody({ customerId: 'hold-both', ...trip(17) }), hold: { minutes: 10 } };
    expectError((await post(both)).res, 400, 'validation_failed');
    const { payment: _payment, ...neither } = bookingBody({ customerId: 'hold-neither', ...trip(17) });
    expectError((await post(neither)).res, 400, 'validation_failed');
    for (const minutes of [0, 1441, 1.5])
      expectError((await post(holdBody(17, minutes))).res, 400, 'validation_failed');
  });

  test('confirm: 400 for a bad card with nothing written, 202 while HELD, then CONFIRMED; 409 once not HELD', async () => {
    const { view: created } = await post(holdBody(18), { Prefer: 'wait=10' });
    expect(created.status).toBe('HELD');
    const id = created.bookingId;

    const tokensBefore = await h.tdb.dbs.payments.paymentMethod.count();
    const bad = await confirm(id, { payment: { card: { ...CARDS.good, number: '4242424242424241' } } });
    expectError(bad, 400, 'validation_failed');
    expectConforms(bad, 'POST', '/bookings/{id}/confirm');
    expect(await h.tdb.dbs.payments.paymentMethod.count()).toBe(tokensBefore);
    expect((await request(api.app).get(`/bookings/${id}`)).body).toMatchObject({
      status: 'HELD',
      version: created.version,
    });

    const accepted = await confirm(id, { payment: { card: CARDS.good } });
    expect(accepted.status, accepted.text).toBe(202);
    expectConforms(accepted, 'POST', '/bookings/{id}/confirm');
    expect(accepted.body).toMatchObject({
      status: 'PENDING',
      payment: { last4: '4242' },
      confirmed: { by: 'test-operator' },
    });
    expect((await waitForBooking(api.app, id)).status).toBe('CONFIRMED');

    const again = await confirm(id, { payment: { card: CARDS.good } });
    expectError(again, 409, 'conflict');
    expectConforms(again, 'POST', '/bookings/{id}/confirm');
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });

  test('confirm a booking that is no hold: 409, no card tokenized', async () => {
    const { view } = await post(
      bookingBody({ customerId: 'not-held', ...trip(19), faults: { reserveHotel: 'timeout' } }),
    );
    const tokensBefore = await h.tdb.dbs.payments.paymentMethod.count();
    expectError(await confirm(view.bookingId, { payment: { card: CARDS.declined } }), 409, 'conflict');
    expect(await h.tdb.dbs.payments.paymentMethod.count()).toBe(tokensBefore);
  });

  test('confirm with Prefer: wait: 200 with the outcome; a declined card unwinds to FAILED', async () => {
    const { view: created } = await post(holdBody(20), { Prefer: 'wait=10' });
    const res = await confirm(created.bookingId, { payment: { card: CARDS.declined } }, { Prefer: 'wait=10' });
    expect(res.status, res.text).toBe(200);
    expect(res.headers['preference-applied']).toBe('wait=10');
    expectConforms(res, 'POST', '/bookings/{id}/confirm');
    const view = res.body as BookingView;
    expect(view).toMatchObject({ status: 'FAILED', failure: { step: 'payment', type: 'CardDeclined' } });
    expect(view.compensations.map((c) => c.activity)).toEqual(unwindFrom('payment'));
  });

  test('extend a hold once: 202 with the new deadline; again: 409; bad minutes: 400', async () => {
    const { view } = await post(holdBody(22, 20), { Prefer: 'wait=10' });
    const extend = (body: object) => request(api.app).post(`/bookings/${view.bookingId}/hold/extend`).send(body);
    expectError(await extend({ minutes: 0 }), 400, 'validation_failed');
    const res = await extend({ minutes: 15 });
    expect(res.status, res.text).toBe(202);
    expectConforms(res, 'POST', '/bookings/{id}/hold/extend');
    expect(Date.parse((res.body as BookingView).holdExpiresAt!) - Date.parse(view.holdExpiresAt!)).toBe(15 * 60_000);
    expectError(await extend({ minutes: 15 }), 409, 'conflict');
    await request(api.app).post(`/bookings/${view.bookingId}/cancel`).send({});
  });

  test('a hold that runs out: the event stream shows HELD, then the unwind, then ends EXPIRED; the list finds it', async () => {
    const { view } = await post(holdBody(23, 1), { Prefer: 'wait=10' });
    expect(view.status).toBe('HELD');
    const stream = readEvents(api.app, view.bookingId);
    await h.env.sleep('61s'); // the test server's clock: the hold's timer fires
    const { res, events } = await stream;
    expectConforms(res, 'GET', '/bookings/{id}/events');
    const statuses = events.filter((e) => e.event === 'booking').map((e) => (JSON.parse(e.data) as BookingView).status);
    expect(statuses[0]).toBe('HELD');
    expect(statuses.at(-1)).toBe('EXPIRED');
    expect(events.at(-1)).toMatchObject({ event: 'end', data: JSON.stringify({ status: 'EXPIRED' }) });
    const done = await waitForBooking(api.app, view.bookingId);
    expect(done).toMatchObject({
      status: 'EXPIRED',
      source: 'read-model',
      failure: { step: 'payment', type: 'HoldExpired' },
    });
    expect(done.compensations.map((c) => c.activity)).toEqual(unwindFrom('hotel'));
    const list = await request(api.app).get('/bookings').query({ status: 'EXPIRED', customerId: 'hold-23' });
    expect((list.body as { items: { bookingId: string }[] }).items.map((i) => i.bookingId)).toEqual([view.bookingId]);
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });

  test('the list shows a HELD booking with its deadline', async () => {
    const { view } = await post(holdBody(21, 5), { Prefer: 'wait=10' });
    // The read model learns HELD just after the workflow says so (its update is an activity).
    const list = await poll(
      () => request(api.app).get('/bookings').query({ status: 'HELD', customerId: 'hold-21' }),
      (res) => res.status === 200 && (res.body as { items: unknown[] }).items.length > 0,
      { what: 'the HELD booking in the list' },
    );
    expect((list.body as { items: { bookingId: string }[] }).items).toEqual([
      expect.objectContaining({ bookingId: view.bookingId, status: 'HELD', holdExpiresAt: view.holdExpiresAt }),
    ]);
    expectConforms(list, 'GET', '/bookings');
    await request(api.app).post(`/bookings/${view.bookingId}/cancel`).send({});
    expect((await waitForBooking(api.app, view.bookingId)).status).toBe('CANCELLED');
  });
});

describe('a booking that waits for an operator', () => {
  test('Prefer: wait answers at COMPENSATION_FAILED; the view and the list say since when; days later the reminders show', async () => {
    const body = bookingBody({
      customerId: 'op-wait',
      ...trip(25),
      card: CARDS.declined,
      faults: { cancelHotel: 'fail' },
    });
    const { res, view } = await post(body, { Prefer: 'wait=10' });
    expect(res.status, res.text).toBe(201);
    expect(view).toMatchObject({ status: 'COMPENSATION_FAILED', operatorWait: { reminders: 0 } });
    const since = view.operatorWait!.since;
    const listed = await poll(
      () => request(api.app).get('/bookings').query({ status: 'COMPENSATION_FAILED', customerId: 'op-wait' }),
      (r) => (r.body as { items: unknown[] }).items.length > 0,
      { what: 'the waiting booking in the list' },
    );
    expect((listed.body as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ bookingId: view.bookingId, operatorWaitSince: since }),
    ]);
    expectConforms(listed, 'GET', '/bookings');

    await h.env.sleep('9 days');
    const later = (await request(api.app).get(`/bookings/${view.bookingId}`)).body as BookingView;
    expect(later).toMatchObject({ status: 'COMPENSATION_FAILED', operatorWait: { since, reminders: 1 } });

    await createHotelService(h.tdb.dbs.hotels).cancelHotel({ bookingId: view.bookingId });
    const resolved = await request(api.app)
      .post(`/bookings/${view.bookingId}/compensation/resolve`)
      .send({ note: 'released by phone' });
    expect(resolved.status, resolved.text).toBe(202);
    const done = await waitForBooking(api.app, view.bookingId);
    expect(done.status).toBe('FAILED');
    expect(done.operatorWait).toBeUndefined();
  });
});
