// What one customer may hold at once (HOLD_MAX_*): active holds, and seats and rooms held. Over a
// limit a hold is 409 hold_limit_reached with nothing started or written; the cap holds exactly
// under 30 concurrent requests; a hold that ends or is confirmed frees its place. Through the real
// app, a real worker on the time-skipping server, and PostgreSQL.
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../../src/api/http/app.ts';
import type { BookingView } from '../../src/api/bookings/view.ts';
import type { HoldLimits } from '../../src/config.ts';
import { CARDS, VAULT_KEY, daysFromNow } from '../helpers/booking.ts';
import { invariantViolations } from '../helpers/db.ts';
import { bearer, TEST_RATE_LIMITS } from '../helpers/identity.ts';
import { capturingLogger } from '../helpers/log.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import {
  bookingBody,
  expectConforms,
  expectError,
  poll,
  seatsAvailable,
  waitForBooking,
  writtenRows,
} from './support.ts';

const LIMITS: HoldLimits = { active: 3, seats: 6, rooms: 4 };

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await createApiHarness('api_hold_limits');
  api = await startApi(h, { holdLimits: LIMITS });
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

/** A hold for `customerId` on TB400 on its own day (seat counts are the test's own). */
function holdBody(customerId: string, day: number, o: { seats?: number; rooms?: number; minutes?: number } = {}) {
  const { payment: _payment, ...body } = bookingBody({
    customerId,
    flight: { flightNumber: 'TB400', date: daysFromNow(day), seats: o.seats ?? 1 },
    hotel: { hotelId: 'HTL-TOKYO-SHINJUKU', checkIn: daysFromNow(day), nights: 1, rooms: o.rooms ?? 1 },
  });
  return { ...body, hold: { minutes: o.minutes ?? 60 } };
}

const postHold = (body: object, headers: Record<string, string> = {}) =>
  request(api.app).post('/bookings').set(headers).send(body);

/** A hold that is HELD (answered with Prefer: wait). */
async function held(body: object, headers: Record<string, string> = {}): Promise<BookingView> {
  const res = await postHold(body, { Prefer: 'wait=15', ...headers });
  expect(res.status, res.text).toBe(201);
  expect((res.body as BookingView).status).toBe('HELD');
  return res.body as BookingView;
}

/** Workflow starts the app asked Temporal for (plain, and with an Update). */
const starts = () => {
  const calls = api.temporalCalls();
  return (calls.StartWorkflowExecution ?? 0) + (calls.ExecuteMultiOperation ?? 0);
};
const heldRooms = async () =>
  (
    await h.tdb.dbs.hotels.hotelReservation.aggregate({
      where: { hotelId: 'HTL-TOKYO-SHINJUKU', status: 'RESERVED' },
      _sum: { rooms: true },
    })
  )._sum.rooms ?? 0;
const bookingsOf = (customerId: string) => h.tdb.db.booking.count({ where: { customerId } });

/** A hold over a limit: 409 hold_limit_reached naming it, documented, and nothing started or written. */
async function expectRefused(body: object, limit: 'holds' | 'seats' | 'rooms', current: number, max: number) {
  const [rowsBefore, startsBefore] = [await writtenRows(h.tdb.dbs), starts()];
  const res = await postHold(body);
  const error = expectError(res, 409, 'hold_limit_reached');
  expectConforms(res, 'POST', '/bookings');
  expect(error.details).toEqual([{ path: `limits.${limit}`, message: `${current} of ${max}` }]);
  expect(error.message).toContain(
    `${current} ${limit === 'holds' ? 'active holds' : `${limit} held`}, at most ${max} at once`,
  );
  expect(starts()).toBe(startsBefore);
  expect(await writtenRows(h.tdb.dbs)).toEqual(rowsBefore);
}

describe('hold limits', () => {
  test('by count: the fourth active hold is refused with nothing started or written; an idempotent repeat of an admitted one is not', async () => {
    const customer = 'cap-count';
    const first = await held(holdBody(customer, 40), { 'Idempotency-Key': 'cap-count-1' });
    await held(holdBody(customer, 40));
    await held(holdBody(customer, 40));
    const seats = await seatsAvailable(api.app, 'TB400', daysFromNow(40));
    await expectRefused(holdBody(customer, 40), 'holds', 3, 3);
    expect(await seatsAvailable(api.app, 'TB400', daysFromNow(40))).toBe(seats);
    const repeat = await postHold(holdBody(customer, 40), { 'Idempotency-Key': 'cap-count-1' });
    expect(repeat.status, repeat.text).toBe(200);
    expect((repeat.body as BookingView).bookingId).toBe(first.bookingId);
    // Paid bookings are no holds: never capped.
    const paid = await request(api.app)
      .post('/bookings')
      .send(bookingBody({ customerId: customer, flight: { flightNumber: 'TB400', date: daysFromNow(40) } }));
    expect(paid.status, paid.text).toBe(201);
    expect(await bookingsOf(customer)).toBe(4);
  });

  test('by seats: holds summing past HOLD_MAX_SEATS are refused; up to it they are admitted', async () => {
    const customer = 'cap-seats';
    await held(holdBody(customer, 41, { seats: 4 }));
    await expectRefused(holdBody(customer, 41, { seats: 3 }), 'seats', 4, 6);
    await held(holdBody(customer, 41, { seats: 2 }));
    await expectRefused(holdBody(customer, 41, { seats: 1 }), 'seats', 6, 6);
    expect(await bookingsOf(customer)).toBe(2);
  });

  test('by rooms: holds summing past HOLD_MAX_ROOMS are refused, nothing reserved', async () => {
    const customer = 'cap-rooms';
    await held(holdBody(customer, 42, { rooms: 3 }));
    const rooms = await heldRooms();
    await expectRefused(holdBody(customer, 42, { rooms: 2 }), 'rooms', 3, 4);
    expect(await heldRooms()).toBe(rooms);
    await held(holdBody(customer, 42, { rooms: 1 }));
    expect(await bookingsOf(customer)).toBe(2);
  });

  test('30 concurrent holds, the same and different requests: exactly the cap admitted, inventory taken for them only', async () => {
    const customer = 'cap-race';
    const [seats, rooms] = [await seatsAvailable(api.app, 'TB400', daysFromNow(43)), await heldRooms()];
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        // Ten repeats of one request with one key, twenty requests of their own.
        i < 10
          ? postHold(holdBody(customer, 43), { 'Idempotency-Key': 'cap-race-1' })
          : postHold(holdBody(customer, 43)),
      ),
    );
    const admitted = answers.filter((r) => r.status === 201 || r.status === 200);
    for (const refused of answers.filter((r) => !admitted.includes(r))) expectError(refused, 409, 'hold_limit_reached');
    const ids = new Set(admitted.map((r) => (r.body as BookingView).bookingId));
    expect(ids.size, answers.map((r) => r.status).join(',')).toBe(3);
    expect(answers.filter((r) => r.status === 201)).toHaveLength(3);
    for (const id of ids) await waitForBooking(api.app, id, (v) => v.status === 'HELD');
    expect(await bookingsOf(customer)).toBe(3);
    expect(await seatsAvailable(api.app, 'TB400', daysFromNow(43))).toBe(seats - 3);
    expect(await heldRooms()).toBe(rooms + 3);
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });

  test('a confirmed, a cancelled and an expired hold each free their place', async () => {
    const customer = 'cap-free';
    const toConfirm = await held(holdBody(customer, 44));
    const toCancel = await held(holdBody(customer, 44));
    const toExpire = await held(holdBody(customer, 44, { minutes: 1 }));
    await expectRefused(holdBody(customer, 44), 'holds', 3, 3);

    const confirmed = await request(api.app)
      .post(`/bookings/${toConfirm.bookingId}/confirm`)
      .send({ payment: { card: CARDS.good } });
    expect(confirmed.status, confirmed.text).toBe(202);
    expect((await waitForBooking(api.app, toConfirm.bookingId)).status).toBe('CONFIRMED');
    const replacement = await held(holdBody(customer, 44));
    await expectRefused(holdBody(customer, 44), 'holds', 3, 3);

    expect((await request(api.app).post(`/bookings/${toCancel.bookingId}/cancel`).send({})).status).toBe(202);
    expect((await waitForBooking(api.app, toCancel.bookingId)).status).toBe('CANCELLED');
    await held(holdBody(customer, 44));
    await expectRefused(holdBody(customer, 44), 'holds', 3, 3);

    await h.env.sleep('61s'); // the test server's clock: the one-minute hold's timer fires
    expect((await waitForBooking(api.app, toExpire.bookingId)).status).toBe('EXPIRED');
    await held(holdBody(customer, 44));
    await expectRefused(holdBody(customer, 44), 'holds', 3, 3);
    await request(api.app).post(`/bookings/${replacement.bookingId}/cancel`).send({});
  });

  test("an operator's holds for a customer count against that customer, not the operator", async () => {
    const customer = 'cap-behalf';
    const token = await api.identity.customer(customer);
    const own = await request(api.rawApp)
      .post('/bookings')
      .set({ ...bearer(token), Prefer: 'wait=15' })
      .send(holdBody(customer, 45));
    expect(own.status, own.text).toBe(201);
    await held(holdBody(customer, 45)); // api.app calls as an operator
    await held(holdBody(customer, 45));
    await expectRefused(holdBody(customer, 45), 'holds', 3, 3);
    const theirs = await request(api.rawApp).post('/bookings').set(bearer(token)).send(holdBody(customer, 45));
    expectError(theirs, 409, 'hold_limit_reached');
    // The operator's own customer, and everyone else, are counted apart.
    await held(holdBody('cap-behalf-other', 45));
  });

  test('a hold whose workflow never starts gives its place back', async () => {
    const customer = 'cap-unstarted';
    // An app whose Temporal does not answer: each start fails.
    const { logger } = capturingLogger('error');
    const broken = createApp({
      client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', interceptors: [] }) }),
      dbs: h.tdb.dbs,
      config: {
        temporalUiUrl: 'http://localhost:8233',
        temporalNamespace: 'default',
        faultInjection: true,
        cardVaultKey: VAULT_KEY,
        holdLimits: LIMITS,
      },
      logger,
      verifier: api.identity.devIssuer.verifier,
      rateLimits: TEST_RATE_LIMITS,
      taskQueue: api.taskQueue,
      workerDeadlineMs: 500,
    });
    const token = await api.identity.customer(customer);
    for (let i = 0; i < 4; i++) {
      const res = await request(broken).post('/bookings').set(bearer(token)).send(holdBody(customer, 46));
      expect(res.status, res.text).toBeGreaterThanOrEqual(500);
    }
    expect(await bookingsOf(customer)).toBe(0);
    for (let i = 0; i < 3; i++) await held(holdBody(customer, 46));
    await poll(
      () => bookingsOf(customer),
      (n) => n === 3,
      { what: 'three admitted holds' },
    );
  });
});
