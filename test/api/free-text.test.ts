// Text no database takes is refused at the door: every string a request carries to PostgreSQL or
// a workflow's history refuses control characters and lone surrogates with a 400 naming the field,
// and nothing is written (no row, no key, no Update). Through the real app, a real worker on the
// time-skipping server, and PostgreSQL.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { MULTI_LINE_TEXT, ONE_LINE_TEXT } from '../../src/api/bookings/text.ts';
import { workflowIdFor } from '../../src/booking/booking.ts';
import { CARDS, daysFromNow } from '../helpers/booking.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import {
  bookingBody,
  doc,
  expectConforms,
  expectValidation,
  getBooking,
  postBooking,
  schemaAccepts,
  waitForBooking,
  writtenRows,
} from './support.ts';

/** What no field takes: NUL, lone surrogates (high, low), BEL, ESC, DEL, NEL (C1), the line separator. */
const CORPUS = ['\u0000', '\ud800', '\udfff', '\u0007', '\u001b', '\u007f', '\u0085', '\u2028'];
const named = (c: string) => `U+${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;

/** A string's UTF-8 bytes; a lone surrogate as the three bytes UTF-8 has no place for (CESU-8), as a hostile client sends it. */
function wireBytes(s: string): Buffer {
  return Buffer.concat(
    [...s].map((ch) => {
      const code = ch.charCodeAt(0);
      if (ch.length === 1 && code >= 0xd800 && code <= 0xdfff)
        return Buffer.from([0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]);
      return Buffer.from(ch, 'utf8');
    }),
  );
}

/** A string in a URL: its wire bytes, percent-encoded. */
const inUrl = (s: string) => [...wireBytes(s)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await createApiHarness('api_free_text');
  api = await startApi(h);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

const updates = () => api.temporalCalls().UpdateWorkflowExecution ?? 0;

/** The Updates a workflow accepted, by name, from its history. */
async function acceptedUpdates(bookingId: string): Promise<string[]> {
  const history = await h.env.client.workflow.getHandle(workflowIdFor(bookingId)).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    return name ? [name] : [];
  });
}

function holdBody(customerId: string, day: number) {
  const { payment: _p, ...body } = bookingBody({
    customerId,
    flight: { flightNumber: 'TB300', date: daysFromNow(day) },
    hotel: { checkIn: daysFromNow(day), nights: 1 },
  });
  return { ...body, hold: { minutes: 60 } };
}

describe('the document says what text fields take', () => {
  test('reason and note carry the pattern (a fuzzer that honours it sends no control character) and say lone surrogates are refused', () => {
    const reason = (
      doc.components.schemas.CancelRequest!.properties as Record<string, { pattern?: string; description?: string }>
    ).reason!;
    expect(reason.pattern).toBe(ONE_LINE_TEXT.source);
    expect(reason.description).toMatch(/lone surrogates/);
    const note = JSON.stringify(doc.components.schemas.ResolveRequest!.properties);
    expect(note).toContain(JSON.stringify(MULTI_LINE_TEXT.source).slice(1, -1));
    expect(note).toMatch(/lone surrogates/);
    // A pattern without the `u` flag cannot name lone surrogates (the API refuses them, tested below).
    for (const c of CORPUS.filter((c) => c.isWellFormed())) {
      expect(schemaAccepts('CancelRequest', { reason: `a${c}b` }), named(c)).toBe(false);
      expect(schemaAccepts('ResolveRequest', { note: `a${c}b` }), named(c)).toBe(false);
    }
    // An emoji (a whole surrogate pair) is text; a note may have lines and tabs, a reason may not.
    expect(schemaAccepts('CancelRequest', { reason: 'plans changed 🌧' })).toBe(true);
    expect(schemaAccepts('ResolveRequest', { note: 'refunded by hand\n\tticket 4711 😀' })).toBe(true);
    expect(schemaAccepts('CancelRequest', { reason: 'a\nb' })).toBe(false);
    expect(schemaAccepts('ResolveRequest', { note: 'a\rb' })).toBe(false);
  });
});

describe('cancel reason and confirm card on a HELD booking', () => {
  test('each refused with 400 naming the field; the booking, its history and the payment methods unchanged; a real reason then cancels', async () => {
    const created = await request(api.app).post('/bookings').set('Prefer', 'wait=20').send(holdBody('text-held', 40));
    expect(created.status, created.text).toBe(201);
    const held = created.body as BookingView;
    expect(held.status).toBe('HELD');
    const [rows, calls] = [await writtenRows(h.tdb.dbs), updates()];

    for (const c of CORPUS) {
      for (const reason of [c, `changed${c}plans`, `${'x'.repeat(100)}${c}`]) {
        const res = await request(api.app).post(`/bookings/${held.bookingId}/cancel`).send({ reason });
        expectValidation(res, { 'body.reason': 'control characters' });
        expectConforms(res, 'POST', '/bookings/{id}/cancel');
      }
      const card = { ...CARDS.good, cvc: `1${c}2` };
      const confirm = await request(api.app).post(`/bookings/${held.bookingId}/confirm`).send({ payment: { card } });
      expectValidation(confirm, { 'body.payment.card.cvc': undefined });
      const number = await request(api.app)
        .post(`/bookings/${held.bookingId}/confirm`)
        .send({ payment: { card: { ...CARDS.good, number: `4242${c}424242424242` } } });
      expectValidation(number, { 'body.payment.card.number': undefined });
    }
    // A line break is refused in a one-line reason.
    expectValidation(await request(api.app).post(`/bookings/${held.bookingId}/cancel`).send({ reason: 'a\nb' }), {
      'body.reason': 'one line',
    });

    expect(updates(), 'no Update was sent').toBe(calls);
    expect(await writtenRows(h.tdb.dbs)).toEqual(rows);
    const after = await getBooking(api.app, held.bookingId);
    expect(after).toMatchObject({ status: 'HELD', cancelRequested: false, version: held.version });
    expect(await acceptedUpdates(held.bookingId)).not.toContain('cancelBooking');

    // Text with an emoji is a reason like any other.
    const cancel = await request(api.app)
      .post(`/bookings/${held.bookingId}/cancel`)
      .send({ reason: 'rain all week 🌧' });
    expect(cancel.status, cancel.text).toBe(202);
    expect((await waitForBooking(api.app, held.bookingId)).status).toBe('CANCELLED');
  });
});

describe("the operator's resolve note", () => {
  test('refused with 400 naming the note, nothing sent to the workflow; a note of lines and tabs then resolves', async () => {
    const res = await postBooking(
      api.app,
      bookingBody({
        customerId: 'text-operator',
        flight: { date: daysFromNow(41) },
        hotel: { checkIn: daysFromNow(41) },
        card: CARDS.declined,
        faults: { cancelHotel: 'fail' },
      }),
    );
    const id = (res.body as BookingView).bookingId;
    const waiting = await waitForBooking(
      api.app,
      id,
      (v) => v.status === 'COMPENSATION_FAILED' && v.source === 'workflow',
    );
    const calls = updates();

    for (const c of CORPUS) {
      for (const note of [c, `refunded${c}by hand`, `ok\n${c}`]) {
        const refused = await request(api.app).post(`/bookings/${id}/compensation/resolve`).send({ note });
        expectValidation(refused, { 'body.note': 'control characters' });
        expectConforms(refused, 'POST', '/bookings/{id}/compensation/resolve');
      }
    }
    expectValidation(await request(api.app).post(`/bookings/${id}/compensation/resolve`).send({ note: 'a\r\nb' }), {
      'body.note': 'control characters',
    });

    expect(updates(), 'no Update was sent').toBe(calls);
    expect(await getBooking(api.app, id)).toMatchObject({ status: 'COMPENSATION_FAILED', version: waiting.version });
    expect(await acceptedUpdates(id)).not.toContain('resolveCompensation');

    const note = 'hotel undone by phone\n\tticket 4711 ✅';
    const resolved = await request(api.app).post(`/bookings/${id}/compensation/resolve`).send({ note });
    expect(resolved.status, resolved.text).toBe(202);
    const closed = await waitForBooking(api.app, id);
    expect(closed).toMatchObject({ status: 'FAILED', resolution: { note } });
    // The note reached the read model as written.
    const row = await h.tdb.db.booking.findUnique({ where: { id }, select: { state: true } });
    expect((row?.state as unknown as BookingView).resolution?.note).toBe(note);
  });
});

/** Each string field of POST /bookings, and a valid value of it with `c` inside. */
const BOOKING_FIELDS: [string, (body: ReturnType<typeof bookingBody> & Record<string, unknown>, c: string) => void][] =
  [
    ['body.customerId', (b, c) => (b.customerId = `cust${c}x`)],
    ['body.flight.flightNumber', (b, c) => (b.flight.flightNumber = `TB${c}100`)],
    ['body.flight.date', (b, c) => (b.flight.date = `${daysFromNow(7)}${c}`)],
    ['body.flight.seatPreference', (b, c) => ((b.flight as Record<string, unknown>).seatPreference = `window${c}`)],
    ['body.hotel.hotelId', (b, c) => (b.hotel.hotelId = `HTL-TOKYO${c}-SHINJUKU`)],
    ['body.hotel.checkIn', (b, c) => (b.hotel.checkIn = `${c}${daysFromNow(7)}`)],
    ['body.payment.card.number', (b, c) => (b.payment.card.number = `4242424242424242${c}`)],
    ['body.payment.card.cvc', (b, c) => (b.payment.card.cvc = `12${c}3`)],
    ['body.faults.reserveFlight', (b, c) => (b.faults = { reserveFlight: `transient:1${c}` })],
  ];

describe('every string of POST /bookings', () => {
  test.each(BOOKING_FIELDS)(
    '%s: each of the corpus is refused naming it; no key, row or workflow',
    async (path, edit) => {
      const rows = await writtenRows(h.tdb.dbs);
      for (const c of CORPUS) {
        const body = bookingBody({ customerId: 'test-operator' }) as ReturnType<typeof bookingBody> &
          Record<string, unknown>;
        edit(body, c);
        const key = randomUUID();
        const res = await request(api.app).post('/bookings').set('Idempotency-Key', key).send(body);
        expectValidation(res, { [path]: undefined });
        expectConforms(res, 'POST', '/bookings');
        expect(await h.tdb.db.idempotencyKey.count({ where: { key } }), `${path} ${named(c)}`).toBe(0);
      }
      expect(await writtenRows(h.tdb.dbs)).toEqual(rows);
      expect(api.logs()).not.toContain('"started":true');
    },
  );
});

describe('query strings and path IDs', () => {
  test.each([
    ['/bookings', 'customerId', (c: string) => `cust${c}x`],
    ['/bookings', 'cursor', (c: string) => `1700000000000.abc${c}`],
    ['/bookings', 'status', (c: string) => `HELD${c}`],
    ['/flights', 'flightNumber', (c: string) => `TB${c}100`],
    ['/flights', 'date', (c: string) => `${daysFromNow(7)}${c}`],
  ])('GET %s?%s=… refuses each of the corpus naming the parameter', async (path, name, value) => {
    for (const c of CORPUS) {
      const res = await request(api.app).get(`${path}?${name}=${inUrl(value(c))}`);
      expectValidation(res, { [`query.${name}`]: undefined });
      expectConforms(res, 'GET', path);
    }
  });

  test.each([
    ['get', '', '/bookings/{id}'],
    ['post', '/cancel', '/bookings/{id}/cancel'],
    ['post', '/compensation/resolve', '/bookings/{id}/compensation/resolve'],
  ] as const)('%s /bookings/<id with the corpus>%s refuses each naming path.id', async (method, suffix, template) => {
    const calls = updates();
    for (const c of CORPUS) {
      const req = request(api.app)[method](`/bookings/${inUrl(`abc${c}def`)}${suffix}`);
      const res = await (method === 'post' ? req.send(suffix.endsWith('resolve') ? { note: 'n' } : {}) : req);
      expectValidation(res, { 'path.id': undefined });
      expectConforms(res, method, template);
    }
    expect(updates()).toBe(calls);
  });
});

describe('the Idempotency-Key header, as raw bytes on the wire', () => {
  let server: Server;
  let port: number;
  let token: string;
  beforeAll(async () => {
    token = await api.identity.operator();
    server = createServer(api.rawApp);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** One HTTP/1.1 request whose Idempotency-Key is `key`'s UTF-8 (CESU-8 for a lone surrogate) bytes; its status line and body. */
  function postRaw(key: string): Promise<{ status: number; body: string }> {
    const body = JSON.stringify(bookingBody({ customerId: 'test-operator' }));
    const bytes = Buffer.concat([
      Buffer.from(
        `POST /bookings HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nIdempotency-Key: `,
        'latin1',
      ),
      wireBytes(key),
      Buffer.from(`\r\n\r\n${body}`, 'latin1'),
    ]);
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('error', reject);
      socket.on('close', () =>
        resolve({
          status: Number(/^HTTP\/1\.1 ([0-9]{3})/.exec(text)?.[1] ?? 0),
          body: text.slice(text.indexOf('\r\n\r\n') + 4),
        }),
      );
    });
  }

  test('each of the corpus in the key: 400 (naming the header when it reaches the app), no key row, no booking', async () => {
    const rows = await writtenRows(h.tdb.dbs);
    const keys = await h.tdb.db.idempotencyKey.count();
    for (const c of CORPUS) {
      const { status, body } = await postRaw(`key${c}1`);
      expect(status, `${named(c)}: ${body}`).toBe(400);
      // Node's HTTP parser refuses most control bytes in a header before the app sees the request;
      // what it lets through (bytes of 0x80 and over) the app refuses by the key's pattern.
      if (body.startsWith('{'))
        expect(JSON.parse(body)).toMatchObject({
          error: { code: 'validation_failed', details: [{ path: 'header.Idempotency-Key' }] },
        });
    }
    expect(await h.tdb.db.idempotencyKey.count()).toBe(keys);
    expect(await writtenRows(h.tdb.dbs)).toEqual(rows);
  });
});
