// Hostile input: a corpus of malformed requests. Every one gets a 4xx with a JSON error, none
// starts a workflow, writes a row, or shows a stack trace.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CardInput } from '../src/activities/payments/vault.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './api/harness.ts';
import { CARDS, FLIGHT, HOTEL_STAY } from './helpers/booking.ts';

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await createApiHarness('hostile');
  api = await startApi(h);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

const valid = () => {
  const card: CardInput = { ...CARDS.good };
  return { customerId: 'hostile-customer', flight: { ...FLIGHT }, hotel: { ...HOTEL_STAY }, payment: { card } };
};
type Body = ReturnType<typeof valid>;
const deep = (levels: number): unknown => (levels === 0 ? 'x' : { a: deep(levels - 1) });
const edit = (f: (b: Body & Record<string, unknown>) => void) => {
  const b = valid() as Body & Record<string, unknown>;
  f(b);
  return b;
};

const INJECTIONS = [
  "'; DROP TABLE bookings; --",
  "' OR '1'='1",
  '<script>alert(1)</script>',
  '{{7*7}}',
  '${jndi:ldap://x/a}',
  '../../etc/passwd',
];
const ODD_STRINGS = ['', ' ', '\u0000', 'a\nb', '\u202eevil', 'zero\u200bwidth', '顧客', '💥💥', 'x'.repeat(10_000)];

/** [name, body] — each must be refused. */
const BODIES: [string, unknown][] = [
  ['an empty object', {}],
  ['an array', [valid()]],
  ['a string', 'booking'],
  ['null', null],
  ['customerId a number', edit((b) => (b.customerId = 123 as never))],
  ['flight a string', edit((b) => (b.flight = 'TB100' as never))],
  ['seats a string', edit((b) => (b.flight.seats = '2' as never))],
  ['seats fractional', edit((b) => (b.flight.seats = 1.5))],
  ['seats negative', edit((b) => (b.flight.seats = -1))],
  ['seats zero', edit((b) => (b.flight.seats = 0))],
  ['rooms a boolean', edit((b) => (b.hotel.rooms = true as never))],
  ['rooms 1e6', edit((b) => (b.hotel.rooms = 1e6))],
  ['card number a number', edit((b) => (b.payment.card.number = 4242424242424242 as never))],
  ['expMonth 13', edit((b) => (b.payment.card.expMonth = 13))],
  ['expMonth a string', edit((b) => (b.payment.card.expMonth = '12' as never))],
  ['expYear 99999', edit((b) => (b.payment.card.expYear = 99_999))],
  ['expYear negative', edit((b) => (b.payment.card.expYear = -1))],
  ['missing hotel', edit((b) => delete (b as Partial<Body>).hotel)],
  ['missing cvc', edit((b) => delete (b.payment.card as Partial<Body['payment']['card']>).cvc)],
  ['missing payment', edit((b) => delete (b as Partial<Body>).payment)],
  ['an unknown top-level field', edit((b) => (b.admin = true))],
  ['an unknown nested field', edit((b) => ((b.flight as Record<string, unknown>).price = 1))],
  ['an unknown card field', edit((b) => ((b.payment.card as unknown as Record<string, unknown>).pin = '0000'))],
  ['an unknown fault target', edit((b) => (b.faults = { dropDatabase: 'fail' }))],
  ['a bad fault mode', edit((b) => (b.faults = { reserveFlight: 'explode' }))],
  ['a huge transient count', edit((b) => (b.faults = { reserveFlight: 'transient:999999' }))],
  ['__proto__ pollution', JSON.parse(`{"__proto__": {"admin": true}, "customerId": "c"}`)],
  ['constructor pollution', edit((b) => (b.constructor = { prototype: { admin: true } } as never))],
  ['deep nesting', edit((b) => (b.customerId = deep(500) as never))],
  ['a deeply nested unknown field', edit((b) => (b.extra = deep(2000)))],
  ['a date in the past', edit((b) => (b.flight.date = '1900-01-01'))],
  ['a date far in the future', edit((b) => (b.flight.date = '9999-12-31'))],
  ['an impossible date', edit((b) => (b.hotel.checkIn = '2027-02-30'))],
  ['month 13', edit((b) => (b.hotel.checkIn = '2027-13-01'))],
  ['year 0000', edit((b) => (b.flight.date = '0000-01-01'))],
  ['day 00', edit((b) => (b.flight.date = '2027-01-00'))],
  ['a date with a time', edit((b) => (b.flight.date = `${FLIGHT.date}T00:00:00Z`))],
  ['a stay of 0 nights', edit((b) => (b.hotel.nights = 0))],
  ['a stay of -3 nights', edit((b) => (b.hotel.nights = -3))],
  ['a stay of 200 nights', edit((b) => (b.hotel.nights = 200))],
  ['a checkOut (the old shape)', edit((b) => (b.hotel = { ...b.hotel, checkOut: FLIGHT.date } as never))],
  ['expYear 1999 (between YY and YYYY)', edit((b) => (b.payment.card.expYear = 1999))],
  ['card digits that are not ASCII', edit((b) => (b.payment.card.number = '٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢'))],
  ['a fault outage over 30 days', edit((b) => (b.faults = { reserveFlight: 'outage:721h' }))],
  ['a fault outage of 43201 minutes', edit((b) => (b.faults = { reserveFlight: 'outage:43201m' }))],
  ['a Luhn-invalid card', edit((b) => (b.payment.card.number = '4242424242424241'))],
  ['an 11-digit card', edit((b) => (b.payment.card.number = '42424242424'))],
  ['a 20-digit card', edit((b) => (b.payment.card.number = '42424242424242424242'))],
  ['a card with letters', edit((b) => (b.payment.card.number = '4242abcd42424242'))],
  ['a card with spaces', edit((b) => (b.payment.card.number = '4242 4242 4242 4242'))],
  ['a 2-digit cvc', edit((b) => (b.payment.card.cvc = '12'))],
  ['a 5-digit cvc', edit((b) => (b.payment.card.cvc = '12345'))],
  ...INJECTIONS.flatMap((s): [string, unknown][] => [
    [`customerId ${JSON.stringify(s)}`, edit((b) => (b.customerId = s))],
    [`flightNumber ${JSON.stringify(s)}`, edit((b) => (b.flight.flightNumber = s))],
    [`hotelId ${JSON.stringify(s)}`, edit((b) => (b.hotel.hotelId = s))],
  ]),
  ...ODD_STRINGS.map((s): [string, unknown] => [
    `customerId ${JSON.stringify(s.slice(0, 20))}`,
    edit((b) => (b.customerId = s)),
  ]),
];

const RAW: [string, string, string][] = [
  ['invalid JSON', '{"customerId": ', 'application/json'],
  ['a bare number', '42', 'application/json'],
  ['a trailing comma', '{"customerId": "c",}', 'application/json'],
  ['NaN', '{"flight": {"seats": NaN}}', 'application/json'],
  ['seats past 2^53', JSON.stringify(valid()).replace('"seats":1', '"seats":9007199254740993'), 'application/json'],
  ['1e309 (Infinity)', JSON.stringify(valid()).replace('"seats":1', '"seats":1e309'), 'application/json'],
  ['a control character', '{"customerId": "a\u0001b"}', 'application/json'],
  ['form encoding', 'customerId=c&seats=1', 'application/x-www-form-urlencoded'],
  ['text', 'book me a trip', 'text/plain'],
  ['a body over 16 kB', JSON.stringify({ ...valid(), pad: 'x'.repeat(17_000) }), 'application/json'],
];

async function counts() {
  const [bookings, paymentMethods, payments] = await Promise.all([
    h.tdb.db.booking.count(),
    h.tdb.dbs.payments.paymentMethod.count(),
    h.tdb.dbs.payments.payment.count(),
  ]);
  return { bookings, paymentMethods, payments };
}

interface ErrorBody {
  error: { code: string; message: string };
}

async function expectRefused(res: request.Response, key?: string) {
  const body = res.body as ErrorBody;
  expect(res.status, `${res.status} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  expect(res.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  if (key) {
    // The key was never claimed: no booking ID, so no workflow, was made for this request.
    expect(await h.tdb.db.idempotencyKey.count({ where: { key } })).toBe(0);
  }
}

describe('POST /bookings refuses', () => {
  test.each(BODIES)('%s', async (_name, body) => {
    const key = randomUUID();
    const res = await request(api.app)
      .post('/bookings')
      .set('Idempotency-Key', key)
      .send(body as object);
    await expectRefused(res, key);
  });

  test.each(RAW)('%s', async (_name, raw, type) => {
    const key = randomUUID();
    const res = await request(api.app)
      .post('/bookings')
      .set('Idempotency-Key', key)
      .set('Content-Type', type)
      .send(raw);
    await expectRefused(res, key);
  });

  test.each(['', 'k'.repeat(65), 'has space', 'semi;colon', '../x', 'clé', 'a\tb'])(
    'the Idempotency-Key %j',
    async (key) => {
      const res = await request(api.app).post('/bookings').set('Idempotency-Key', key).send(valid());
      await expectRefused(res);
    },
  );
});

const BAD_IDS = [
  'x'.repeat(65),
  'x'.repeat(5_000),
  "1' OR '1'='1",
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '%E2%80%AE',
  'a%20b',
  '%3Cscript%3E',
  'booking.json',
];

describe('every :id route refuses malformed IDs', () => {
  const routes: [string, (id: string) => request.Test][] = [
    ['GET /bookings/:id', (id) => request(api.app).get(`/bookings/${id}`)],
    ['GET /bookings/:id/events', (id) => request(api.app).get(`/bookings/${id}/events`)],
    ['POST /bookings/:id/cancel', (id) => request(api.app).post(`/bookings/${id}/cancel`).send({})],
    [
      'POST /bookings/:id/compensation/retry',
      (id) => request(api.app).post(`/bookings/${id}/compensation/retry`).send({}),
    ],
    [
      'POST /bookings/:id/compensation/resolve',
      (id) => request(api.app).post(`/bookings/${id}/compensation/resolve`).send({ note: 'x' }),
    ],
  ];
  test.each(routes.flatMap(([name, call]) => BAD_IDS.map((id): [string, string, typeof call] => [name, id, call])))(
    '%s with %s',
    async (_name, id, call) => {
      await expectRefused(await call(id));
    },
  );

  test.each(routes)('%s with an unknown well-formed ID answers 404', async (_name, call) => {
    const res = await call(randomUUID());
    expect(res.status).toBe(404);
    expect((res.body as ErrorBody).error.code).toBe('not_found');
  });
});

describe('bodies of the actions and the list query', () => {
  test.each([
    ['cancel with an unknown field', '/cancel', { reason: 'x', force: true }],
    ['cancel with a 10 kB reason', '/cancel', { reason: 'x'.repeat(10_000) }],
    ['resolve without a note', '/compensation/resolve', {}],
    ['resolve with a blank note', '/compensation/resolve', { note: '   ' }],
    ['resolve with a number', '/compensation/resolve', { note: 42 }],
    ['retry with a body', '/compensation/retry', { now: true }],
  ])('%s', async (_name, path, body) => {
    await expectRefused(await request(api.app).post(`/bookings/${randomUUID()}${path}`).send(body));
  });

  test.each([
    'status=NOPE',
    'limit=-1',
    'limit=1000',
    'limit=abc',
    'limit=1e1',
    'limit=05',
    'limit=%205',
    'limit=1&limit=2',
    'cursor=garbage',
    'cursor=',
    'cursor=123.abc',
    'cursor=0000000000000.a%2Fb',
    `cursor=${'1'.repeat(14)}.abc`,
    "customerId=' OR 1=1 --",
    'status=CONFIRMED&status=FAILED',
    'extra=1',
  ])('GET /bookings?%s', async (query) => {
    await expectRefused(await request(api.app).get(`/bookings?${query}`));
  });
});

describe('the inventory query', () => {
  test.each([
    'date=0000-00-00',
    'date=0000-01-01',
    'date=2027-02-29',
    'date=2027-13-01',
    'date=2027-1-01',
    'date=%D9%A2027-01-01',
    'limit=0',
    'limit=501',
    'flightNumber=tb100',
    'extra=1',
  ])('GET /flights?%s', async (query) => {
    await expectRefused(await request(api.app).get(`/flights?${query}`));
  });

  test('any real calendar date is a date (format: date): leap days, far past and far future answer 200', async () => {
    for (const date of ['2028-02-29', '0001-01-01', '9999-12-31']) {
      const res = await request(api.app).get(`/flights?date=${date}`);
      expect(res.status, `${date}: ${res.text}`).toBe(200);
    }
  });
});

test('after the whole corpus, nothing was written', async () => {
  // Runs last in this file: every refusal above left the database as it was.
  expect(await counts()).toEqual({ bookings: 0, paymentMethods: 0, payments: 0 });
  expect(
    await h.tdb.dbs.flights.flightReservation.count({ where: { bookingId: { not: { startsWith: 'seed-' } } } }),
  ).toBe(0);
});
