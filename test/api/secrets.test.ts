// The card number and the CVC go to the vault and nowhere else: not the database, not the logs,
// not the workflow history. And every log line of a request carries its request ID and booking.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { defaultPayloadConverter } from '@temporalio/common';
import { workflowIdFor } from '../../src/booking/booking.ts';
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
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    out.push(String(value));
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
  const repeat = await postBooking(
    api.app,
    bookingBody({ customerId: 'secret-2', card: { ...CARDS.good, cvc: CVC } }),
    'secret-key',
  );
  bookings.push({
    id: (repeat.body as BookingView).bookingId,
    requestId: repeat.headers['x-request-id'] as string,
    number: CARDS.good.number,
  });
  // Another card with the same key: 422, and it says nothing of either card.
  const again = await request(api.app)
    .post('/bookings')
    .set('Idempotency-Key', 'secret-key')
    .send(bookingBody({ customerId: 'secret-2', card: { ...CARDS.declined, cvc: CVC } }));
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

test('no table of any database holds a card number or a CVC; the vault keeps a token, the brand and last4', async () => {
  let all = '';
  const tablesOf: Record<string, string[]> = {};
  for (const [database, db] of Object.entries(h.tdb.dbs)) {
    const tables = await db.$queryRawUnsafe<{ table_name: string }[]>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    tablesOf[database] = tables.map((t) => t.table_name).filter((t) => t !== '_prisma_migrations');
    for (const { table_name } of tables) {
      const rows = await db.$queryRawUnsafe<{ row: string }[]>(
        `SELECT row_to_json(t)::text AS row FROM "${table_name}" t`,
      );
      const text = rows.map((r) => r.row).join('\n');
      expectNoCardData(text, `table ${table_name} of the ${database} database`);
      all += text;
    }
  }
  // Every table of every service was read, each in its own database.
  expect(tablesOf).toEqual({
    booking: ['bookings', 'idempotency_keys'],
    flights: ['flight_reservations', 'flights'],
    hotels: ['hotel_nights', 'hotel_reservations', 'hotels'],
    payments: ['payment_methods', 'payments'],
  });
  // The dump is real: it holds the bookings and what the vault keeps.
  for (const b of bookings) expect(all).toContain(b.id);
  const methods = await h.tdb.dbs.payments.paymentMethod.findMany({
    where: { customerId: { startsWith: 'secret-' } },
    orderBy: { customerId: 'asc' },
  });
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
  expect(
    lines
      .filter((l) => l.msg === 'request completed')
      .every((l) => typeof l.req?.id === 'string' && l.req.id.length > 0),
  ).toBe(true);
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

describe('a CVC leaves no trace in anything stored', () => {
  const body = (cvc: string) => bookingBody({ customerId: 'secret-cvc', card: { ...CARDS.good, cvc } });
  const keyRow = (key: string) => h.tdb.db.idempotencyKey.findFirstOrThrow({ where: { key } });

  /** What the API gave Temporal at the start: input, memo, search attributes, summary and details; the booking ID masked. */
  async function started(bookingId: string): Promise<string> {
    const handle = h.env.client.workflow.getHandle(workflowIdFor(bookingId));
    const [description, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
    const start = history.events![0]!;
    const attributes = start.workflowExecutionStartedEventAttributes!;
    const text = (p: { data?: Uint8Array | null } | null | undefined) =>
      p?.data ? Buffer.from(p.data).toString('utf8') : null;
    return JSON.stringify({
      input: (attributes.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p)),
      memo: description.memo,
      searchAttributes: description.typedSearchAttributes,
      summary: text(start.userMetadata?.summary),
      details: text(start.userMetadata?.details),
    }).replaceAll(bookingId, '<bookingId>');
  }

  test('two requests that differ only in the CVC: the same request hash, card token, workflow start and payment; a repeat with another CVC is the same request', async () => {
    const first = await postBooking(api.app, body('123'), 'cvc-first');
    const second = await postBooking(api.app, body('987'), 'cvc-second');
    const [a, b] = [(first.body as BookingView).bookingId, (second.body as BookingView).bookingId];
    const done = await Promise.all([waitForBooking(api.app, a), waitForBooking(api.app, b)]);
    expect(done.map((v) => v.status)).toEqual(['CONFIRMED', 'CONFIRMED']);

    // The idempotency table: the same keyed hash for both.
    const [rowA, rowB] = await Promise.all([keyRow('cvc-first'), keyRow('cvc-second')]);
    expect(rowB.requestHash).toBe(rowA.requestHash);
    // The vault: one card, one token.
    const methods = await h.tdb.dbs.payments.paymentMethod.findMany({ where: { customerId: 'secret-cvc' } });
    expect(methods).toHaveLength(1);
    // Temporal: the same input (the token), memo (the hash), search attributes, summary and details.
    expect(await started(b)).toBe(await started(a));
    expect(await started(a)).toContain(methods[0]!.token);
    // The read model and the payments service: the same token, charged the same amount.
    const payments = await h.tdb.dbs.payments.payment.findMany({
      where: { bookingId: { in: [a, b] } },
      orderBy: { createdAt: 'asc' },
    });
    expect(payments.map((p) => [p.paymentMethodToken, p.amountCents])).toEqual([
      [methods[0]!.token, payments[0]!.amountCents],
      [methods[0]!.token, payments[0]!.amountCents],
    ]);
    const states = await h.tdb.db.booking.findMany({ where: { id: { in: [a, b] } }, select: { state: true } });
    const paid = states.map(({ state }) => {
      const { paymentId: _id, ...payment } = (state as { payment: Record<string, unknown> }).payment;
      return payment;
    });
    expect(paid[1]).toEqual(paid[0]);

    // The same key with only the CVC changed: the same request, the first booking, nothing written.
    const before = await Promise.all([
      keyRow('cvc-first'),
      h.tdb.dbs.payments.paymentMethod.findMany({ where: { customerId: 'secret-cvc' } }),
    ]);
    const repeat = await request(api.app).post('/bookings').set('Idempotency-Key', 'cvc-first').send(body('555'));
    expect(repeat.status, repeat.text).toBe(200);
    expect((repeat.body as BookingView).bookingId).toBe(a);
    expect(
      await Promise.all([
        keyRow('cvc-first'),
        h.tdb.dbs.payments.paymentMethod.findMany({ where: { customerId: 'secret-cvc' } }),
      ]),
    ).toEqual(before);
  });
});
