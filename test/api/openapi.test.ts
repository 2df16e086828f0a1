// GET /openapi.json describes the API the app serves: every response has a schema, and the real
// responses validate against it. GET /docs serves Swagger UI from local assets.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CURSOR_PATTERN } from '../../src/api/bookings/cursor.ts';
import { openApiDocument } from '../../src/api/http/openapi.ts';
import { FAULT_MODE_PATTERN, bookingRequestSchema } from '../../src/api/bookings/request.ts';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { parseFault } from '../../src/booking/faults.ts';
import { CARDS, daysFromNow } from '../helpers/booking.ts';
import { step } from '../helpers/steps.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import {
  bookingBody,
  doc,
  expectConforms,
  expectError,
  expectSchema,
  expectValidation,
  pageOf,
  postBooking,
  readEvents,
  schemaAccepts,
  waitForBooking,
} from './support.ts';

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await createApiHarness('api_openapi');
  api = await startApi(h);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

type Operation = {
  parameters?: { name: string; in: string; required?: boolean; schema?: object }[];
  requestBody?: { content: Record<string, { schema?: object }> };
  responses: Record<
    string,
    { description?: string; content?: Record<string, { schema?: { $ref?: string }; itemSchema?: object }> }
  >;
};
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function operations(document: typeof doc): [string, string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => [path, method, op as unknown as Operation] as [string, string, Operation]),
  );
}

describe('the document', () => {
  test('GET /openapi.json: OpenAPI 3.1.0, the document the app generates', async () => {
    const res = await request(api.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.body as { openapi: string; info: unknown; paths: object };
    expect(body.openapi).toBe('3.1.0');
    expect(body.info).toMatchObject({ title: expect.any(String) as unknown, version: expect.any(String) as unknown });
    expect(body).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(Object.keys(body.paths).sort()).toEqual([
      '/bookings',
      '/bookings/{id}',
      '/bookings/{id}/cancel',
      '/bookings/{id}/compensation/resolve',
      '/bookings/{id}/compensation/retry',
      '/bookings/{id}/confirm',
      '/bookings/{id}/events',
      '/bookings/{id}/hold/extend',
      '/flights',
      '/healthz',
      '/hotels',
    ]);
  });

  test('every response of every operation has content with a schema, and every $ref resolves', () => {
    const ops = operations(doc);
    expect(ops.length).toBe(12);
    const missing: string[] = [];
    const refs: string[] = [];
    for (const [path, method, op] of ops) {
      expect(Object.keys(op.responses).length, `${method} ${path}`).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(typeof response.description, `${method} ${path} ${status} description`).toBe('string');
        const media = Object.entries(response.content ?? {});
        if (media.length === 0) missing.push(`${method} ${path} ${status}: no content`);
        for (const [type, { schema: whole, itemSchema }] of media) {
          // An event stream is described event by event (OpenAPI 3.2's itemSchema).
          const schema = type === 'text/event-stream' ? (itemSchema as { $ref?: string } | undefined) : whole;
          if (!schema || (typeof schema === 'object' && Object.keys(schema).length === 0))
            missing.push(`${method} ${path} ${status} ${type}: no schema`);
          if (schema?.$ref) refs.push(schema.$ref);
        }
        // Errors are the one Error shape (a degraded /healthz answers with its Health report).
        if (Number(status) >= 400 && path !== '/healthz')
          expect(response.content?.['application/json']?.schema, `${method} ${path} ${status}`).toEqual({
            $ref: '#/components/schemas/Error',
          });
      }
    }
    expect(doc.paths['/healthz']!.get!.responses['503']!.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/Health',
    });
    expect(missing).toEqual([]);
    const all = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of [...refs, ...all.map((r) => r.slice(8, -1))]) {
      expect(ref).toMatch(/^#\/components\/schemas\/\w+$/);
      expect(doc.components.schemas[ref.split('/').at(-1)!], ref).toBeDefined();
    }
    // Every operation on a booking documents its ID parameter, and its 404.
    for (const [path, method, op] of ops.filter(([p]) => p.includes('{id}'))) {
      expect(
        op.parameters?.find((p) => p.name === 'id'),
        `${method} ${path}`,
      ).toMatchObject({ in: 'path', required: true });
      expect(op.responses['404'], `${method} ${path}`).toBeDefined();
      expect(op.responses['400'], `${method} ${path}`).toBeDefined();
    }
  });

  test('every documented operation is a route of the app (none answers route_not_found)', async () => {
    for (const [path, method] of operations(doc)) {
      const url = path.replace('{id}', '00000000-0000-4000-8000-000000000000');
      const req = request(api.app)[method as 'get' | 'post'](url);
      const res = path.endsWith('/events') ? await req.timeout(5_000) : await req.send({});
      expect((res.body as { error?: { code?: string } })?.error?.code, `${method} ${path}`).not.toBe('route_not_found');
    }
  });

  test('the request schema agrees with the validation: what the API accepts it accepts, and what it refuses it refuses', async () => {
    const good = bookingBody({ faults: { reserveHotel: 'transient:2' } });
    expect(schemaAccepts('BookingRequest', good)).toBe(true);
    for (const bad of [
      { ...good, extra: 1 },
      { ...good, flight: { ...good.flight, seats: 10 } },
      { ...good, hotel: { ...good.hotel, rooms: 0 } },
      { ...good, payment: { card: { ...good.payment.card, cvc: '12' } } },
      { ...good, customerId: 'has space' },
      { ...good, flight: { ...good.flight, date: '2027/01/01' } },
    ]) {
      expect(schemaAccepts('BookingRequest', bad), JSON.stringify(bad)).toBe(false);
      expect((await request(api.app).post('/bookings').send(bad)).status).toBe(400);
    }
  });
});

describe("links from POST /bookings' answer to the operations that take its ID", () => {
  type Link = { operationId: string; parameters: Record<string, string> };
  const byOperationId = () =>
    new Map(
      operations(doc).map(([path, method, op]) => [(op as { operationId?: string }).operationId, { path, method }]),
    );
  const linksOf = (status: string) =>
    (doc.paths['/bookings']!.post!.responses[status] as unknown as { links?: Record<string, Link> }).links ?? {};
  const takesAnId = operations(doc)
    .filter(([path]) => path.includes('{id}'))
    .map(([path, method]) => `${method} ${path}`);

  test('201 and 200 each link to every operation on /bookings/{id}, by an operationId the document declares, with id from the body', () => {
    const ids = operations(doc).map(([, , op]) => (op as { operationId?: string }).operationId);
    expect(ids.filter(Boolean).length).toBe(new Set(ids.filter(Boolean)).size); // unique
    const targets = byOperationId();
    for (const status of ['201', '200']) {
      const links = Object.values(linksOf(status));
      const reached = links.map((link) => {
        const target = targets.get(link.operationId);
        expect(target, `${status} → ${link.operationId}`).toBeDefined();
        expect(link.parameters).toEqual({ id: '$response.body#/bookingId' });
        return `${target!.method} ${target!.path}`;
      });
      expect(reached.sort(), status).toEqual([...takesAnId].sort());
    }
    // The expression names a field every Booking has.
    expect((doc.components.schemas.Booking as { required: string[] }).required).toContain('bookingId');
  });

  test("followed on a real answer, every link reaches its operation's logic (no 404)", async () => {
    const created = await postBooking(api.app, bookingBody({ customerId: 'doc-links' }));
    const answer = created.body as Record<string, unknown>;
    await waitForBooking(api.app, answer.bookingId as string);
    const targets = byOperationId();
    const bodies: Record<string, object> = {
      confirmBooking: { payment: { card: CARDS.good } },
      extendHold: { minutes: 30 },
      resolveCompensation: { note: 'links' },
      cancelBooking: {},
    };
    const links = Object.values(linksOf('201'));
    expect(links).toHaveLength(takesAnId.length);
    for (const link of links) {
      // '$response.body#/bookingId': a JSON pointer into the answer's body.
      const id = answer[link.parameters.id!.split('#/')[1]!] as string;
      const { path, method } = targets.get(link.operationId)!;
      const url = path.replace('{id}', id);
      const res =
        method === 'get'
          ? await request(api.app).get(url).timeout(10_000)
          : await request(api.app).post(url).send(bodies[link.operationId]);
      // A CONFIRMED booking: read, streamed to its end, and every action refused as the state says.
      expect(res.status, `${link.operationId} ${url}: ${JSON.stringify(res.body)}`).toBe(method === 'get' ? 200 : 409);
      expectConforms(res, method.toUpperCase(), path);
    }
  });
});

describe('real responses validate against the document', () => {
  test('bookings: 201, 200, 202, 400, 404, 409, 413, 422; list, events', async () => {
    const body = bookingBody({ customerId: 'doc' });
    const created = await postBooking(api.app, body, 'doc-key');
    expectConforms(created, 'POST', '/bookings');
    const id = (created.body as BookingView).bookingId;
    const repeat = await request(api.app).post('/bookings').set('Idempotency-Key', 'doc-key').send(body);
    expect(repeat.status).toBe(200);
    expectConforms(repeat, 'POST', '/bookings');
    const reused = await request(api.app)
      .post('/bookings')
      .set('Idempotency-Key', 'doc-key')
      .send({ ...body, customerId: 'doc2' });
    expectError(reused, 422, 'idempotency_key_reused');
    expectConforms(reused, 'POST', '/bookings');
    const invalid = await request(api.app)
      .post('/bookings')
      .send({ ...body, flight: { ...body.flight, seats: 0 } });
    expectError(invalid, 400, 'validation_failed');
    expectConforms(invalid, 'POST', '/bookings');
    const tooBig = await request(api.app)
      .post('/bookings')
      .send({ ...body, customerId: 'x'.repeat(20_000) });
    expectError(tooBig, 413, 'payload_too_large');
    expectConforms(tooBig, 'POST', '/bookings');

    const live = await request(api.app).get(`/bookings/${id}`);
    expect(live.status).toBe(200);
    expectConforms(live, 'GET', '/bookings/{id}');
    await waitForBooking(api.app, id);
    const closed = await request(api.app).get(`/bookings/${id}`);
    expect(closed.body).toMatchObject({ status: 'CONFIRMED', source: 'read-model' });
    expectConforms(closed, 'GET', '/bookings/{id}');
    const events = await request(api.app).get(`/bookings/${id}/events`);
    expectConforms(events, 'GET', '/bookings/{id}/events');
    // Each event is one of the itemSchema's variants, and a booking event's data is a Booking.
    const variants = (
      doc.paths['/bookings/{id}/events']!.get!.responses['200']!.content!['text/event-stream'] as unknown as {
        itemSchema: { oneOf: { properties: { event: { const: string } }; required: string[] }[] };
      }
    ).itemSchema.oneOf;
    const stream = (await readEvents(api.app, id)).events;
    expect(stream.map((e) => e.event)).toEqual(['booking', 'end']);
    for (const event of stream) {
      const variant = variants.find((v) => v.properties.event.const === event.event);
      expect(variant, event.event).toBeDefined();
      expect(Object.keys(event)).toEqual(expect.arrayContaining(variant!.required));
      if (event.event === 'booking') expectSchema('Booking', JSON.parse(event.data));
      else expect(JSON.parse(event.data)).toEqual({ status: 'CONFIRMED' });
    }
    expectConforms(
      await request(api.app).get('/bookings/00000000-0000-4000-8000-000000000000'),
      'GET',
      '/bookings/{id}',
    );

    const conflict = await request(api.app).post(`/bookings/${id}/cancel`).send({});
    expectError(conflict, 409, 'conflict');
    expectConforms(conflict, 'POST', '/bookings/{id}/cancel');

    // A booking to cancel: the payment keeps failing for a while, so it is still running.
    const slow = await postBooking(
      api.app,
      bookingBody({ customerId: 'doc', card: CARDS.good, faults: { chargePayment: 'transient:3' } }),
    );
    const slowId = (slow.body as BookingView).bookingId;
    await waitForBooking(api.app, slowId, (v) => step(v, 'payment').live !== undefined);
    const withLive = await request(api.app).get(`/bookings/${slowId}`);
    expect(step(withLive.body as BookingView, 'payment').live).toBeDefined();
    expectConforms(withLive, 'GET', '/bookings/{id}');
    const accepted = await request(api.app).post(`/bookings/${slowId}/cancel`).send({ reason: 'docs' });
    expect(accepted.status).toBe(202);
    expectConforms(accepted, 'POST', '/bookings/{id}/cancel');
    const refused = await request(api.app).post(`/bookings/${slowId}/compensation/retry`);
    expectConforms(refused, 'POST', '/bookings/{id}/compensation/retry');
    const cancelled = await waitForBooking(api.app, slowId);
    expect(cancelled.status).toBe('CANCELLED');
    expectConforms(await request(api.app).get(`/bookings/${slowId}`), 'GET', '/bookings/{id}');

    const list = await request(api.app).get('/bookings').query({ limit: 1 });
    expect(pageOf(list).items).toHaveLength(1);
    expect(pageOf(list).nextCursor).toEqual(expect.any(String));
    expectConforms(list, 'GET', '/bookings');
    expectConforms(await request(api.app).get('/bookings').query({ limit: 0 }), 'GET', '/bookings');
  });

  test('inventory and health', async () => {
    const flights = await request(api.app).get('/flights');
    expect(pageOf(flights).items.length).toBeGreaterThan(0);
    expectConforms(flights, 'GET', '/flights');
    expectConforms(await request(api.app).get('/flights').query({ date: 'soon' }), 'GET', '/flights');
    const hotels = await request(api.app).get('/hotels');
    expect(pageOf(hotels).items.length).toBe(4);
    expectConforms(hotels, 'GET', '/hotels');
    const health = await request(api.app).get('/healthz');
    expect(health.status).toBe(200);
    expectConforms(health, 'GET', '/healthz');
  });
});

// The body parser answers 413 and 415 on every route that takes a body; each documents them.
test('a body too large or in an unsupported encoding on an action is an error the document describes', async () => {
  const id = '00000000-0000-4000-8000-000000000000';
  for (const template of [
    '/bookings/{id}/cancel',
    '/bookings/{id}/compensation/resolve',
    '/bookings/{id}/compensation/retry',
  ]) {
    const url = template.replace('{id}', id);
    const big = await request(api.app)
      .post(url)
      .send({ reason: 'x'.repeat(20_000) });
    expectError(big, 413, 'payload_too_large');
    expectConforms(big, 'POST', template);
    const encoded = await request(api.app)
      .post(url)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'x-squeeze')
      .send('{}');
    expectError(encoded, 415, 'unsupported_encoding');
    expectConforms(encoded, 'POST', template);
  }
});

describe('GET /docs', () => {
  test('serves Swagger UI, whose assets are served locally', async () => {
    const res = await request(api.app).get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('/docs/assets/swagger-ui-bundle.js');
    const srcs = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(srcs).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui-bundle.js', '/docs/init.js']));
    for (const src of srcs) {
      const asset = await request(api.app).get(src);
      expect(asset.status, src).toBe(200);
      if (src.endsWith('.js')) expect(asset.headers['content-type'], src).toMatch(/javascript/);
      if (src.endsWith('.css')) expect(asset.headers['content-type'], src).toMatch(/text\/css/);
    }
    const bundle = await request(api.app).get('/docs/assets/swagger-ui-bundle.js');
    expect(bundle.text.length).toBeGreaterThan(100_000);
    const init = await request(api.app).get('/docs/init.js');
    expect(init.text).toContain('/openapi.json');
    expectError(await request(api.app).get('/docs/assets/no-such-file.js'), 404, 'route_not_found');
  });
});

describe('the document says exactly what the API accepts', () => {
  const op = (path: string, method: string) => doc.paths[path]![method] as unknown as Operation;
  const param = (path: string, name: string) =>
    op(path, 'get').parameters!.find((p) => p.name === name)!.schema as Record<string, unknown>;

  test('an undeclared method on a documented path: 405, an Allow header from the document, the error shape', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const undeclared = ['put', 'post', 'delete', 'patch', 'trace', 'get'];
    let checked = 0;
    for (const [template, item] of Object.entries(doc.paths)) {
      const declared = Object.keys(item);
      const allow = [...declared, ...(declared.includes('get') ? ['head'] : []), 'options'].map((m) => m.toUpperCase());
      for (const method of undeclared.filter((m) => !declared.includes(m))) {
        const res = await request(api.app)[method as 'put'](template.replace('{id}', id));
        expectError(res, 405, 'method_not_allowed');
        expect(res.headers.allow, `${method} ${template}`).toBe(allow.join(', '));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
    // TRACE /bookings, as the fuzzer sent it; any case and a trailing slash are the same path to Express.
    const trace = await request(api.app).trace('/Bookings/');
    expectError(trace, 405, 'method_not_allowed');
    expect(trace.headers.allow).toBe('POST, GET, HEAD, OPTIONS');
    // Without a token too: a method no one may use is refused as such, before any 401.
    expectError(await request(api.rawApp).trace('/bookings'), 405, 'method_not_allowed');
    // A malformed ID on an undeclared method: the method is what is wrong.
    expect((await request(api.app).delete('/bookings/not.an.id')).status).toBe(405);
    // A path the document does not know is still a 404.
    expectError(await request(api.app).delete('/nowhere'), 404, 'route_not_found');
    // Every method the Allow header names is routed (none answers 405 or route_not_found).
    for (const method of trace.headers.allow!.split(', ')) {
      const res = await request(api.app)[method.toLowerCase() as 'get']('/bookings');
      expect(res.status, method).not.toBe(405);
      expect(res.status, method).not.toBe(404);
    }
  });

  test('GET /flights: date is format: date, and the API takes every real calendar date and refuses the rest', async () => {
    expect(param('/flights', 'date')).toMatchObject({ type: 'string', format: 'date' });
    for (const date of ['2024-02-29', '0001-01-01', '9999-12-31', daysFromNow(400)]) {
      expect((await request(api.app).get('/flights').query({ date })).status, date).toBe(200);
    }
    for (const date of ['0000-00-00', '2023-02-29', '2027-04-31', '2027-00-10', '27-01-01']) {
      expectValidation(await request(api.app).get('/flights').query({ date }), { 'query.date': 'date' });
    }
  });

  test('GET /bookings: the cursor has a documented pattern; a well-formed cursor no page gave out answers a page, a malformed one 400', async () => {
    expect(param('/bookings', 'cursor')).toMatchObject({ type: 'string', pattern: CURSOR_PATTERN.source });
    const page = await request(api.app).get('/bookings').query({ limit: 1 });
    const next = pageOf(page).nextCursor!;
    expect(next).toMatch(CURSOR_PATTERN);
    const after = await request(api.app).get('/bookings').query({ limit: 1, cursor: next });
    expect(after.status).toBe(200);
    expect(pageOf(after).items[0]?.bookingId).not.toBe(pageOf(page).items[0]?.bookingId);
    // Before 1970: nothing is older, so the page is empty.
    const none = await request(api.app).get('/bookings').query({ cursor: '0000000000000.zzz' });
    expect(pageOf(none)).toEqual({ items: [], nextCursor: null });
    expectConforms(none, 'GET', '/bookings');
    // After every booking: the newest first.
    const all = await request(api.app).get('/bookings').query({ cursor: '9999999999999.zzz', limit: 100 });
    expect(pageOf(all).items.length).toBe(
      pageOf(await request(api.app).get('/bookings').query({ limit: 100 })).items.length,
    );
    for (const cursor of ['garbage', `${next}x!`, '123.abc', 'WyIyMDI3LTAxLTAxVDAwOjAwOjAwLjAwMFoiLCJhIl0']) {
      const bad = await request(api.app).get('/bookings').query({ cursor });
      expectValidation(bad, { 'query.cursor': undefined });
      expectConforms(bad, 'GET', '/bookings');
    }
  });

  test('POST /bookings/{id}/compensation/resolve requires a body; cancel does not', async () => {
    expect(op('/bookings/{id}/compensation/resolve', 'post').requestBody).toMatchObject({ required: true });
    expect(op('/bookings/{id}/cancel', 'post').requestBody).toMatchObject({ required: false });
    const none = await request(api.app).post('/bookings/00000000-0000-4000-8000-000000000000/compensation/resolve');
    expectValidation(none, { 'body.note': undefined });
    expectConforms(none, 'POST', '/bookings/{id}/compensation/resolve');
  });

  test('travel dates: the pattern matches exactly the days the API accepts, and moves with the day', () => {
    const schemas = openApiDocument().components as {
      schemas: Record<string, { properties: Record<string, { properties: Record<string, { pattern: string }> }> }>;
    };
    const request = schemas.schemas.BookingRequest!;
    const pattern = new RegExp(request.properties.flight!.properties.date!.pattern);
    expect(request.properties.hotel!.properties.checkIn!.pattern).toBe(pattern.source);
    const body = bookingBody();
    for (let day = -3; day <= 368; day++) {
      const date = daysFromNow(day);
      const accepted = bookingRequestSchema.safeParse({ ...body, flight: { ...body.flight, date } }).success;
      expect(pattern.test(date), date).toBe(accepted);
      expect(accepted, date).toBe(day >= 0 && day <= 365);
    }
    for (const bad of ['2027-02-29', '2027-02-30', `${daysFromNow(7)}\n`]) expect(pattern.test(bad), bad).toBe(false);
    const tomorrow = openApiDocument({ now: Date.now() + 86_400_000 }).components as typeof schemas;
    const moved = new RegExp(tomorrow.schemas.BookingRequest!.properties.flight!.properties.date!.pattern);
    expect(moved.test(daysFromNow(0))).toBe(false);
    expect(moved.test(daysFromNow(366))).toBe(true);
  });

  test('fault modes: the pattern is parseFault, spelled as a regex', () => {
    const modes = [
      'fail',
      'timeout',
      'FAIL',
      'transient',
      'transient:0',
      'transient:1',
      'transient:99',
      'transient:100',
      'timeout:0',
      'timeout:7',
      'timeout:x',
      'outage:',
      'outage:0s',
    ];
    for (const unit of ['ms', 's', 'm', 'h', 'd']) {
      for (const n of [
        1, 9, 10, 29, 30, 31, 99, 100, 719, 720, 721, 999, 9999, 10000, 43199, 43200, 43201, 99999, 100000,
      ])
        modes.push(`outage:${n}${unit}`);
      modes.push(`outage:0${unit}`, `outage:01${unit}`);
    }
    for (const mode of modes) expect(FAULT_MODE_PATTERN.test(mode), mode).toBe(parseFault(mode) !== undefined);
  });

  test('card numbers are format: luhn; expYear is YY or YYYY as anyOf; without fault injection there is no faults field', () => {
    const card = (
      doc.components.schemas.BookingRequest as {
        properties: { payment: { properties: { card: { properties: Record<string, object> } } } };
      }
    ).properties.payment.properties.card.properties;
    expect(card.number).toMatchObject({ type: 'string', pattern: '^[0-9]{12,19}$', format: 'luhn' });
    expect(card.expYear).toMatchObject({
      anyOf: [
        { minimum: 0, maximum: 99 },
        { minimum: 2000, maximum: 2099 },
      ],
    });
    expect(schemaAccepts('BookingRequest', bookingBody({ card: { number: '4242424242424241' } }))).toBe(false);
    const off = openApiDocument({ faultInjection: false }).components as {
      schemas: { BookingRequest: { properties: object } };
    };
    expect(Object.keys(off.schemas.BookingRequest.properties)).toEqual([
      'customerId',
      'flight',
      'hotel',
      'payment',
      'hold',
    ]);
    expect(Object.keys(doc.components.schemas.BookingRequest!.properties as object)).toContain('faults');
  });
});
