// Idempotency-Key: one caller's key, one booking, one workflow, however often and however
// concurrently the request is repeated, and after Temporal's retention deleted the workflow; the
// same key with another body is refused; another caller's same key is another booking.
import request from 'supertest';
import { deleteExpiredKeys } from '../../src/api/bookings/idempotency.ts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { workflowIdFor } from '../../src/booking/booking.ts';
import { DAY_MS } from '../../src/common/dates.ts';
import { daysFromNow } from '../helpers/booking.ts';
import { invariantViolations, rowCountsFor } from '../helpers/db.ts';
import { bearer } from '../helpers/identity.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import {
  bookingBody,
  expectConforms,
  expectError,
  pageOf,
  postBooking,
  seatsAvailable,
  waitForBooking,
} from './support.ts';

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await createApiHarness('api_idempotency');
  api = await startApi(h);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

/** The app's log lines about starting a booking (created or repeated), for one booking. */
function startLogs(bookingId: string): { created: boolean }[] {
  return api
    .logs()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; bookingId?: string; created?: boolean })
    .filter(
      (l) => l.bookingId === bookingId && (l.msg === 'booking started' || l.msg === 'idempotent repeat of a booking'),
    )
    .map((l) => ({ created: l.created! }));
}

/** Everything the saga of one booking wrote: one of each, or the key was not honoured. */
const rowsFor = (bookingId: string) => rowCountsFor(h.tdb.dbs, bookingId);

/** The workflow's history: exactly one run, which scheduled each forward step once. */
async function expectOneSaga(bookingId: string) {
  const handle = h.env.client.workflow.getHandle(workflowIdFor(bookingId));
  const description = await handle.describe();
  expect(description.taskQueue).toBe(api.taskQueue);
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  expect(events.filter((e) => e.workflowExecutionStartedEventAttributes).length).toBe(1);
  expect(events[0]!.workflowExecutionStartedEventAttributes?.firstExecutionRunId).toBe(description.runId);
  const scheduled = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
  expect(scheduled.filter((n) => n === 'reserveFlight')).toHaveLength(1);
  expect(scheduled.filter((n) => n === 'chargePayment')).toHaveLength(1);
}

describe('Idempotency-Key', () => {
  test('same key + same body: 201, then 200 with the same booking; the key order of the body does not matter', async () => {
    const body = bookingBody({ customerId: 'idem-1' });
    const first = await postBooking(api.app, body, 'order-1');
    const id = (first.body as BookingView).bookingId;

    const again = await request(api.app).post('/bookings').set('Idempotency-Key', 'order-1').send(body);
    expect(again.status).toBe(200);
    expectConforms(again, 'POST', '/bookings');
    expect(again.headers.location).toBe(`/bookings/${id}`);
    expect((again.body as BookingView).bookingId).toBe(id);

    // The same request with its keys in another order is the same request.
    const { payment, hotel, flight, customerId } = body;
    const reordered = {
      payment: {
        card: {
          cvc: payment.card.cvc,
          expYear: payment.card.expYear,
          expMonth: payment.card.expMonth,
          number: payment.card.number,
        },
      },
      hotel: { rooms: hotel.rooms, nights: hotel.nights, checkIn: hotel.checkIn, hotelId: hotel.hotelId },
      flight: { seats: flight.seats, date: flight.date, flightNumber: flight.flightNumber },
      customerId,
    };
    const third = await request(api.app).post('/bookings').set('Idempotency-Key', 'order-1').send(reordered);
    expect(third.status).toBe(200);
    expect((third.body as BookingView).bookingId).toBe(id);

    const done = await waitForBooking(api.app, id);
    expect(done.status).toBe('CONFIRMED');
    // A repeat after the end answers with the closed booking.
    const late = await request(api.app).post('/bookings').set('Idempotency-Key', 'order-1').send(body);
    expect(late.status).toBe(200);
    expectConforms(late, 'POST', '/bookings');
    expect(late.body).toMatchObject({ bookingId: id, status: 'CONFIRMED', source: 'read-model' });

    expect(await rowsFor(id)).toEqual({ bookings: 1, flights: 1, hotels: 1, payments: 1 });
    await expectOneSaga(id);
    expect(startLogs(id)).toEqual([{ created: true }, { created: false }, { created: false }, { created: false }]);
  });

  test('same key + another body: 422, and the booking is untouched', async () => {
    const body = bookingBody({ customerId: 'idem-2' });
    const first = await postBooking(api.app, body, 'order-2');
    const id = (first.body as BookingView).bookingId;
    for (const other of [
      { ...body, flight: { ...body.flight, seats: 2 } },
      { ...body, customerId: 'idem-2b' },
      { ...body, payment: { card: { ...body.payment.card, expMonth: 11 } } },
      { ...body, faults: { reserveFlight: 'fail' } },
    ]) {
      const res = await request(api.app).post('/bookings').set('Idempotency-Key', 'order-2').send(other);
      expectError(res, 422, 'idempotency_key_reused');
      expectConforms(res, 'POST', '/bookings');
    }
    const done = await waitForBooking(api.app, id);
    expect(done).toMatchObject({ status: 'CONFIRMED', flight: { seats: 1 }, customerId: 'idem-2' });
    expect(await rowsFor(id)).toEqual({ bookings: 1, flights: 1, hotels: 1, payments: 1 });
    expect(startLogs(id)).toEqual([{ created: true }]);
  });

  test('another key, or no key, with the same body: a new booking each time', async () => {
    const body = bookingBody({ customerId: 'idem-3' });
    const ids = [
      (await postBooking(api.app, body, 'order-3a')).body as BookingView,
      (await postBooking(api.app, body, 'order-3b')).body as BookingView,
      (await postBooking(api.app, body)).body as BookingView,
      (await postBooking(api.app, body)).body as BookingView,
    ].map((v) => v.bookingId);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect((await waitForBooking(api.app, id)).status).toBe('CONFIRMED');
  });

  test('100 concurrent identical requests: exactly one 201, 99 × 200, one booking ID, one workflow, one of every row', async () => {
    const flight = { flightNumber: 'TB400', date: daysFromNow(30) };
    const seatsBefore = await seatsAvailable(api.app, flight.flightNumber, flight.date);
    const body = bookingBody({
      customerId: 'idem-burst',
      flight,
      hotel: { hotelId: 'HTL-SEOUL-MYEONGDONG', checkIn: daysFromNow(30), nights: 1 },
    });
    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        request(api.app).post('/bookings').set('Idempotency-Key', 'burst-100').send(body),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.filter((s) => s === 201),
      JSON.stringify(responses.filter((r) => r.status >= 300).map((r) => r.body as unknown)).slice(0, 1000),
    ).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(99);
    const ids = new Set(responses.map((r) => (r.body as BookingView).bookingId));
    expect(ids.size).toBe(1);
    const [id] = [...ids] as [string];
    for (const r of responses) {
      expectConforms(r, 'POST', '/bookings');
      expect(r.headers.location).toBe(`/bookings/${id}`);
    }

    const done = await waitForBooking(api.app, id);
    // Why, when it is not: the step that failed and its last error.
    expect(done.status, JSON.stringify(done.failure)).toBe('CONFIRMED');
    expect(await rowsFor(id)).toEqual({ bookings: 1, flights: 1, hotels: 1, payments: 1 });
    expect(await h.tdb.dbs.payments.paymentMethod.count({ where: { customerId: 'idem-burst' } })).toBe(1);
    expect(await seatsAvailable(api.app, flight.flightNumber, flight.date)).toBe(seatsBefore - 1);
    await expectOneSaga(id);
    const logs = startLogs(id);
    expect(logs).toHaveLength(100);
    expect(logs.filter((l) => l.created)).toHaveLength(1);
    const list = await request(api.app).get('/bookings').query({ customerId: 'idem-burst' });
    expect((pageOf(list).items as { bookingId: string }[]).map((i) => i.bookingId)).toEqual([id]);
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });
});

describe('Idempotency-Keys expire (the workflow deleted by retention: retention.test.ts)', () => {
  const trip = (day: number) => {
    const { customerId: _c, ...rest } = bookingBody({
      flight: { flightNumber: 'TB300', date: daysFromNow(day) },
      hotel: { hotelId: 'HTL-SEOUL-MYEONGDONG', checkIn: daysFromNow(day), nights: 1 },
    });
    return rest;
  };
  const post = (token: string, key: string, body: object) =>
    request(api.rawApp).post('/bookings').set(bearer(token)).set('Idempotency-Key', key).send(body);

  /** The booking's read-model row says it ended over a day ago (IDEMPOTENCY_KEY_TTL, 24 h by default). */
  const endedLongAgo = (bookingId: string) =>
    h.tdb.db.$executeRaw`UPDATE bookings SET updated_at = now() - interval '25 hours' WHERE id = ${bookingId}`;
  const keyRow = (subject: string, key: string) =>
    h.tdb.db.idempotencyKey.findUnique({ where: { subject_key: { subject, key } } });

  test("a key is kept while its booking is open, past its TTL (a hold), and then for its TTL from the booking's end", async () => {
    const { payment: _card, ...rest } = trip(35);
    const hold = { ...rest, hold: { minutes: 600 } };
    // A TTL of 1 ms: the key's time since its first use runs out at once; its booking is open.
    const shortLived = await startApi(h, { idempotencyKeyTtlMs: 1 });
    try {
      const short = await shortLived.identity.customer('keep-a');
      const postShort = () =>
        request(shortLived.rawApp).post('/bookings').set(bearer(short)).set('Idempotency-Key', 'open-key').send(hold);
      const first = await postShort();
      expect(first.status, first.text).toBe(201);
      const id = (first.body as BookingView).bookingId;
      await waitForBooking(shortLived.app, id, (v) => v.status === 'HELD' && v.source === 'workflow');
      const row = await keyRow('keep-a', 'open-key');
      expect(row!.expiresAt.getTime()).toBeLessThan(Date.now());
      // HELD: the repeat is the same booking, and the cleanup keeps the key.
      const repeat = await postShort();
      expect(repeat.status, repeat.text).toBe(200);
      expect((repeat.body as BookingView).bookingId).toBe(id);
      await deleteExpiredKeys(h.tdb.db, 1);
      expect(await keyRow('keep-a', 'open-key')).toMatchObject({ bookingId: id, started: true });
      expect(await rowsFor(id)).toMatchObject({ bookings: 1, flights: 1, hotels: 1 });
      // Ended: from then its TTL (1 ms) counts, so the same key is a new booking now.
      const cancelled = await request(shortLived.app).post(`/bookings/${id}/cancel`).send({});
      expect(cancelled.status, cancelled.text).toBe(202);
      await waitForBooking(shortLived.app, id);
      const after = await postShort();
      expect(after.status, after.text).toBe(201);
      const newId = (after.body as BookingView).bookingId;
      expect(newId).not.toBe(id);
      await waitForBooking(shortLived.app, newId, (v) => v.status === 'HELD');
      expect((await request(shortLived.app).post(`/bookings/${newId}/cancel`).send({})).status).toBe(202);
      await waitForBooking(shortLived.app, newId);
    } finally {
      await shortLived.stop();
    }

    // With the default TTL (24 h): a key a day past its first use whose booking ended a moment ago
    // is kept; a day after the booking's end it is gone.
    const A = await api.identity.customer('keep-a');
    const body = trip(36);
    const first = await post(A, 'ended-key', body);
    expect(first.status, first.text).toBe(201);
    const id = (first.body as BookingView).bookingId;
    await waitForBooking(api.app, id);
    await h.tdb.db.idempotencyKey.update({
      where: { subject_key: { subject: 'keep-a', key: 'ended-key' } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const kept = await post(A, 'ended-key', body);
    expect(kept.status, kept.text).toBe(200);
    expect((kept.body as BookingView).bookingId).toBe(id);
    await deleteExpiredKeys(h.tdb.db, DAY_MS);
    expect(await keyRow('keep-a', 'ended-key')).toMatchObject({ bookingId: id });
    await endedLongAgo(id);
    expect(await deleteExpiredKeys(h.tdb.db, DAY_MS)).toBeGreaterThanOrEqual(1);
    expect(await keyRow('keep-a', 'ended-key')).toBeNull();
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });

  test('a key whose start is in flight (claimed, not started, no row yet) outlives even a 1 ms TTL; abandoned a minute, it expires', async () => {
    const claimed = { subject: 'keep-start', requestHash: 'h', started: false };
    await h.tdb.db.idempotencyKey.createMany({
      data: [
        { ...claimed, key: 'starting', bookingId: `starting-${Date.now()}`, expiresAt: new Date(Date.now() - 1000) },
        {
          ...claimed,
          key: 'abandoned',
          bookingId: `abandoned-${Date.now()}`,
          expiresAt: new Date(Date.now() - 1000),
          createdAt: new Date(Date.now() - 120_000),
        },
      ],
    });
    await deleteExpiredKeys(h.tdb.db, 1);
    const left = await h.tdb.db.idempotencyKey.findMany({ where: { subject: 'keep-start' }, select: { key: true } });
    expect(left.map((k) => k.key)).toEqual(['starting']);
  });

  test('an expired key counts as absent (a new, separate booking) and the cleanup deletes expired keys', async () => {
    const A = await api.identity.customer('exp-a');
    const body = trip(34);
    const first = await post(A, 'expiring-key', body);
    expect(first.status).toBe(201);
    const id = (first.body as BookingView).bookingId;
    const row = await h.tdb.db.idempotencyKey.findUniqueOrThrow({
      where: { subject_key: { subject: 'exp-a', key: 'expiring-key' } },
    });
    // Kept for IDEMPOTENCY_KEY_TTL: 24 h by default.
    expect(Math.abs(row.expiresAt.getTime() - row.createdAt.getTime() - 86_400_000)).toBeLessThan(5_000);
    expect(row.started).toBe(true);
    await waitForBooking(api.app, id);
    // The key's time runs out: a day since its first use, and since its booking ended.
    await h.tdb.db.idempotencyKey.update({
      where: { subject_key: { subject: 'exp-a', key: 'expiring-key' } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await endedLongAgo(id);
    const reused = await post(A, 'expiring-key', body);
    expect(reused.status, reused.text).toBe(201);
    const newId = (reused.body as BookingView).bookingId;
    expect(newId).not.toBe(id);
    await waitForBooking(api.app, newId);
    expect(await rowsFor(newId)).toEqual({ bookings: 1, flights: 1, hotels: 1, payments: 1 });
    // The cleanup.
    await h.tdb.db.idempotencyKey.update({
      where: { subject_key: { subject: 'exp-a', key: 'expiring-key' } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await endedLongAgo(newId);
    expect(await deleteExpiredKeys(h.tdb.db, DAY_MS)).toBeGreaterThanOrEqual(1);
    expect(await h.tdb.db.idempotencyKey.count({ where: { subject: 'exp-a' } })).toBe(0);
  });
});
