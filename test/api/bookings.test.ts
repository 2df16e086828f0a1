// The API's contract end to end: POST /bookings starts a real saga on a real worker; GET reads it
// live from the workflow and, once closed, from the read model; lists, inventory, health, 404s.
import { WorkflowNotFoundError } from '@temporalio/client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { SEED_DAYS } from '../../src/activities/shared/seed.ts';
import { utcDay } from '../../src/common/dates.ts';
import { SOLD_OUT_FLIGHT, SOLD_OUT_HOTEL } from '../../src/booking/scenarios.ts';
import { CARDS, FLIGHT, HOTEL, HOTEL_STAY, daysFromNow } from '../helpers/booking.ts';
import { invariantViolations, serviceRows } from '../helpers/db.ts';
import { callingAs } from '../helpers/identity.ts';
import {
  byStep,
  compensationsFrom,
  perStep,
  everyStep,
  failedAt,
  pendingEntries,
  runningAt,
  step,
} from '../helpers/steps.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import {
  bookingBody,
  compensationsOf,
  expectConforms,
  expectError,
  errorOf,
  expectValidation,
  pageOf,
  postBooking,
  readEvents,
  roomsAvailable,
  seatsAvailable,
  stepStates,
  waitForBooking,
} from './support.ts';

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await createApiHarness('api_bookings');
  api = await startApi(h);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

/** Bookings made in this file, by test, for the list checks. */
const made: Record<string, string> = {};

describe('POST /bookings and GET /bookings/:id', () => {
  test('a good card: 201 PENDING with Location and links, live from the workflow while it runs, CONFIRMED from the read model at the end', async () => {
    const seatsBefore = await seatsAvailable(api.app, FLIGHT.flightNumber, FLIGHT.date);
    const roomsBefore = await roomsAvailable(api.app, HOTEL.hotelId, HOTEL_STAY);
    // One transient payment failure keeps the saga running for a second (the first retry waits 1 s).
    const res = await postBooking(
      api.app,
      bookingBody({ customerId: 'alice', faults: { chargePayment: 'transient:1' } }),
    );
    expectConforms(res, 'POST', '/bookings');
    const created = res.body as BookingView;
    expect(created.bookingId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.location).toBe(`/bookings/${created.bookingId}`);
    expect(created).toMatchObject({
      bookingId: created.bookingId,
      customerId: 'alice',
      status: 'PENDING',
      currentStep: null,
      steps: pendingEntries(),
      compensations: [],
      flight: { flightNumber: FLIGHT.flightNumber, date: FLIGHT.date, seats: 1 },
      hotel: { hotelId: HOTEL.hotelId, checkIn: HOTEL.checkIn, checkOut: HOTEL.checkOut, rooms: 1 },
      payment: { currency: 'USD', last4: '4242', brand: 'visa' },
      cancelRequested: false,
      version: 1,
      source: 'workflow',
      links: {
        self: `/bookings/${created.bookingId}`,
        events: `/bookings/${created.bookingId}/events`,
      },
    });
    expect(created.links.history).toContain(`booking-${created.bookingId}`);
    expect(created).not.toHaveProperty('failure');
    made.alice1 = created.bookingId;

    // While it runs: the workflow answers, with the live attempt of the running payment.
    const first = await request(api.app).get(res.headers.location!);
    expectConforms(first, 'GET', '/bookings/{id}');
    expect(first.body).toMatchObject({ bookingId: created.bookingId, status: 'PENDING', source: 'workflow' });
    const live = await waitForBooking(
      api.app,
      created.bookingId,
      (v) => step(v, 'payment').live?.lastFailure !== undefined,
    );
    expect(live.source).toBe('workflow');
    expect(live.status).toBe('PENDING');
    expect(live.currentStep).toBe('payment');
    expect(stepStates(live)).toEqual(runningAt('payment'));
    expect(step(live, 'payment').live!.attempt).toBeGreaterThanOrEqual(1);
    expect(step(live, 'payment').live!.lastFailure).toContain('injected transient fault 1 of 1');
    expect(live.flight).toMatchObject({ price: '220.00' });
    expect(live.hotel).toMatchObject({ nights: 3, price: '540.00' });
    expect(live.payment).toMatchObject({ amount: '760.00' });
    // The seat and the room are held while the payment is retried.
    expect(await seatsAvailable(api.app, FLIGHT.flightNumber, FLIGHT.date)).toBe(seatsBefore - 1);
    expect(await roomsAvailable(api.app, HOTEL.hotelId, HOTEL_STAY)).toBe(roomsBefore - 1);

    const done = await waitForBooking(api.app, created.bookingId);
    const final = await request(api.app).get(`/bookings/${created.bookingId}`);
    expectConforms(final, 'GET', '/bookings/{id}');
    expect(final.body).toEqual(done);
    expect(done).toMatchObject({
      status: 'CONFIRMED',
      source: 'read-model',
      currentStep: null,
      cancelRequested: false,
      compensations: [],
      payment: { amount: '760.00', currency: 'USD', last4: '4242', brand: 'visa' },
    });
    expect(done).not.toHaveProperty('failure');
    expect(stepStates(done)).toEqual(everyStep('DONE'));
    expect(byStep(done, (s) => s.attempts)).toEqual(everyStep(1, { payment: 2 }));
    expect(done.steps.every((s) => s.live === undefined)).toBe(true);
    expect(done.version).toBeGreaterThan(live.version);
    const rows = await serviceRows(h.tdb.dbs, created.bookingId);
    expect(byStep(done, (s) => s.reference)).toEqual(perStep((name) => rows[name]!.id));
    expect(done.flight?.reservationId).toBe(rows.flight!.id);
    expect(done.hotel?.reservationId).toBe(rows.hotel!.id);
    expect(done.payment?.paymentId).toBe(rows.payment!.id);
    expect(rows.payment).toMatchObject({ status: 'CAPTURED', amountCents: 76_000 });
    expect(rows.booking).toMatchObject({ status: 'CONFIRMED', totalCents: 76_000 });
    expect(await seatsAvailable(api.app, FLIGHT.flightNumber, FLIGHT.date)).toBe(seatsBefore - 1);
    expect(await roomsAvailable(api.app, HOTEL.hotelId, HOTEL_STAY)).toBe(roomsBefore - 1);
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });

  test('an expired card: FAILED at payment (CardExpired); hotel and flight COMPENSATED, in reverse; seats and rooms given back', async () => {
    const flight = { flightNumber: 'TB300', date: daysFromNow(14) };
    const hotel = { hotelId: 'HTL-SF-UNION', checkIn: daysFromNow(14), nights: 2 };
    const seatsBefore = await seatsAvailable(api.app, flight.flightNumber, flight.date);
    const roomsBefore = await roomsAvailable(api.app, hotel.hotelId, hotel);
    const res = await postBooking(
      api.app,
      bookingBody({ customerId: 'bob', flight, hotel, card: CARDS.expired, faults: { chargePayment: 'transient:1' } }),
    );
    const id = (res.body as BookingView).bookingId;
    made.bob = id;
    // Held while the payment is retried...
    await waitForBooking(api.app, id, (v) => step(v, 'payment').state === 'RUNNING');
    expect(await seatsAvailable(api.app, flight.flightNumber, flight.date)).toBe(seatsBefore - 1);
    expect(await roomsAvailable(api.app, hotel.hotelId, hotel)).toBe(roomsBefore - 1);

    const done = await waitForBooking(api.app, id);
    expect(done).toMatchObject({ status: 'FAILED', source: 'read-model', currentStep: null, cancelRequested: false });
    expect(done.failure).toMatchObject({ step: 'payment', type: 'CardExpired' });
    expect(done.failure!.message).toContain('expired');
    expect(stepStates(done)).toEqual(failedAt('payment'));
    expect(step(done, 'payment').error).toMatchObject({ type: 'CardExpired' });
    expect(compensationsOf(done)).toEqual(compensationsFrom('payment', { payment: 'NOTHING_TO_UNDO' }));
    expectConforms(await request(api.app).get(`/bookings/${id}`), 'GET', '/bookings/{id}');
    // ...and given back by the compensations.
    expect(await seatsAvailable(api.app, flight.flightNumber, flight.date)).toBe(seatsBefore);
    expect(await roomsAvailable(api.app, hotel.hotelId, hotel)).toBe(roomsBefore);
    const rows = await serviceRows(h.tdb.dbs, id);
    expect(rows.flight?.status).toBe('CANCELLED');
    expect(rows.hotel?.status).toBe('CANCELLED');
    expect(rows.payment?.status).toBe('VOIDED');
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });

  test('an unknown flight is not a validation error: 201, then FAILED with FlightNotFound and nothing else run', async () => {
    const res = await request(api.app)
      .post('/bookings')
      .send(bookingBody({ customerId: 'carol', flight: { flightNumber: 'XX999' } }));
    expect(res.status).toBe(201);
    const id = (res.body as BookingView).bookingId;
    made.carol = id;
    const done = await waitForBooking(api.app, id);
    expect(done).toMatchObject({ status: 'FAILED', failure: { step: 'flight', type: 'FlightNotFound' } });
    expect(stepStates(done)).toEqual(failedAt('flight'));
    expect(compensationsOf(done)).toEqual(compensationsFrom('flight', { flight: 'NOTHING_TO_UNDO' }));
    const rows = await serviceRows(h.tdb.dbs, id);
    expect(rows.hotel).toBeNull();
    expect(rows.payment).toBeNull();
  });

  test('a sold-out hotel: 201, then FAILED with HotelSoldOut and the flight given back', async () => {
    const seatsBefore = await seatsAvailable(api.app, FLIGHT.flightNumber, FLIGHT.date);
    const res = await postBooking(api.app, bookingBody({ customerId: 'carol', hotel: { hotelId: SOLD_OUT_HOTEL } }));
    const done = await waitForBooking(api.app, (res.body as BookingView).bookingId);
    expect(done).toMatchObject({ status: 'FAILED', failure: { step: 'hotel', type: 'HotelSoldOut' } });
    expect(stepStates(done)).toEqual(failedAt('hotel'));
    expect(await seatsAvailable(api.app, FLIGHT.flightNumber, FLIGHT.date)).toBe(seatsBefore);
  });

  test('GET of an unknown booking is a JSON 404; a malformed ID a 400', async () => {
    const unknown = await request(api.app).get('/bookings/00000000-0000-0000-0000-000000000000');
    expectError(unknown, 404, 'not_found');
    expectConforms(unknown, 'GET', '/bookings/{id}');
    expect(unknown.body).toEqual({ error: { code: 'not_found', message: 'booking not found' } });
    const malformed = await request(api.app).get('/bookings/not.an.id');
    expectValidation(malformed, { 'path.id': undefined });
    expectConforms(malformed, 'GET', '/bookings/{id}');
  });
});

describe('GET /bookings', () => {
  test('filters by status and customer, pages newest first with a cursor, and refuses a bad cursor', async () => {
    // Two more CONFIRMED bookings for alice, so her bookings span two pages of two.
    const more: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await postBooking(api.app, bookingBody({ customerId: 'alice' }));
      more.push((res.body as BookingView).bookingId);
    }
    for (const id of more) await waitForBooking(api.app, id);
    const alice = [made.alice1!, ...more];

    const all = await request(api.app).get('/bookings').query({ customerId: 'alice' });
    expectConforms(all, 'GET', '/bookings');
    const allItems = pageOf(all).items as {
      bookingId: string;
      createdAt: string;
      status: string;
      total?: string;
      customerId: string;
    }[];
    expect(allItems.map((i) => i.bookingId).sort()).toEqual([...alice].sort());
    expect(pageOf(all).nextCursor).toBeNull();
    expect(allItems.every((i) => i.customerId === 'alice' && i.status === 'CONFIRMED' && i.total === '760.00')).toBe(
      true,
    );
    // Newest first.
    const created = allItems.map((i) => Date.parse(i.createdAt));
    expect([...created].sort((a, b) => b - a)).toEqual(created);

    const page1 = await request(api.app).get('/bookings').query({ customerId: 'alice', limit: 2 });
    expectConforms(page1, 'GET', '/bookings');
    expect(pageOf(page1).items).toHaveLength(2);
    expect(typeof pageOf(page1).nextCursor).toBe('string');
    const page2 = await request(api.app)
      .get('/bookings')
      .query({ customerId: 'alice', limit: 2, cursor: pageOf(page1).nextCursor as string });
    expectConforms(page2, 'GET', '/bookings');
    expect(pageOf(page2).items).toHaveLength(1);
    expect(pageOf(page2).nextCursor).toBeNull();
    const paged = [
      ...(pageOf(page1).items as { bookingId: string }[]),
      ...(pageOf(page2).items as { bookingId: string }[]),
    ].map((i) => i.bookingId);
    expect(paged).toEqual(allItems.map((i) => i.bookingId));

    const failed = await request(api.app).get('/bookings').query({ status: 'FAILED' });
    expectConforms(failed, 'GET', '/bookings');
    const failedItems = pageOf(failed).items as {
      bookingId: string;
      status: string;
      failure?: { step: string; type: string };
    }[];
    expect(failedItems.every((i) => i.status === 'FAILED')).toBe(true);
    expect(failedItems.map((i) => i.bookingId)).toEqual(expect.arrayContaining([made.bob, made.carol]));
    expect(failedItems.find((i) => i.bookingId === made.bob)?.failure).toMatchObject({
      step: 'payment',
      type: 'CardExpired',
    });
    expect(failedItems.find((i) => i.bookingId === made.carol)?.failure).toMatchObject({
      step: 'flight',
      type: 'FlightNotFound',
    });
    expect(failedItems.map((i) => i.bookingId)).not.toContain(made.alice1);

    const bobConfirmed = await request(api.app).get('/bookings').query({ status: 'CONFIRMED', customerId: 'bob' });
    expect(bobConfirmed.body as unknown).toEqual({ items: [], nextCursor: null });
    const bobFailed = await request(api.app).get('/bookings').query({ status: 'FAILED', customerId: 'bob' });
    expect((pageOf(bobFailed).items as { bookingId: string }[]).map((i) => i.bookingId)).toEqual([made.bob]);

    for (const cursor of [
      'not-a-cursor',
      Buffer.from('["yesterday", 1]').toString('base64url'),
      Buffer.from('{}').toString('base64url'),
    ]) {
      const bad = await request(api.app).get('/bookings').query({ cursor });
      expectValidation(bad, { 'query.cursor': undefined });
      expectConforms(bad, 'GET', '/bookings');
    }
    expectValidation(await request(api.app).get('/bookings').query({ limit: 0 }), { 'query.limit': undefined });
    expectValidation(await request(api.app).get('/bookings').query({ limit: 101 }), { 'query.limit': undefined });
    expectValidation(await request(api.app).get('/bookings').query({ limit: 'ten' }), { 'query.limit': undefined });
    expectValidation(await request(api.app).get('/bookings').query({ status: 'DONE' }), { 'query.status': undefined });
    expectValidation(await request(api.app).get('/bookings').query({ customerId: 'a b' }), {
      'query.customerId': undefined,
    });
    expectValidation(await request(api.app).get('/bookings').query({ sort: 'asc' }), { query: /sort/ });
  });
});

describe('inventory, health and unknown routes', () => {
  test('GET /flights filters by date and flight number and shows seats left; GET /hotels shows rooms left', async () => {
    const one = await request(api.app).get('/flights').query({ date: FLIGHT.date, flightNumber: 'TB100' });
    expectConforms(one, 'GET', '/flights');
    // alice's three confirmed bookings each hold one seat on TB100 that day.
    expect(one.body).toEqual({
      items: [
        {
          flightNumber: 'TB100',
          date: FLIGHT.date,
          origin: 'ICN',
          destination: 'NRT',
          capacity: 120,
          seatsAvailable: 117,
          price: '220.00',
          currency: 'USD',
        },
      ],
    });
    const day = await request(api.app).get('/flights').query({ date: FLIGHT.date });
    const dayItems = pageOf(day).items as { flightNumber: string; date: string; seatsAvailable: number }[];
    expect(dayItems.map((f) => f.flightNumber)).toEqual(['TB100', 'TB200', 'TB300', 'TB400', 'TB404']);
    expect(dayItems.every((f) => f.date === FLIGHT.date)).toBe(true);
    expect(dayItems.find((f) => f.flightNumber === SOLD_OUT_FLIGHT)?.seatsAvailable).toBe(0);

    const upcoming = await request(api.app).get('/flights').query({ limit: 7 });
    const upcomingItems = pageOf(upcoming).items as { date: string }[];
    expect(upcomingItems).toHaveLength(7);
    expect(upcomingItems.every((f) => f.date >= daysFromNow(0))).toBe(true);
    expect(upcomingItems.map((f) => f.date)).toEqual([...upcomingItems.map((f) => f.date)].sort());
    expect(
      (
        await request(api.app)
          .get('/flights')
          .query({ flightNumber: 'TB100', date: daysFromNow(200) })
      ).body as unknown,
    ).toEqual({ items: [] });

    expectValidation(await request(api.app).get('/flights').query({ date: '14/03/2027' }), { 'query.date': undefined });
    expectValidation(await request(api.app).get('/flights').query({ flightNumber: 'tb100' }), {
      'query.flightNumber': undefined,
    });
    expectValidation(await request(api.app).get('/flights').query({ limit: 501 }), { 'query.limit': undefined });
    expectConforms(await request(api.app).get('/flights').query({ seats: 2 }), 'GET', '/flights');

    const hotels = await request(api.app)
      .get('/hotels')
      .query({ checkIn: HOTEL_STAY.checkIn, nights: HOTEL_STAY.nights });
    expectConforms(hotels, 'GET', '/hotels');
    const items = pageOf(hotels).items as {
      hotelId: string;
      roomsAvailable: number;
      capacity: number;
      nightlyPrice: string;
    }[];
    expect(items.map((x) => x.hotelId)).toEqual([
      'HTL-JEJU-FULL',
      'HTL-SEOUL-MYEONGDONG',
      'HTL-SF-UNION',
      'HTL-TOKYO-SHINJUKU',
    ]);
    expect(items.find((x) => x.hotelId === SOLD_OUT_HOTEL)).toMatchObject({ roomsAvailable: 0, capacity: 3 });
    // Three confirmed stays hold three rooms; bob's compensated stay at Union Square gave its room back.
    expect(items.find((x) => x.hotelId === HOTEL.hotelId)).toMatchObject({
      capacity: 40,
      roomsAvailable: 37,
      nightlyPrice: '180.00',
    });
    expect(items.find((x) => x.hotelId === 'HTL-SF-UNION')).toMatchObject({ capacity: 25, roomsAvailable: 25 });
  });

  test('GET /hotels?checkIn=&nights= answers the rooms free on every night of that stay (tonight and one night by default)', async () => {
    /** roomsAvailable by hotel for a stay, checking the answer against the document and its stay. */
    async function free(query: { checkIn?: string; nights?: number } = {}): Promise<Record<string, number>> {
      const res = await request(api.app).get('/hotels').query(query);
      expectConforms(res, 'GET', '/hotels');
      const body = res.body as {
        stay: { checkIn: string; nights: number; checkOut: string };
        items: { hotelId: string; roomsAvailable: number }[];
      };
      const checkIn = query.checkIn ?? daysFromNow(0);
      const nights = query.nights ?? 1;
      expect(body.stay).toEqual({ checkIn, nights, checkOut: utcDay(nights, checkIn) });
      return Object.fromEntries(body.items.map((x) => [x.hotelId, x.roomsAvailable]));
    }
    // alice's three confirmed stays at Shinjuku take a room on the nights of days 7, 8 and 9.
    expect((await free({ checkIn: daysFromNow(9), nights: 2 }))[HOTEL.hotelId]).toBe(37);
    expect((await free({ checkIn: daysFromNow(10), nights: 2 }))[HOTEL.hotelId]).toBe(40); // their check-out day
    expect((await free({ checkIn: daysFromNow(5), nights: 2 }))[HOTEL.hotelId]).toBe(40);
    // By default tonight, and one night.
    expect(await free()).toMatchObject({ [HOTEL.hotelId]: 40, [SOLD_OUT_HOTEL]: 0 });
    expect((await free({ checkIn: daysFromNow(9) }))[HOTEL.hotelId]).toBe(37);
    expect((await free({ checkIn: daysFromNow(SEED_DAYS) }))[SOLD_OUT_HOTEL]).toBe(3);
    expect((await free({ nights: 30 }))[SOLD_OUT_HOTEL]).toBe(0);
    // The group fills the sold-out hotel on the seeded nights only: the night after them sells.
    expect((await free({ checkIn: daysFromNow(SEED_DAYS), nights: 1 }))[SOLD_OUT_HOTEL]).toBe(3);
    expect((await free({ checkIn: daysFromNow(SEED_DAYS - 1), nights: 3 }))[SOLD_OUT_HOTEL]).toBe(0);

    const refused = async (query: Record<string, string | number>, path: string) => {
      const res = await request(api.app).get('/hotels').query(query);
      expectValidation(res, { [path]: undefined });
      expectConforms(res, 'GET', '/hotels');
    };
    for (const nights of [0, 31, '2.5', '02']) await refused({ checkIn: daysFromNow(7), nights }, 'query.nights');
    await refused({ checkIn: '2027-02-30', nights: 2 }, 'query.checkIn');
    await refused({ checkIn: daysFromNow(7), nights: 2, rooms: 1 }, 'query');
  });

  // A date that matches YYYY-MM-DD but is no calendar day (month 13, 30 February) must not reach
  // Prisma: it would be an Invalid Date (500) or silently read another day.
  test('GET /flights with a date that does not exist is a 400 naming query.date', async () => {
    const year = Number(daysFromNow(0).slice(0, 4)) + 1;
    for (const date of [`${year}-13-01`, `${year}-00-10`, `${year}-02-30`, `${year}-04-31`]) {
      const res = await request(api.app).get('/flights').query({ date });
      expectValidation(res, { 'query.date': undefined });
      expectConforms(res, 'GET', '/flights');
    }
  });

  test('GET /healthz: 200, Temporal and the database ok', async () => {
    const res = await request(api.app).get('/healthz');
    expectConforms(res, 'GET', '/healthz');
    expect(res.body).toEqual({
      status: 'ok',
      checks: { temporal: 'ok', database: 'ok' },
      faultInjection: true,
      temporalUiUrl: 'http://localhost:8233',
    });
  });

  test('an unknown route is a JSON 404; so is every action on an unknown booking', async () => {
    for (const [method, path] of [
      ['get', '/nope'],
      ['post', '/bookingz'],
      ['get', '/bookings/abc/whatever'],
    ] as const) {
      const res = await request(api.app)[method](path);
      expectError(res, 404, 'route_not_found');
      expect(errorOf(res).message).toContain(path);
    }
    // A documented path with an undeclared method is a 405 (test/api/openapi.test.ts has them all).
    for (const [method, path] of [
      ['delete', '/bookings'],
      ['put', '/bookings/abc'],
    ] as const) {
      expectError(await request(api.app)[method](path), 405, 'method_not_allowed');
    }
    const ghost = '00000000-0000-4000-8000-000000000000';
    for (const [method, path, template] of [
      ['get', `/bookings/${ghost}`, '/bookings/{id}'],
      ['get', `/bookings/${ghost}/events`, '/bookings/{id}/events'],
      ['post', `/bookings/${ghost}/cancel`, '/bookings/{id}/cancel'],
      ['post', `/bookings/${ghost}/compensation/retry`, '/bookings/{id}/compensation/retry'],
      ['post', `/bookings/${ghost}/compensation/resolve`, '/bookings/{id}/compensation/resolve'],
    ] as const) {
      const req = request(api.app)[method](path);
      const res = await (template.endsWith('resolve') ? req.send({ note: 'n' }) : req);
      expectError(res, 404, 'not_found');
      expectConforms(res, method, template);
    }
  });
});

describe('the PENDING row before the start', () => {
  test('a row the database refuses fails the POST and starts nothing; the same request again, once it is accepted, starts the booking', async () => {
    const db = h.tdb.dbs.booking;
    // The booking database refuses this customer's rows (as it would while it is down).
    await db.$executeRawUnsafe(`CREATE FUNCTION refuse_row_for_test() RETURNS trigger AS $$
      BEGIN IF NEW.customer_id = 'row-refused' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END
      $$ LANGUAGE plpgsql`);
    await db.$executeRawUnsafe(
      'CREATE TRIGGER refuse_row_for_test BEFORE INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION refuse_row_for_test()',
    );
    const key = `row-first-${Date.now()}`;
    const body = bookingBody({ customerId: 'row-refused' });
    const seatsBefore = await seatsAvailable(api.app, FLIGHT.flightNumber, FLIGHT.date);
    try {
      const refused = await request(api.app).post('/bookings').set('Idempotency-Key', key).send(body);
      expect(refused.status).toBeGreaterThanOrEqual(500);
      // The key names the booking the request would have started: Temporal has no workflow of it.
      const claim = await db.idempotencyKey.findFirstOrThrow({ where: { key } });
      expect(claim.started).toBe(false);
      await expect(h.env.client.workflow.getHandle(`booking-${claim.bookingId}`).describe()).rejects.toBeInstanceOf(
        WorkflowNotFoundError,
      );
      expect(await db.booking.findUnique({ where: { id: claim.bookingId } })).toBeNull();
    } finally {
      await db.$executeRawUnsafe('DROP TRIGGER refuse_row_for_test ON bookings');
      await db.$executeRawUnsafe('DROP FUNCTION refuse_row_for_test()');
    }
    const accepted = await postBooking(api.app, body, key);
    const view = await waitForBooking(
      api.app,
      (accepted.body as BookingView).bookingId,
      (v) => v.status === 'CONFIRMED',
    );
    expect(view.customerId).toBe('row-refused');
    expect(await seatsAvailable(api.app, FLIGHT.flightNumber, FLIGHT.date)).toBe(seatsBefore - 1);
  });
});

describe('when the worker does not answer', () => {
  test('GET falls back to the read model; an action is a 503 the document describes', async () => {
    const down = await startApi(h, { workerDeadlineMs: 300 });
    const res = await postBooking(
      down.app,
      bookingBody({ customerId: 'dave', faults: { chargePayment: 'transient:9' } }),
    );
    const id = (res.body as BookingView).bookingId;
    // Read through the app with the patient deadline while the worker still runs.
    const running = await waitForBooking(api.app, id, (v) => step(v, 'payment').state === 'RUNNING');
    expect(running.source).toBe('workflow');
    await down.stop();

    const stale = await request(down.app).get(`/bookings/${id}`);
    expectConforms(stale, 'GET', '/bookings/{id}');
    expect(stale.body).toMatchObject({ bookingId: id, status: 'PENDING', source: 'read-model' });
    const cancelled = await request(down.app).post(`/bookings/${id}/cancel`).send({});
    expectError(cancelled, 503, 'temporarily_unavailable');
    expectConforms(cancelled, 'POST', '/bookings/{id}/cancel');
  });
});

describe('the link to the Temporal Web UI (it shows every booking and can terminate any): operators only', () => {
  const hold = (day: number) => {
    const {
      payment: _card,
      customerId: _c,
      ...rest
    } = bookingBody({
      flight: { flightNumber: 'TB300', date: daysFromNow(day) },
      hotel: { hotelId: 'HTL-SEOUL-MYEONGDONG', checkIn: daysFromNow(day), nights: 1 },
    });
    return { ...rest, hold: { minutes: 60 } };
  };
  const history = (view: BookingView) => view.links.history;

  test("a customer's views carry none (POST, GET, list, event stream, cancel, extend, confirm); an operator's carry it", async () => {
    const customer = callingAs(api.rawApp, await api.identity.customer('link-cust'));
    const operator = api.app;
    const held = await request(customer).post('/bookings').set('Prefer', 'wait=10').send(hold(40));
    expect(held.status, held.text).toBe(201);
    expectConforms(held, 'POST', '/bookings');
    const view = held.body as BookingView;
    expect(view.status).toBe('HELD');
    expect(view.links).toEqual({ self: `/bookings/${view.bookingId}`, events: `/bookings/${view.bookingId}/events` });
    const id = view.bookingId;
    const url = `http://localhost:8233/namespaces/default/workflows/booking-${id}`;

    const mine = await request(customer).get(`/bookings/${id}`);
    expectConforms(mine, 'GET', '/bookings/{id}');
    expect(history(mine.body as BookingView)).toBeUndefined();
    expect(
      history(
        await request(operator)
          .get(`/bookings/${id}`)
          .then((r) => r.body as BookingView),
      ),
    ).toBe(url);

    const extended = await request(customer).post(`/bookings/${id}/hold/extend`).send({ minutes: 30 });
    expect(extended.status, extended.text).toBe(202);
    expect(history(extended.body as BookingView)).toBeUndefined();
    const confirmed = await request(customer)
      .post(`/bookings/${id}/confirm`)
      .set('Prefer', 'wait=10')
      .send({ payment: { card: CARDS.good } });
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(history(confirmed.body as BookingView)).toBeUndefined();
    await waitForBooking(operator, id);

    // The stream: each event of a customer's has no link; an operator's has it.
    const [theirs, ours] = await Promise.all([readEvents(customer, id), readEvents(operator, id)]);
    const views = (events: { event: string; data: string }[]) =>
      events.filter((e) => e.event === 'booking').map((e) => JSON.parse(e.data) as BookingView);
    expect(views(theirs.events).length).toBeGreaterThan(0);
    expect(views(theirs.events).map(history)).toEqual(views(theirs.events).map(() => undefined));
    expect(views(ours.events).map(history)).toEqual(views(ours.events).map(() => url));

    const list = await request(customer).get('/bookings');
    expect(list.status).toBe(200);
    expect(list.text).toContain(id);
    expect(list.text).not.toContain('8233');

    const other = await request(customer).post('/bookings').set('Prefer', 'wait=10').send(hold(41));
    const otherId = (other.body as BookingView).bookingId;
    const cancelled = await request(customer).post(`/bookings/${otherId}/cancel`).send({});
    expect(cancelled.status, cancelled.text).toBe(202);
    expectConforms(cancelled, 'POST', '/bookings/{id}/cancel');
    expect(history(cancelled.body as BookingView)).toBeUndefined();
    await waitForBooking(operator, otherId);
  });
});
