// Every 4xx of the API: each names the failing fields, none leaks a stack trace, and none starts a
// workflow or writes a row.
import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bookingRequestSchema } from '../../src/api/bookings/request.ts';
import { daysFromNow } from '../helpers/booking.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import { bookingBody, doc, errorOf, expectConforms, expectError, expectValidation, writtenRows } from './support.ts';

let h: ApiHarness;
let api: RunningApi;
let before: Awaited<ReturnType<typeof writtenRows>>;
beforeAll(async () => {
  h = await createApiHarness('api_validation');
  api = await startApi(h);
  before = await writtenRows(h.tdb.dbs);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

const post = (body: unknown) =>
  request(api.app)
    .post('/bookings')
    .send(body as object);

/** POST /bookings with `body` → 400 naming these paths (conforming to the document). */
async function expectRejected(body: unknown, paths: Record<string, RegExp | string | undefined>) {
  const res = await post(body);
  expectValidation(res, paths);
  expectConforms(res, 'POST', '/bookings');
  return res;
}

/** The next 30 February, always within the accepted year ahead. */
function impossibleDate(): string {
  const today = daysFromNow(0);
  const year = Number(today.slice(0, 4));
  return today.slice(5) < '02-28' ? `${year}-02-30` : `${year + 1}-02-30`;
}

describe('POST /bookings: each invalid field is named', () => {
  test('a card number that fails the Luhn check, or is not 12–19 digits; a bad CVC, expiry', async () => {
    const res = await expectRejected(bookingBody({ card: { number: '4242424242424241' } }), {
      'body.payment.card.number': 'Luhn',
    });
    expect(errorOf(res).details).toHaveLength(1);
    // The number is not echoed back.
    expect(res.text).not.toContain('4242424242424241');
    await expectRejected(bookingBody({ card: { number: '4242 4242 4242 4242' } }), {
      'body.payment.card.number': undefined,
    });
    await expectRejected(bookingBody({ card: { number: '42424242' } }), { 'body.payment.card.number': undefined });
    await expectRejected(bookingBody({ card: { cvc: '12' } }), { 'body.payment.card.cvc': undefined });
    await expectRejected(bookingBody({ card: { cvc: '12345' } }), { 'body.payment.card.cvc': undefined });
    await expectRejected(bookingBody({ card: { expMonth: 13 } }), { 'body.payment.card.expMonth': undefined });
    await expectRejected(bookingBody({ card: { expMonth: 0 } }), { 'body.payment.card.expMonth': undefined });
    await expectRejected(bookingBody({ card: { expYear: 1999 } }), { 'body.payment.card.expYear': 'YY or YYYY' });
  });

  test('dates that are not YYYY-MM-DD', async () => {
    for (const date of [
      '2027/03/14',
      '14-03-2027',
      '2027-3-4',
      '20270314',
      '',
      'tomorrow',
      `${daysFromNow(7)}T00:00:00Z`,
    ]) {
      await expectRejected(bookingBody({ flight: { date } }), { 'body.flight.date': 'YYYY-MM-DD' });
    }
    await expectRejected(bookingBody({ hotel: { checkIn: '2027/03/14' } }), { 'body.hotel.checkIn': 'YYYY-MM-DD' });
  });

  test('impossible, past and too distant dates', async () => {
    const impossible = impossibleDate();
    await expectRejected(bookingBody({ flight: { date: impossible } }), { 'body.flight.date': 'real calendar date' });
    await expectRejected(bookingBody({ hotel: { checkIn: impossible } }), {
      'body.hotel.checkIn': 'real calendar date',
    });
    await expectRejected(bookingBody({ flight: { date: '2027-13-01' } }), { 'body.flight.date': 'real calendar date' });
    await expectRejected(bookingBody({ flight: { date: daysFromNow(-1) } }), { 'body.flight.date': 'past' });
    await expectRejected(bookingBody({ flight: { date: daysFromNow(400) } }), { 'body.flight.date': 'within' });
  });

  test('a stay of 0 nights, more than 30, or not a whole number; checkOut is not a field', async () => {
    const zero = await expectRejected(bookingBody({ hotel: { nights: 0 } }), {
      'body.hotel.nights': 'at least 1 night',
    });
    expect(errorOf(zero).details).toHaveLength(1);
    await expectRejected(bookingBody({ hotel: { nights: 31 } }), { 'body.hotel.nights': 'at most 30 nights' });
    await expectRejected(bookingBody({ hotel: { nights: 1.5 } }), { 'body.hotel.nights': undefined });
    await expectRejected(bookingBody({ hotel: { nights: '3' as never } }), { 'body.hotel.nights': undefined });
    // The old shape: checkOut is refused by name (and nights is missing).
    const { nights: _n, ...stay } = bookingBody().hotel;
    await expectRejected(
      { ...bookingBody(), hotel: { ...stay, checkOut: daysFromNow(10) } },
      { 'body.hotel': /"checkOut"/, 'body.hotel.nights': undefined },
    );
  });

  test('1 and 30 nights are accepted, and the document says exactly that', () => {
    const hotel = doc.components.schemas.BookingRequest!.properties as { hotel: { properties: { nights: object } } };
    expect(hotel.hotel.properties.nights).toMatchObject({ type: 'integer', minimum: 1, maximum: 30 });
    for (const nights of [1, 30]) {
      const parsed = bookingRequestSchema.safeParse(bookingBody({ hotel: { checkIn: daysFromNow(7), nights } }));
      expect(parsed.success).toBe(true);
      expect(parsed.data?.hotel.checkOut).toBe(daysFromNow(7 + nights));
    }
  });

  test('seats and rooms of 0 and 10, and not integers', async () => {
    await expectRejected(bookingBody({ flight: { seats: 0 } }), { 'body.flight.seats': 'at least 1' });
    await expectRejected(bookingBody({ flight: { seats: 10 } }), { 'body.flight.seats': 'at most 9' });
    await expectRejected(bookingBody({ flight: { seats: 1.5 } }), { 'body.flight.seats': undefined });
    await expectRejected(bookingBody({ hotel: { rooms: 0 } }), { 'body.hotel.rooms': 'at least 1' });
    await expectRejected(bookingBody({ hotel: { rooms: 10 } }), { 'body.hotel.rooms': 'at most 9' });
    // Both at once: both named.
    const both = await expectRejected(bookingBody({ flight: { seats: 0 }, hotel: { rooms: 10 } }), {
      'body.flight.seats': undefined,
      'body.hotel.rooms': undefined,
    });
    expect(errorOf(both).details).toHaveLength(2);
  });

  test('unknown fields at every level', async () => {
    const body = bookingBody();
    await expectRejected({ ...body, price: '1.00' }, { body: /"price"/ });
    await expectRejected({ ...body, flight: { ...body.flight, cabin: 'first' } }, { 'body.flight': /"cabin"/ });
    await expectRejected({ ...body, hotel: { ...body.hotel, breakfast: true } }, { 'body.hotel': /"breakfast"/ });
    await expectRejected({ ...body, payment: { ...body.payment, amount: 1 } }, { 'body.payment': /"amount"/ });
    await expectRejected(
      { ...body, payment: { card: { ...body.payment.card, holder: 'A. B.' } } },
      { 'body.payment.card': /"holder"/ },
    );
    await expectRejected({ ...body, faults: { sendEmail: 'fail' } }, { 'body.faults': /"sendEmail"/ });
  });

  test('missing fields (customerId is optional: the token names the customer)', async () => {
    const { hotel: _h, ...noHotel } = bookingBody();
    await expectRejected(noHotel, { 'body.hotel': undefined });
    const body = bookingBody();
    const { date: _d, ...flightNoDate } = body.flight;
    await expectRejected({ ...body, flight: flightNoDate }, { 'body.flight.date': undefined });
    const { cvc: _v, ...cardNoCvc } = body.payment.card;
    await expectRejected({ ...body, payment: { card: cardNoCvc } }, { 'body.payment.card.cvc': undefined });
    await expectRejected({ ...body, payment: {} }, { 'body.payment.card': undefined });
    const empty = await expectRejected(
      {},
      { 'body.flight': undefined, 'body.hotel': undefined, 'body.payment': undefined },
    );
    expect(errorOf(empty).details).toHaveLength(3);
  });

  test('wrong types', async () => {
    const body = bookingBody();
    await expectRejected({ ...body, customerId: 42 }, { 'body.customerId': undefined });
    await expectRejected({ ...body, customerId: 'has spaces' }, { 'body.customerId': undefined });
    await expectRejected({ ...body, flight: { ...body.flight, seats: '1' } }, { 'body.flight.seats': undefined });
    await expectRejected(
      { ...body, flight: { ...body.flight, flightNumber: 'tb100' } },
      { 'body.flight.flightNumber': undefined },
    );
    await expectRejected({ ...body, hotel: 'HTL-TOKYO-SHINJUKU' }, { 'body.hotel': undefined });
    await expectRejected(
      { ...body, payment: { card: { ...body.payment.card, number: 4242424242424242 } } },
      { 'body.payment.card.number': undefined },
    );
    await expectRejected(
      { ...body, payment: { card: { ...body.payment.card, cvc: 123 } } },
      { 'body.payment.card.cvc': undefined },
    );
    await expectRejected(
      { ...body, payment: { card: { ...body.payment.card, expMonth: '12' } } },
      { 'body.payment.card.expMonth': undefined },
    );
    await expectRejected({ ...body, faults: 'fail' }, { 'body.faults': undefined });
    await expectRejected([body], { body: undefined });
  });

  test('faults with a bad mode', async () => {
    for (const mode of [
      'explode',
      'transient',
      'transient:0',
      'transient:100',
      'timeout:x',
      'outage:31d',
      'outage:2 h',
      'FAIL',
    ]) {
      await expectRejected(bookingBody({ faults: { reserveHotel: mode } }), {
        'body.faults.reserveHotel': 'must be fail',
      });
    }
  });
});

describe('POST /bookings: bodies that are not JSON objects, and headers', () => {
  test('invalid JSON → 400 invalid_json', async () => {
    for (const raw of ['{"customerId":', '{customerId: "x"}', "{'a':1}", 'null', '"a string"', '42']) {
      const res = await request(api.app).post('/bookings').set('Content-Type', 'application/json').send(raw);
      expectError(res, 400, 'invalid_json');
      expectConforms(res, 'POST', '/bookings');
      expect(errorOf(res).message).not.toContain(raw);
    }
  });

  test('no JSON body at all → 400 naming the body', async () => {
    const text = await request(api.app).post('/bookings').set('Content-Type', 'text/plain').send('hello');
    expectValidation(text, { body: /expected object/ });
    const none = await request(api.app).post('/bookings');
    expectValidation(none, { body: /expected object/ });
  });

  test('a body over 16 kB → 413; an unsupported encoding or charset → 415', async () => {
    const big = { ...bookingBody(), customerId: 'x'.repeat(17 * 1024) };
    const res = await post(big);
    expectError(res, 413, 'payload_too_large');
    expectConforms(res, 'POST', '/bookings');
    // Just under the limit is parsed (and rejected for its content, not its size).
    const under = await post({ ...bookingBody(), customerId: 'x'.repeat(15 * 1024) });
    expectValidation(under, { 'body.customerId': undefined });

    const encoded = await request(api.app)
      .post('/bookings')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'x-squeeze')
      .send(JSON.stringify(bookingBody()));
    expectError(encoded, 415, 'unsupported_encoding');
    expectConforms(encoded, 'POST', '/bookings');
    const latin1 = await request(api.app)
      .post('/bookings')
      .set('Content-Type', 'application/json; charset=latin1')
      .send(JSON.stringify(bookingBody()));
    expectError(latin1, 415, 'unsupported_encoding');
  });

  test('a malformed Idempotency-Key → 400 naming the header', async () => {
    for (const key of ['has space', 'a/b', 'x'.repeat(65), 'a.b', '']) {
      const res = await request(api.app).post('/bookings').set('Idempotency-Key', key).send(bookingBody());
      expectValidation(res, { 'header.Idempotency-Key': undefined });
      expectConforms(res, 'POST', '/bookings');
    }
  });

  test('faults when the app runs without fault injection → 400 fault_injection_disabled', async () => {
    const off = await startApi(h, { faultInjection: false });
    try {
      const res = await request(off.app)
        .post('/bookings')
        .send(bookingBody({ faults: { reserveHotel: 'fail' } }));
      expectError(res, 400, 'fault_injection_disabled');
      expectConforms(res, 'POST', '/bookings');
      // A bad mode is still a validation error first.
      expectValidation(
        await request(off.app)
          .post('/bookings')
          .send(bookingBody({ faults: { reserveHotel: 'nope' } })),
        {
          'body.faults.reserveHotel': undefined,
        },
      );
      expect((await request(off.app).get('/healthz')).body as unknown).toMatchObject({ faultInjection: false });
      expect(off.logs()).not.toContain('booking started');
    } finally {
      await off.stop();
    }
  });
});

describe('malformed booking IDs on every :id route', () => {
  const malformed = ['not.an.id', 'x'.repeat(65), 'a%20b', '%F0%9F%98%80', "1'or'1"];
  const routes = [
    ['get', '', '/bookings/{id}'],
    ['get', '/events', '/bookings/{id}/events'],
    ['post', '/cancel', '/bookings/{id}/cancel'],
    ['post', '/compensation/retry', '/bookings/{id}/compensation/retry'],
    ['post', '/compensation/resolve', '/bookings/{id}/compensation/resolve'],
  ] as const;
  test.each(routes)('%s /bookings/<malformed>%s → 400 naming path.id', async (method, suffix, template) => {
    for (const id of malformed) {
      const req = request(api.app)[method](`/bookings/${id}${suffix}`);
      const res = await (method === 'post' ? req.send(suffix.endsWith('resolve') ? { note: 'n' } : {}) : req);
      expectValidation(res, { 'path.id': undefined });
      expectConforms(res, method, template);
    }
  });

  test('bodies of the actions are validated too', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const cancel = await request(api.app)
      .post(`/bookings/${id}/cancel`)
      .send({ reason: 'x'.repeat(201) });
    expectValidation(cancel, { 'body.reason': undefined });
    expectValidation(await request(api.app).post(`/bookings/${id}/cancel`).send({ force: true }), { body: /"force"/ });
    expectValidation(await request(api.app).post(`/bookings/${id}/compensation/retry`).send({ all: true }), {
      body: /"all"/,
    });
    expectValidation(await request(api.app).post(`/bookings/${id}/compensation/resolve`).send({ note: '' }), {
      'body.note': 'note is required',
    });
    expectValidation(await request(api.app).post(`/bookings/${id}/compensation/resolve`).send({ note: '   ' }), {
      'body.note': 'note is required',
    });
    expectValidation(await request(api.app).post(`/bookings/${id}/compensation/resolve`).send({}), {
      'body.note': undefined,
    });
    expectValidation(await request(api.app).post(`/bookings/${id}/compensation/resolve`), { 'body.note': undefined });
    expectError(
      await request(api.app).post(`/bookings/${id}/cancel`).set('Content-Type', 'application/json').send('{'),
      400,
      'invalid_json',
    );
  });
});

test('after all those requests: no workflow started, no row written, every log line has a request ID', async () => {
  await delay(300); // a workflow started by mistake would have synced its first state by now
  expect(await writtenRows(h.tdb.dbs)).toEqual(before);
  expect(api.logs()).not.toContain('booking started');
  const lines = api
    .logs()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; req?: { id?: string }; res?: { statusCode: number } });
  const completed = lines.filter((l) => l.msg === 'request completed');
  expect(completed.length).toBeGreaterThan(100);
  expect(completed.every((l) => typeof l.req?.id === 'string' && l.req.id.length > 0)).toBe(true);
  expect(completed.every((l) => l.res!.statusCode >= 400 && l.res!.statusCode < 500)).toBe(true);
});
