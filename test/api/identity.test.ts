// Who may do what: bad tokens are refused before anything happens; anonymous callers, two
// customers and an operator against every route; the caller recorded in the saga; and an identity
// provider of the test's own (a JWKS over HTTP, keys made at run time, a rotation).
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../../src/api/http/app.ts';
import { localVerifier, OPERATOR_SCOPE, remoteVerifier } from '../../src/api/identity/auth.ts';
import { DEV_AUDIENCE, DEV_ISSUER, identityFor } from '../../src/api/identity/dev-issuer.ts';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { workflowIdFor } from '../../src/booking/booking.ts';
import { CARDS, VAULT_KEY, daysFromNow } from '../helpers/booking.ts';
import { bearer, callingAs, TEST_RATE_LIMITS } from '../helpers/identity.ts';
import { capturingLogger } from '../helpers/log.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import {
  bookingBody,
  expectConforms,
  expectError,
  pageOf,
  poll,
  readEvents,
  waitForBooking,
  writtenRows,
} from './support.ts';

let h: ApiHarness;
let api: RunningApi;
let A: string; // customer cust-a
let B: string; // customer cust-b
let OP: string; // operator op-17
beforeAll(async () => {
  h = await createApiHarness('api_identity');
  api = await startApi(h);
  [A, B, OP] = await Promise.all([
    api.identity.customer('cust-a'),
    api.identity.customer('cust-b'),
    api.identity.operator('op-17'),
  ]);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

const body = (day: number, extra: Parameters<typeof bookingBody>[0] = {}) => {
  const { customerId: _c, ...rest } = bookingBody({
    flight: { flightNumber: 'TB300', date: daysFromNow(day) },
    hotel: { hotelId: 'HTL-SEOUL-MYEONGDONG', checkIn: daysFromNow(day), nights: 1 },
    ...extra,
  });
  return extra.customerId ? { ...rest, customerId: extra.customerId } : rest;
};
const as = (token: string | undefined) => (token ? bearer(token) : {});

async function keyRows() {
  return h.tdb.db.idempotencyKey.count();
}

describe('bad tokens on POST /bookings: 401, WWW-Authenticate, nothing written, no workflow', () => {
  let other: { privateKey: CryptoKey; jwk: JWK };
  let devKid: string;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    other = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
    devKid = (JSON.parse(Buffer.from(A.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
  });
  /** A token signed with `other`'s key; `exp: null` leaves the expiry out. */
  const sign = (
    claims: Record<string, unknown>,
    o: { kid?: string; iss?: string; aud?: string; exp?: string | number | null; alg?: string } = {},
  ) => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: o.alg ?? 'ES256', kid: o.kid ?? devKid })
      .setIssuer(o.iss ?? DEV_ISSUER)
      .setAudience(o.aud ?? DEV_AUDIENCE)
      .setIssuedAt();
    return (o.exp === null ? jwt : jwt.setExpirationTime(o.exp ?? '1h')).sign(other.privateKey);
  };
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

  const cases: [string, () => Promise<string | undefined> | string | undefined, boolean][] = [
    ['no Authorization header', () => undefined, false],
    ['Basic credentials', () => `Basic ${Buffer.from('cust-a:pw').toString('base64')}`, true],
    ['Bearer with no token', () => 'Bearer ', true],
    ['not a JWT', () => 'Bearer not-a-jwt', true],
    ['a JWT cut short', () => `Bearer ${A.split('.').slice(0, 2).join('.')}`, true],
    ['a signature of another token', () => `Bearer ${A.split('.').slice(0, 2).join('.')}.${B.split('.')[2]}`, true],
    [
      'alg none',
      () =>
        `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'cust-a', iss: DEV_ISSUER, aud: DEV_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 3600 })}.`,
      true,
    ],
    [
      'HS256 (a shared secret)',
      async () => {
        const key = new TextEncoder().encode(JSON.stringify((await api.identity.devIssuer.mint('x')).split('.')[0]));
        const t = await new SignJWT({})
          .setProtectedHeader({ alg: 'HS256', kid: devKid })
          .setSubject('cust-a')
          .setIssuer(DEV_ISSUER)
          .setAudience(DEV_AUDIENCE)
          .setExpirationTime('1h')
          .sign(key);
        return `Bearer ${t}`;
      },
      true,
    ],
    ['expired', async () => `Bearer ${await api.identity.devIssuer.mint('cust-a', undefined, -120)}`, true],
    ['signed by a key the JWKS does not hold (same kid)', async () => `Bearer ${await sign({ sub: 'cust-a' })}`, true],
    [
      'signed by a key the JWKS does not hold (unknown kid)',
      async () => `Bearer ${await sign({ sub: 'cust-a' }, { kid: 'nope' })}`,
      true,
    ],
  ];

  test.each(cases)('%s', async (_name, header, invalidToken) => {
    const before = { rows: await writtenRows(h.tdb.dbs), keys: await keyRows() };
    const value = await header();
    const req = request(api.rawApp).post('/bookings').set('Idempotency-Key', randomUUID());
    if (value !== undefined) void req.set('Authorization', value);
    const res = await req.send(body(40));
    expectError(res, 401, invalidToken ? 'invalid_token' : 'unauthorized');
    expectConforms(res, 'POST', '/bookings');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="bookings"/);
    if (invalidToken) expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    else expect(res.headers['www-authenticate']).not.toContain('error=');
    expect(await writtenRows(h.tdb.dbs)).toEqual(before.rows);
    expect(await keyRows()).toBe(before.keys);
  });

  test('other issuer, other audience, no sub, a bad sub, expired, no exp, HS256 over the public key: 401 each, by an app that trusts the signing key (a correct token passes)', async () => {
    const trusting = createApp({
      client: h.env.client,
      dbs: h.tdb.dbs,
      config: {
        temporalUiUrl: 'http://localhost:8233',
        temporalNamespace: 'default',
        faultInjection: true,
        cardVaultKey: VAULT_KEY,
      },
      logger: capturingLogger('silent').logger,
      taskQueue: api.taskQueue,
      verifier: localVerifier(
        { keys: [{ ...other.jwk, kid: devKid, alg: 'ES256' }] },
        { issuer: DEV_ISSUER, audience: DEV_AUDIENCE },
      ),
      rateLimits: TEST_RATE_LIMITS,
    });
    const before = await writtenRows(h.tdb.dbs);
    const wrong: [string, RegExp][] = [
      [await sign({ sub: 'cust-a' }, { iss: 'https://other-issuer.example' }), /"iss"/],
      [await sign({ sub: 'cust-a' }, { aud: 'another-api' }), /"aud"/],
      [await sign({}), /"sub"/],
      [await sign({ sub: 'a b/c' }), /"sub"/],
      [await sign({ sub: 'cust-a' }, { exp: Math.floor(Date.now() / 1000) - 60 }), /expired/],
      [await sign({ sub: 'cust-a' }, { exp: null }), /"exp"/],
      // Algorithm confusion: HS256 with the trusted public key as the shared secret.
      [
        await new SignJWT({ sub: 'cust-a' })
          .setProtectedHeader({ alg: 'HS256', kid: devKid })
          .setIssuer(DEV_ISSUER)
          .setAudience(DEV_AUDIENCE)
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(JSON.stringify({ ...other.jwk, kid: devKid, alg: 'ES256' }))),
        /algorithm/,
      ],
    ];
    for (const [token, reason] of wrong) {
      const res = await request(trusting).post('/bookings').set(bearer(token)).send(body(40));
      expect(expectError(res, 401, 'invalid_token').message).toMatch(reason);
    }
    expect(await writtenRows(h.tdb.dbs)).toEqual(before);
    // The control: the same key with the right claims is accepted.
    expect(
      (
        await request(trusting)
          .get('/bookings')
          .set(bearer(await sign({ sub: 'cust-a' })))
      ).status,
    ).toBe(200);
  });

  test('an identity provider whose keys cannot be had (refused, not 200): 503, not 401, so clients keep their tokens', async () => {
    const down = createServer((_req, res) => res.writeHead(500).end('oops'));
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as { port: number }).port;
    try {
      for (const jwksUrl of [`http://127.0.0.1:${port}/jwks.json`, 'http://127.0.0.1:9/jwks.json']) {
        const app = createApp({
          client: h.env.client,
          dbs: h.tdb.dbs,
          config: {
            temporalUiUrl: 'http://localhost:8233',
            temporalNamespace: 'default',
            faultInjection: true,
            cardVaultKey: VAULT_KEY,
          },
          logger: capturingLogger('silent').logger,
          verifier: remoteVerifier({ jwksUrl, issuer: DEV_ISSUER, audience: DEV_AUDIENCE }),
          rateLimits: TEST_RATE_LIMITS,
        });
        expectError(await request(app).get('/bookings').set(bearer(A)), 503, 'temporarily_unavailable');
      }
    } finally {
      await new Promise((resolve) => down.close(resolve));
    }
  });
});

describe('every route as anonymous, customer A, customer B and an operator', () => {
  let aConfirmed: string;
  let aStuck: string;
  beforeAll(async () => {
    const created = await request(api.rawApp).post('/bookings').set(bearer(A)).send(body(41));
    expect(created.status, created.text).toBe(201);
    aConfirmed = (created.body as BookingView).bookingId;
    expect(created.body).toMatchObject({ customerId: 'cust-a' });
    const stuck = await request(api.rawApp)
      .post('/bookings')
      .set(bearer(A))
      .send(body(42, { card: CARDS.declined, faults: { cancelHotel: 'fail' } }));
    expect(stuck.status, stuck.text).toBe(201);
    aStuck = (stuck.body as BookingView).bookingId;
    await waitForBooking(api.app, aConfirmed);
    await waitForBooking(api.app, aStuck, (v) => v.status === 'COMPENSATION_FAILED');
  });

  test('reads: GET /bookings/:id, /events and the list', async () => {
    const expected: [string, string | undefined, number][] = [
      ['anonymous', undefined, 401],
      ['A', A, 200],
      ['B', B, 404],
      ['operator', OP, 200],
    ];
    for (const [who, token, status] of expected) {
      const one = await request(api.rawApp).get(`/bookings/${aConfirmed}`).set(as(token));
      expect(one.status, `${who} GET /bookings/:id ${one.text}`).toBe(status);
      expectConforms(one, 'GET', '/bookings/{id}');
      if (status === 404) expectError(one, 404, 'not_found');
      const events = await request(api.rawApp)
        .get(`/bookings/${aConfirmed}/events`)
        .set(as(token))
        .buffer(true)
        .timeout(10_000);
      expect(events.status, `${who} events`).toBe(status);
    }
    // A's own list holds only A's; B's none of A's; the operator's everyone's.
    const listOf = async (token: string, query: Record<string, string> = {}) => {
      const res = await request(api.rawApp)
        .get('/bookings')
        .query({ limit: 100, ...query })
        .set(bearer(token));
      return { res, ids: pageOf(res).items as { bookingId: string; customerId: string }[] };
    };
    const a = await listOf(A);
    expect(a.res.status).toBe(200);
    expect(a.ids.map((i) => i.bookingId).sort()).toEqual([aConfirmed, aStuck].sort());
    expect((await listOf(B)).ids.filter((i) => i.customerId !== 'cust-b')).toEqual([]);
    const op = await listOf(OP);
    expect(op.ids.map((i) => i.bookingId)).toEqual(expect.arrayContaining([aConfirmed, aStuck]));
    expect((await listOf(A, { customerId: 'cust-a' })).res.status).toBe(200);
    expectError((await listOf(B, { customerId: 'cust-a' })).res, 403, 'forbidden');
    expect((await listOf(OP, { customerId: 'cust-a' })).ids.length).toBe(2);
    expectError(await request(api.rawApp).get('/bookings'), 401, 'unauthorized');
  });

  test("the SSE stream of a customer's own booking works with their token", async () => {
    const own = await readEvents(callingAs(api.rawApp, A), aConfirmed);
    expect(own.res.status).toBe(200);
    expect(own.events.at(-1)?.event).toBe('end');
  });

  test('POST /bookings: a customer books for themself; naming another customer is 403, nothing written', async () => {
    const before = await writtenRows(h.tdb.dbs);
    for (const [token, status] of [
      [undefined, 401],
      [B, 403],
    ] as const) {
      const res = await request(api.rawApp)
        .post('/bookings')
        .set(as(token))
        .send(body(43, { customerId: 'cust-a' }));
      expect(res.status, res.text).toBe(status);
      expectConforms(res, 'POST', '/bookings');
    }
    expect(await writtenRows(h.tdb.dbs)).toEqual(before);
    const own = await request(api.rawApp)
      .post('/bookings')
      .set(bearer(B))
      .send(body(43, { customerId: 'cust-b' }));
    expect(own.status, own.text).toBe(201);
    expect(own.body).toMatchObject({ customerId: 'cust-b' });
    const onBehalf = await request(api.rawApp)
      .post('/bookings')
      .set(bearer(OP))
      .send(body(43, { customerId: 'cust-b' }));
    expect(onBehalf.status, onBehalf.text).toBe(201);
    expect(onBehalf.body).toMatchObject({ customerId: 'cust-b' });
  });

  test('cancel: anonymous 401, B 404 (nothing changes), A 202 recorded as A; a terminal booking 409 for A and the operator', async () => {
    const slow = await request(api.rawApp)
      .post('/bookings')
      .set(bearer(A))
      .send(body(44, { faults: { reserveHotel: 'transient:9' } }));
    const id = (slow.body as BookingView).bookingId;
    // Running (its worker answers Updates): the hotel step retries.
    await waitForBooking(api.app, id, (v) => v.currentStep === 'hotel');
    expectError(await request(api.rawApp).post(`/bookings/${id}/cancel`).send({}), 401, 'unauthorized');
    const byB = await request(api.rawApp).post(`/bookings/${id}/cancel`).set(bearer(B)).send({});
    expectError(byB, 404, 'not_found');
    expectConforms(byB, 'POST', '/bookings/{id}/cancel');
    expect((await request(api.rawApp).get(`/bookings/${id}`).set(bearer(A))).body).toMatchObject({
      cancelRequested: false,
    });
    const byA = await request(api.rawApp)
      .post(`/bookings/${id}/cancel`)
      .set(bearer(A))
      .send({ reason: 'plans changed' });
    expect(byA.status, byA.text).toBe(202);
    expect(byA.body).toMatchObject({ cancelRequested: true, cancelledBy: 'cust-a' });
    const done = await waitForBooking(api.app, id);
    expect(done).toMatchObject({ status: 'CANCELLED', cancelledBy: 'cust-a' });
    // The read model keeps it.
    const row = await h.tdb.db.booking.findUnique({ where: { id } });
    expect(row?.state).toMatchObject({ cancelledBy: 'cust-a' });
    for (const token of [A, OP])
      expectError(
        await request(api.rawApp).post(`/bookings/${aConfirmed}/cancel`).set(bearer(token)).send({}),
        409,
        'conflict',
      );
  });

  test('retry and resolve: anonymous 401, customers 403 (even the owner), the operator 202, recorded as the operator', async () => {
    for (const path of ['retry', 'resolve']) {
      const url = `/bookings/${aStuck}/compensation/${path}`;
      expectError(await request(api.rawApp).post(url).send({ note: 'n' }), 401, 'unauthorized');
      for (const token of [A, B]) {
        const res = await request(api.rawApp)
          .post(url)
          .set(bearer(token))
          .send(path === 'resolve' ? { note: 'n' } : {});
        expectError(res, 403, 'forbidden');
        expectConforms(res, 'POST', `/bookings/{id}/compensation/${path}`);
      }
    }
    const unchanged = await request(api.rawApp).get(`/bookings/${aStuck}`).set(bearer(A));
    expect(unchanged.body).toMatchObject({ status: 'COMPENSATION_FAILED' });
    expect((unchanged.body as BookingView).retriedBy).toBeUndefined();

    const retried = await request(api.rawApp).post(`/bookings/${aStuck}/compensation/retry`).set(bearer(OP)).send({});
    expect(retried.status, retried.text).toBe(202);
    expect(retried.body).toMatchObject({ retriedBy: ['op-17'] });
    await waitForBooking(api.app, aStuck, (v) => v.status === 'COMPENSATION_FAILED' && v.compensations.length === 4);
    expectError(
      await request(api.rawApp).post(`/bookings/${aStuck}/compensation/resolve`).set(bearer(OP)).send({}),
      400,
      'validation_failed',
    );
    const resolved = await request(api.rawApp)
      .post(`/bookings/${aStuck}/compensation/resolve`)
      .set(bearer(OP))
      .send({ note: 'refunded by hand' });
    expect(resolved.status, resolved.text).toBe(202);
    const done = await waitForBooking(api.app, aStuck);
    expect(done).toMatchObject({
      status: 'FAILED',
      resolution: { note: 'refunded by hand', by: 'op-17' },
      retriedBy: ['op-17'],
    });
    // The Web UI's details say who did it.
    const meta = await h.env.client.workflow
      .getHandle(workflowIdFor(aStuck))
      .query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).toContain('Resolved by op-17: refunded by hand');
    expect(meta.currentDetails).toContain('Compensations retried by op-17');
    // And the customer sees it in their own booking.
    expect((await request(api.rawApp).get(`/bookings/${aStuck}`).set(bearer(A))).body).toMatchObject({
      resolution: { by: 'op-17' },
    });
  });

  test('public routes answer without a token', async () => {
    for (const path of ['/', '/app.js', '/healthz', '/flights', '/hotels', '/openapi.json', '/docs']) {
      const res = await request(api.rawApp).get(path);
      expect([200, 503], `${path} ${res.status}`).toContain(res.status);
    }
  });
});

describe("an identity provider of the test's own: a JWKS over HTTP, RS256 keys, a rotation", () => {
  const issuer = 'https://idp.test.invalid/';
  const audience = 'trip-api';
  let server: Server;
  let jwks: { keys: JWK[] };
  let fetches = 0;
  let app: ReturnType<typeof createApp>;
  const keys: Record<string, CryptoKey> = {};

  async function addKey(kid: string) {
    const pair = await generateKeyPair('RS256');
    keys[kid] = pair.privateKey;
    jwks.keys.push({ ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' });
  }
  const token = (kid: string, sub: string, scope?: string) =>
    new SignJWT(scope ? { scope } : {})
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys[kid]!);

  beforeAll(async () => {
    jwks = { keys: [] };
    await addKey('k1');
    server = createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`;
    app = createApp({
      client: h.env.client,
      dbs: h.tdb.dbs,
      config: {
        temporalUiUrl: 'http://localhost:8233',
        temporalNamespace: 'default',
        faultInjection: true,
        cardVaultKey: VAULT_KEY,
      },
      logger: capturingLogger('silent').logger,
      taskQueue: api.taskQueue,
      verifier: remoteVerifier({ jwksUrl, issuer, audience }, { cooldownMs: 200 }),
      rateLimits: TEST_RATE_LIMITS,
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  test("its tokens are accepted, its keys fetched once and cached; the dev issuer's are not", async () => {
    const t = await token('k1', 'idp-customer');
    for (let i = 0; i < 3; i++) expect((await request(app).get('/bookings').set(bearer(t))).status).toBe(200);
    expect(fetches).toBe(1);
    expectError(await request(app).get('/bookings').set(bearer(A)), 401, 'invalid_token');
    const op = await token('k1', 'idp-op', `openid ${OPERATOR_SCOPE}`);
    const created = await request(app).post('/bookings').set(bearer(t)).send(body(45));
    expect(created.status, created.text).toBe(201);
    const id = (created.body as BookingView).bookingId;
    expect((await request(app).get(`/bookings/${id}`).set(bearer(op))).status).toBe(200);
    expectError(
      await request(app).post(`/bookings/${id}/compensation/retry`).set(bearer(t)).send({}),
      403,
      'forbidden',
    );
  });

  test('rotation: a token with a new kid is accepted once the JWKS publishes it; a removed key is refused', async () => {
    expectError(
      await request(app)
        .get('/bookings')
        .set(
          bearer(
            await (async () => {
              const pair = await generateKeyPair('RS256');
              return new SignJWT({})
                .setProtectedHeader({ alg: 'RS256', kid: 'k2' })
                .setIssuer(issuer)
                .setAudience(audience)
                .setSubject('x')
                .setExpirationTime('5m')
                .sign(pair.privateKey);
            })(),
          ),
        ),
      401,
      'invalid_token',
    );
    await addKey('k2');
    const t2 = await token('k2', 'idp-customer');
    // The unknown kid makes the verifier fetch the JWKS again (after its cooldown).
    await poll(
      () =>
        request(app)
          .get('/bookings')
          .set(bearer(t2))
          .then((r) => r.status),
      (s) => s === 200,
      { timeoutMs: 5_000, what: 'the new kid accepted' },
    );
    expect(fetches).toBeGreaterThanOrEqual(2);
    // The old key retired: once the cache is refreshed (another unknown kid triggers it), k1 is refused.
    const t1 = await token('k1', 'idp-customer');
    jwks.keys = jwks.keys.filter((k) => k.kid !== 'k1');
    await addKey('k3');
    const t3 = await token('k3', 'idp-customer');
    await poll(
      () =>
        request(app)
          .get('/bookings')
          .set(bearer(t3))
          .then((r) => r.status),
      (s) => s === 200,
      { timeoutMs: 5_000, what: 'k3 accepted' },
    );
    expectError(await request(app).get('/bookings').set(bearer(t1)), 401, 'invalid_token');
  });
});

describe('the dev issuer exists only without a real issuer, and never in production', () => {
  test('identityFor: AUTH_* configured → the remote JWKS, no /dev/token; production without them → refused', async () => {
    const real = await identityFor(
      {
        nodeEnv: 'development',
        auth: { jwksUrl: 'http://127.0.0.1:9/jwks.json', issuer: 'https://i.example/', audience: 'a' },
      },
      '/nonexistent/key.json',
    );
    expect(real.devIssuer).toBeUndefined();
    await expect(identityFor({ nodeEnv: 'production', auth: undefined }, '/nonexistent/key.json')).rejects.toThrow(
      /AUTH_JWKS_URL/,
    );
    // An app without a dev issuer has no /dev/token.
    expect((await request(api.rawApp).post('/dev/token').send({ sub: 'x' })).status).toBe(404);
  });

  test('POST /dev/token (when there is one) answers a token the app accepts; its key survives a restart (the key file)', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'dev-issuer-'));
    try {
      const first = await identityFor({ nodeEnv: 'development', auth: undefined }, join(dir, 'key.json'));
      const app = createApp({
        client: h.env.client,
        dbs: h.tdb.dbs,
        config: {
          temporalUiUrl: 'http://localhost:8233',
          temporalNamespace: 'default',
          faultInjection: true,
          cardVaultKey: VAULT_KEY,
        },
        logger: capturingLogger('silent').logger,
        verifier: first.verifier,
        devIssuer: first.devIssuer!,
        rateLimits: TEST_RATE_LIMITS,
      });
      const res = await request(app).post('/dev/token').send({ sub: 'page-user', scope: OPERATOR_SCOPE });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 28_800 });
      const token = (res.body as { access_token: string }).access_token;
      expect((await request(app).get('/bookings').set(bearer(token))).status).toBe(200);
      expectError(await request(app).post('/dev/token').send({ sub: 'has space' }), 400, 'validation_failed');
      // "Restarted": a new issuer from the same key file accepts the token handed out before.
      const second = await identityFor({ nodeEnv: 'development', auth: undefined }, join(dir, 'key.json'));
      expect(await second.verifier.verify(token)).toEqual({
        subject: 'page-user',
        operator: true,
        expiresAt: expect.any(Number) as number,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
