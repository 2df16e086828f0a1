// Limits on abuse: POST /bookings, the actions and the reads per customer, refused calls per IP;
// over a limit a 429 with Retry-After and the API's error shape, and nothing done.
import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bearer } from '../helpers/identity.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import { bookingBody, expectConforms, expectError, poll } from './support.ts';

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await createApiHarness('api_rate_limits');
  api = await startApi(h, { rateLimits: { windowMs: 60_000, bookings: 2, actions: 2, anonymous: 3, reads: 6 } });
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

const { customerId: _c, ...body } = bookingBody();

describe('rate limits', () => {
  test('POST /bookings: the third in a window from one customer is 429 (Retry-After, nothing written); another customer is not affected', async () => {
    const [A, B] = await Promise.all([api.identity.customer('limited-a'), api.identity.customer('limited-b')]);
    for (let i = 0; i < 2; i++)
      expect((await request(api.rawApp).post('/bookings').set(bearer(A)).send(body)).status).toBe(201);
    const over = await request(api.rawApp).post('/bookings').set(bearer(A)).send(body);
    expectError(over, 429, 'rate_limited');
    expectConforms(over, 'POST', '/bookings');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Two bookings of A's, not three: the third started nothing.
    await poll(
      () => h.tdb.db.booking.count({ where: { customerId: 'limited-a' } }),
      (n) => n === 2,
      { what: "A's two bookings in the read model" },
    );
    await delay(500);
    expect(await h.tdb.db.booking.count({ where: { customerId: 'limited-a' } })).toBe(2);
    expect((await request(api.rawApp).post('/bookings').set(bearer(B)).send(body)).status).toBe(201);
    // Reads are counted apart from bookings.
    for (let i = 0; i < 5; i++) expect((await request(api.rawApp).get('/bookings').set(bearer(A))).status).toBe(200);
  });

  test('actions: the third cancel in a window from one customer is 429 (every answer counts, a 404 too)', async () => {
    const C = await api.identity.customer('limited-c');
    const ghost = '00000000-0000-4000-8000-000000000000';
    for (let i = 0; i < 2; i++)
      expectError(
        await request(api.rawApp).post(`/bookings/${ghost}/cancel`).set(bearer(C)).send({}),
        404,
        'not_found',
      );
    const over = await request(api.rawApp).post(`/bookings/${ghost}/cancel`).set(bearer(C)).send({});
    expectError(over, 429, 'rate_limited');
    expectConforms(over, 'POST', '/bookings/{id}/cancel');
    // Another customer's actions are counted apart.
    expectError(
      await request(api.rawApp)
        .post(`/bookings/${ghost}/cancel`)
        .set(bearer(await api.identity.customer('limited-d')))
        .send({}),
      404,
      'not_found',
    );
  });

  test('reads: GET of a booking, the list and stream opens share one budget per customer; past it 429, no Temporal call', async () => {
    const [R, S] = await Promise.all([
      api.identity.customer('limited-reads'),
      api.identity.customer('limited-reads-other'),
    ]);
    const created = await request(api.rawApp).post('/bookings').set(bearer(R)).set('Prefer', 'wait=10').send(body);
    expect(created.status, created.text).toBe(201);
    const id = (created.body as { bookingId: string }).bookingId;
    const get = () => request(api.rawApp).get(`/bookings/${id}`).set(bearer(R));
    const events = () => request(api.rawApp).get(`/bookings/${id}/events`).set(bearer(R)).timeout(10_000);
    const list = () => request(api.rawApp).get('/bookings').set(bearer(R));
    // Six reads in the window: two of each kind (the booking is CONFIRMED: each stream ends at once).
    for (const read of [get, list, events, get, list, events]) expect((await read()).status).toBe(200);
    const calls = JSON.stringify(api.temporalCalls());
    for (const [read, path] of [
      [get, '/bookings/{id}'],
      [list, '/bookings'],
      [events, '/bookings/{id}/events'],
    ] as const) {
      const over = await read();
      expectError(over, 429, 'rate_limited');
      expectConforms(over, 'GET', path);
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(JSON.stringify(api.temporalCalls())).toBe(calls);
    // Another customer's reads are counted apart.
    expect((await request(api.rawApp).get('/bookings').set(bearer(S))).status).toBe(200);
  });

  test('without an accepted token: refused calls count per IP, the fourth is 429; a valid token from the same address still passes', async () => {
    for (let i = 0; i < 3; i++)
      expectError(
        await request(api.rawApp).post('/bookings').set(bearer('forged.token.here')).send(body),
        401,
        'invalid_token',
      );
    const over = await request(api.rawApp).post('/bookings').send(body);
    expectError(over, 429, 'rate_limited');
    expect(over.headers['retry-after']).toBeDefined();
    expectError(await request(api.rawApp).get('/bookings'), 429, 'rate_limited'); // any /bookings route
    // Someone else's bad tokens never hold up a good one behind the same address (a proxy, a NAT).
    const good = await api.identity.devIssuer.mint('rate-good-customer');
    expect((await request(api.rawApp).get('/bookings').set(bearer(good))).status).toBe(200);
  });
});
