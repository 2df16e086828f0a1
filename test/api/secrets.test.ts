// The card number and the CVC go to the vault and nowhere else: not the database, not the logs,
// not the workflow history. And every log line of a request carries its request ID and booking.
import request from 'supertest';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/schemas.ts';
import { workflowIdFor } from '../../src/domain/booking.ts';
import { CARDS } from '../helpers/booking.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import { bookingBody, postBooking, waitForBooking } from './support.ts';

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await createApiHarness('api_secrets');
  api = await startApi(h);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

const CVC = '987';
const NUMBERS = [CARDS.good.number, CARDS.declined.number];
const bookings: { id: string; requestId: string; number: string }[] = [];

/** Every trace of a card: the full number, its first 12 digits, the CVC as a JSON value, a `cvc` key. */
function expectNoCardData(text: string, where: string) {
  for (const number of NUMBERS) {
    expect(text.includes(number), `${where} holds the card number ${number}`).toBe(false);
    expect(text.includes(number.slice(0, 12)), `${where} holds the first 12 digits of ${number}`).toBe(false);
  }
  expect(text.includes(`"${CVC}"`), `${where} holds the CVC`).toBe(false);
  expect(/cvc/i.test(text), `${where} mentions a cvc`).toBe(false);
}

/** All strings of a value, with every byte array (payload data) decoded as UTF-8. */
function allText(value: unknown, out: string[] = [], seen = new Set<unknown>()): string[] {
  if (value === null || value === undefined) return out;
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') out.push(String(value));
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    for (const v of Array.isArray(value) ? value : Object.values(value)) allText(v, out, seen);
  }
  return out;
}

beforeAll(async () => {
  for (const [i, card] of [CARDS.good, CARDS.declined].entries()) {
    const requestId = `secrets-req-${i}`;
    const res = await request(api.app)
      .post('/bookings')
      .set('X-Request-Id', requestId)
      .send(bookingBody({ customerId: `secret-${i}`, card: { ...card, cvc: CVC } }));
    expect(res.status, res.text).toBe(201);
    expect(res.headers['x-request-id']).toBe(requestId);
    expectNoCardData(res.text, 'the 201');
    bookings.push({ id: (res.body as BookingView).bookingId, requestId, number: card.number });
  }
  // A rejected request must not echo the number either.
  const rejected = await request(api.app)
    .post('/bookings')
    .send(bookingBody({ customerId: 'secret-x', card: { number: CARDS.good.number, cvc: CVC, expMonth: 13 } }));
  expect(rejected.status).toBe(400);
  expectNoCardData(rejected.text, 'a 400');
  const repeat = await postBooking(api.app, bookingBody({ customerId: 'secret-2', card: { ...CARDS.good, cvc: CVC } }), 'secret-key');
  bookings.push({ id: (repeat.body as BookingView).bookingId, requestId: repeat.headers['x-request-id'] as string, number: CARDS.good.number });
  const again = await request(api.app).post('/bookings').set('Idempotency-Key', 'secret-key').send(bookingBody({ customerId: 'secret-2', card: { ...CARDS.good, cvc: '000' } }));
  expect(again.status).toBe(422);
  expectNoCardData(again.text, 'a 422');

  const done = await Promise.all(bookings.map((b) => waitForBooking(api.app, b.id)));
  expect(done.map((v) => v.status)).toEqual(['CONFIRMED', 'FAILED', 'CONFIRMED']);
  expect(done[1]!.failure).toMatchObject({ step: 'payment', type: 'CardDeclined' });
  for (const b of bookings) {
    const res = await request(api.app).get(`/bookings/${b.id}`);
    expectNoCardData(res.text, 'GET /bookings/:id');
    const events = await request(api.app).get(`/bookings/${b.id}/events`);
    expectNoCardData(events.text, 'the event stream');
  }
  expectNoCardData((await request(api.app).get('/bookings')).text, 'GET /bookings');
});

test('no table of the database holds a card number or a CVC; the vault keeps a token, the brand and last4', async () => {
  const tables = await h.tdb.db.$queryRawUnsafe<{ table_name: string }[]>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  expect(tables.map((t) => t.table_name)).toEqual(
    expect.arrayContaining(['bookings', 'flight_reservations', 'flights', 'hotel_reservations', 'hotels', 'payment_methods', 'payments']),
  );
  let all = '';
  for (const { table_name } of tables) {
    const rows = await h.tdb.db.$queryRawUnsafe<{ row: string }[]>(`SELECT row_to_json(t)::text AS row FROM "${table_name}" t`);
    const text = rows.map((r) => r.row).join('\n');
    expectNoCardData(text, `table ${table_name}`);
    all += text;
  }
  // The dump is real: it holds the bookings and what the vault keeps.
  for (const b of bookings) expect(all).toContain(b.id);
  const methods = await h.tdb.db.paymentMethod.findMany({ where: { customerId: { startsWith: 'secret-' } }, orderBy: { customerId: 'asc' } });
  expect(methods.map((m) => [m.customerId, m.brand, m.last4])).toEqual([
    ['secret-0', 'visa', '4242'],
    ['secret-1', 'visa', '0002'],
    ['secret-2', 'visa', '4242'],
  ]);
  for (const m of methods) expect(m.token).toMatch(/^pm_[0-9a-f]{24}$/);
});

test('the app logs hold no card number or CVC', () => {
  const logs = api.logs();
  expect(logs.length).toBeGreaterThan(0);
  expectNoCardData(logs, 'the logs');
});

test('the workflow histories (inputs, memo, summaries, activity payloads, results) hold no card number or CVC', async () => {
  for (const b of bookings) {
    const handle = h.env.client.workflow.getHandle(workflowIdFor(b.id));
    const history = await handle.fetchHistory();
    const text = allText(history).join('\n');
    // Decoded payloads are in the text: the booking ID, the token and last4 are there.
    expect(text).toContain(b.id);
    expect(text).toMatch(/pm_[0-9a-f]{24}/);
    expect(text).toContain(b.number.slice(-4));
    expectNoCardData(text, `the history of ${b.id}`);
    const description = await handle.describe();
    expectNoCardData(allText(description.raw).join('\n'), `the description of ${b.id}`);
  }
});

test('every log line of a request carries the request ID; those about a booking carry its ID', () => {
  const lines = api
    .logs()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; req?: { id?: string; url?: string }; bookingId?: string });
  const requestLines = lines.filter((l) => l.req);
  expect(requestLines.length).toBeGreaterThan(10);
  expect(lines.filter((l) => l.msg === 'request completed').every((l) => typeof l.req?.id === 'string' && l.req.id.length > 0)).toBe(true);
  for (const b of bookings.slice(0, 2)) {
    // The client's X-Request-Id is the request ID of the log lines of its POST.
    const own = lines.filter((l) => l.req?.id === b.requestId);
    expect(own.map((l) => l.msg)).toEqual(['booking started', 'request completed']);
    expect(own.every((l) => l.bookingId === b.id)).toBe(true);
  }
  // Every line of a request about a booking (its URL names it) carries the booking ID.
  for (const b of bookings) {
    const about = lines.filter((l) => l.req?.url?.startsWith(`/bookings/${b.id}`));
    expect(about.length).toBeGreaterThan(0);
    expect(about.every((l) => l.bookingId === b.id)).toBe(true);
  }
  // A request ID that is not a plain token is replaced, not logged.
  return request(api.app)
    .get('/healthz')
    .set('X-Request-Id', 'evil\tid with spaces')
    .then((res) => {
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(api.logs()).not.toContain('evil');
    });
});
