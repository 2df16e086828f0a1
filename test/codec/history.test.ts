// Encrypted payloads end to end on the time-skipping server: bookings through the API and the real
// worker with the codec on; the raw history (read by a client WITHOUT the codec) holds only
// binary/encrypted payloads and no customer data; idempotency (idempotency_keys) still works; keys
// rotate; the codec endpoint speaks Temporal's remote codec protocol.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../../src/api/http/app.ts';
import { callingAs, createTestIdentity, TEST_RATE_LIMITS } from '../helpers/identity.ts';
import type { BookingView } from '../../src/api/bookings/view.ts';
import {
  ENCRYPTED_ENCODING,
  ENCRYPTED_FAILURES_CONVERTER_PATH,
  codecEndpointFor,
  dataConverterFor,
  payloadCodecFor,
} from '../../src/temporal/codec.ts';
import { workflowIdFor, type BookingState } from '../../src/booking/booking.ts';
import { WORKFLOWS_PATH, createTripWorkers, type TripWorkers } from '../../src/temporal/worker-factory.ts';
import { findOnPath } from '../../src/temporal/executables.ts';
import type { bookTrip } from '../../src/workflows/book-trip.ts';
import { CARDS, VAULT_KEY, bookingInput } from '../helpers/booking.ts';
import { createTestDatabase, invariantViolations, type TestDatabase } from '../helpers/db.ts';
import { createTimeSkippingEnv, quietLogger } from '../helpers/temporal.ts';
import { bookingBody, errorOf, expectError, getBooking, postBooking, waitForBooking } from '../api/support.ts';
import {
  CODEC_TOKEN,
  bySdk,
  configWithKeys,
  expectAllEncrypted,
  isEncrypted,
  keyIdOf,
  payloadDataText,
  parseJsonHistory,
  payloadsIn,
  plainText,
  type FoundPayload,
} from './support.ts';

const run = promisify(execFile);
const TEMPORAL = process.env.TEMPORAL_CLI_PATH || findOnPath('temporal');
const UI_URL = 'http://localhost:8233';
/** The configuration after a rotation: k2 encrypts, k1 still decrypts. */
const current = configWithKeys('k2,k1', { TEMPORAL_UI_URL: UI_URL });

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let tdb: TestDatabase;
/** A client without the codec: what the Temporal server stores, as is. */
let raw: Client;
let app: ReturnType<typeof createApp>;
let worker: TripWorkers;
let running: Promise<void>;
const taskQueue = `codec-${randomUUID()}`;

beforeAll(async () => {
  [env, bundle, tdb] = await Promise.all([
    createTimeSkippingEnv({ client: { dataConverter: dataConverterFor(current) } }),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: quietLogger,
      failureConverterPath: ENCRYPTED_FAILURES_CONVERTER_PATH,
    }),
    createTestDatabase('codec_history'),
  ]);
  raw = new Client({ connection: env.connection });
  const codec = codecEndpointFor(current);
  expect(codec).toBeDefined();
  const identity = await createTestIdentity();
  app = callingAs(
    createApp({
      verifier: identity.devIssuer.verifier,
      rateLimits: TEST_RATE_LIMITS,
      client: env.client,
      dbs: tdb.dbs,
      config: { temporalUiUrl: UI_URL, temporalNamespace: 'default', faultInjection: true, cardVaultKey: VAULT_KEY },
      logger: pino({ level: 'silent' }),
      taskQueue,
      sse: { keepAliveMs: 1_000 },
      ...(codec ? { codec } : {}),
    }),
    await identity.operator(),
  );
  worker = await createTripWorkers({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    dbs: tdb.dbs,
    faultInjection: true,
    dataConverter: dataConverterFor(current),
    worker: { shutdownGraceTime: '1s' },
  });
  running = worker.run();
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await env?.teardown();
  await tdb?.close();
});

/** The history as the server stores it, and every payload in it. */
/** The raw history once the workflow has closed (the read model turns terminal just before its last task). */
async function rawHistory(bookingId: string) {
  const handle = raw.workflow.getHandle(workflowIdFor(bookingId));
  await handle.result().catch(() => undefined); // closed; its (encrypted) result is no concern of this client
  const history = await handle.fetchHistory();
  return { history, payloads: payloadsIn(history) };
}

/** Values that must never appear in plain text. */
function secretsOf(customerId: string) {
  return { customerId, flightNumber: 'TB100', hotelId: 'HTL-TOKYO-SHINJUKU', cardNumber: CARDS.good.number };
}

function expectNoPlainText(history: unknown, payloads: FoundPayload[], customerId: string, bookingId: string) {
  const everything = plainText(history);
  const asJson = JSON.stringify(history);
  for (const [what, secret] of Object.entries(secretsOf(customerId))) {
    expect(everything, what).not.toContain(secret);
    expect(asJson, what).not.toContain(secret);
  }
  // last4: the field, the masked form, and the digits as a value (bare digits may occur in IDs).
  for (const text of [everything, asJson]) {
    expect(text).not.toMatch(/last4|•••• 4242|"4242"/);
  }
  // In the payloads' data: none of it, not even the booking ID (it may only be in the workflow ID).
  const data = payloadDataText(payloads);
  for (const secret of [...Object.values(secretsOf(customerId)), '4242', bookingId, 'customerId', 'json/plain']) {
    expect(data).not.toContain(secret);
  }
}

describe('a booking with encryption on', () => {
  test('CONFIRMED through the API; GET and an idempotent repeat work; the raw history holds no customer data', async () => {
    const customerId = `cust-enc-${randomUUID().slice(0, 8)}`;
    const body = bookingBody({ customerId });
    const created = await postBooking(app, body, 'enc-order-1');
    const id = (created.body as BookingView).bookingId;

    // GET while it runs (the workflow's query, decoded) and once it is closed.
    const live = await getBooking(app, id);
    expect(live).toMatchObject({ bookingId: id, customerId });
    const done = await waitForBooking(app, id);
    expect(done).toMatchObject({
      status: 'CONFIRMED',
      customerId,
      flight: { flightNumber: 'TB100' },
      payment: { last4: '4242' },
    });
    expect((await getBooking(app, id)).status).toBe('CONFIRMED');

    // The same key and body: 200, the same booking (answered from idempotency_keys; the memo holds
    // the hash too, encrypted).
    const again = await request(app).post('/bookings').set('Idempotency-Key', 'enc-order-1').send(body);
    expect(again.status, again.text).toBe(200);
    expect((again.body as BookingView).bookingId).toBe(id);
    // Another body with that key: 422.
    const other = await request(app)
      .post('/bookings')
      .set('Idempotency-Key', 'enc-order-1')
      .send(bookingBody({ customerId: 'someone-else' }));
    expectError(other, 422, 'idempotency_key_reused');

    // The client with the codec reads everything back.
    const handle = env.client.workflow.getHandle<typeof bookTrip>(workflowIdFor(id));
    expect(await handle.result()).toMatchObject({ status: 'CONFIRMED', customerId });
    expect((await handle.describe()).memo).toMatchObject({
      requestHash: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
    });

    // The server holds only ciphertext: inputs, results, the memo, the summary.
    const { history, payloads } = await rawHistory(id);
    const where = expectAllEncrypted(payloads);
    expect(where).toEqual(
      expect.arrayContaining([
        'workflowExecutionStartedEventAttributes.input.payloads.*',
        'workflowExecutionStartedEventAttributes.memo.fields.requestHash',
        'activityTaskScheduledEventAttributes.input.payloads.*',
        'activityTaskCompletedEventAttributes.result.payloads.*',
        'workflowExecutionCompletedEventAttributes.result.payloads.*',
      ]),
    );
    expectNoPlainText(history, payloads, customerId, id);

    // DescribeWorkflowExecution as stored: the memo is ciphertext too.
    const described = await raw.workflowService.describeWorkflowExecution({
      namespace: 'default',
      execution: { workflowId: workflowIdFor(id) },
    });
    expectAllEncrypted(payloadsIn(described.workflowExecutionInfo?.memo));
    expect(await invariantViolations(tdb.dbs)).toEqual([]);
  });

  test('update arguments and results, and failure details, are encrypted too', async () => {
    // A cancel (an Update) that lands while the first reserve attempt waits for its retry.
    const cancelled = `cust-enc-${randomUUID().slice(0, 8)}`;
    const first = await postBooking(
      app,
      bookingBody({ customerId: cancelled, faults: { reserveFlight: 'transient:1' } }),
    );
    const cancelId = (first.body as BookingView).bookingId;
    const accepted = await request(app)
      .post(`/bookings/${cancelId}/cancel`)
      .send({ reason: `customer ${cancelled} changed plans` });
    expect(accepted.status, accepted.text).toBe(202);
    expect((await waitForBooking(app, cancelId)).status).toBe('CANCELLED');

    // A declined card: the workflow fails with the booking state as the failure's details.
    const declined = `cust-enc-${randomUUID().slice(0, 8)}`;
    const second = await postBooking(app, bookingBody({ customerId: declined, card: CARDS.declined }));
    const failedId = (second.body as BookingView).bookingId;
    expect((await waitForBooking(app, failedId)).status).toBe('FAILED');

    const a = await rawHistory(cancelId);
    expect(expectAllEncrypted(a.payloads)).toEqual(
      expect.arrayContaining([
        'workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.input.args.payloads.*',
        'workflowExecutionUpdateCompletedEventAttributes.outcome.success.payloads.*',
      ]),
    );
    const b = await rawHistory(failedId);
    expect(expectAllEncrypted(b.payloads)).toEqual(
      expect.arrayContaining([
        'workflowExecutionFailedEventAttributes.failure.applicationFailureInfo.details.payloads.*',
      ]),
    );
    // Failures' messages and stack traces are encoded attributes, encrypted like payloads: the
    // whole raw history of a failed or cancelled booking holds no customer data either.
    expect(JSON.stringify(b.history)).not.toContain('was declined');
    expectNoPlainText(a.history, a.payloads, cancelled, cancelId);
    expectNoPlainText(b.history, b.payloads, declined, failedId);
  });
});

describe('key rotation', () => {
  test('a history written with k1 is still read once the config is "k2,k1"; new payloads use k2; a k1-only client fails clearly', async () => {
    const k1Config = configWithKeys('k1');
    const k1Client = new Client({ connection: env.connection, dataConverter: dataConverterFor(k1Config) });
    const queue = `codec-k1-${randomUUID()}`;
    const k1Worker = (q: string) =>
      createTripWorkers({
        connection: env.nativeConnection,
        taskQueue: q,
        workflowBundle: bundle,
        dbs: tdb.dbs,
        faultInjection: true,
        dataConverter: dataConverterFor(k1Config),
        worker: { shutdownGraceTime: '1s' },
      });

    // Before the rotation: client and worker on k1 only.
    const before = await bookingInput(tdb.dbs);
    const w1 = await k1Worker(queue);
    await w1.runUntil(async () => {
      const h = await k1Client.workflow.start<typeof bookTrip>('bookTrip', {
        taskQueue: queue,
        workflowId: workflowIdFor(before.bookingId),
        args: [before],
        memo: { requestHash: 'abc' },
      });
      await h.result();
    });
    expectAllEncrypted((await rawHistory(before.bookingId)).payloads, ['k1']);

    // After it: the "k2,k1" client (the environment's) reads the old history, result and memo.
    const old = env.client.workflow.getHandle<typeof bookTrip>(workflowIdFor(before.bookingId));
    expect(await old.result()).toMatchObject({ status: 'CONFIRMED', customerId: before.customerId });
    expect((await old.describe()).memo).toEqual({ requestHash: 'abc' });
    const started =
      (await old.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const [decoded] = await payloadCodecFor(current)!.decode(started);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toMatchObject({ customerId: before.customerId });

    // A workflow started on k1 and finished by a rotated worker: both key ids in one history.
    const during = await bookingInput(tdb.dbs);
    await k1Client.workflow.start<typeof bookTrip>('bookTrip', {
      taskQueue,
      workflowId: workflowIdFor(during.bookingId),
      args: [during],
    });
    const result: BookingState = await env.client.workflow
      .getHandle<typeof bookTrip>(workflowIdFor(during.bookingId))
      .result();
    expect(result).toMatchObject({ status: 'CONFIRMED', customerId: during.customerId });
    const mixed = (await rawHistory(during.bookingId)).payloads;
    expectAllEncrypted(mixed, ['k1', 'k2']);
    expect(new Set(mixed.filter((p) => !bySdk(p)).map((p) => keyIdOf(p.payload)))).toEqual(new Set(['k1', 'k2']));

    // A client that never got k2: a clear error, not garbage.
    await expect(k1Client.workflow.getHandle(workflowIdFor(during.bookingId)).result()).rejects.toThrow(
      'a payload is encrypted with key id "k2", which is not in PAYLOAD_ENCRYPTION_KEYS (known: k1)',
    );
  });
});

describe('the codec endpoint (/codec)', () => {
  const auth = `Bearer ${CODEC_TOKEN}`;
  const json = (value: unknown) => ({
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from(JSON.stringify(value)).toString('base64'),
  });

  test('encode then decode gives the original payloads back', async () => {
    const secret = json({ customerId: 'cust-codec', last4: '4242' });
    const original = [secret, json('two'), { metadata: { encoding: Buffer.from('binary/null').toString('base64') } }];
    const encoded = await request(app)
      .post('/codec/encode')
      .set('Authorization', auth)
      .set('X-Namespace', 'default')
      .send({ payloads: original });
    expect(encoded.status, encoded.text).toBe(200);
    const sealed = (encoded.body as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
    expect(sealed).toHaveLength(3);
    for (const p of sealed) {
      expect(Buffer.from(p.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
      expect(Buffer.from(p.metadata['encryption-key-id']!, 'base64').toString()).toBe('k2');
    }
    expect(encoded.text).not.toContain(secret.data);
    expect(encoded.headers['cache-control']).toBe('no-store');

    const decoded = await request(app).post('/codec/decode').set('Authorization', auth).send({ payloads: sealed });
    expect(decoded.status, decoded.text).toBe(200);
    expect(decoded.body).toEqual({ payloads: original });
    // Unencrypted payloads pass through.
    const plain = await request(app).post('/codec/decode').set('Authorization', auth).send({ payloads: original });
    expect(plain.body).toEqual({ payloads: original });
  });

  test('decodes what the worker wrote into the history, as the Web UI asks for it', async () => {
    const input = await bookingInput(tdb.dbs);
    const handle = await env.client.workflow.start<typeof bookTrip>('bookTrip', {
      taskQueue,
      workflowId: workflowIdFor(input.bookingId),
      args: [input],
    });
    await handle.result();
    const { payloads } = await rawHistory(input.bookingId);
    expectAllEncrypted(payloads);
    const asJson = payloads.map(({ payload }) => ({
      metadata: Object.fromEntries(
        Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(payload.data ?? []).toString('base64'),
    }));
    const res = await request(app)
      .post('/codec/decode')
      .set('Authorization', auth)
      .set('Origin', UI_URL)
      .send({ payloads: asJson });
    expect(res.status, res.text).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(UI_URL);
    const decoded = (res.body as { payloads: { metadata: Record<string, string>; data?: string }[] }).payloads;
    const text = decoded.map((p) => Buffer.from(p.data ?? '', 'base64').toString()).join('\n');
    expect(text).toContain(input.customerId);
    expect(decoded.every((p) => Buffer.from(p.metadata.encoding!, 'base64').toString() !== ENCRYPTED_ENCODING)).toBe(
      true,
    );
  });

  test('a missing or wrong token: 401 (with CORS headers, so the UI can tell)', async () => {
    const body = { payloads: [json('x')] };
    const missing = await request(app).post('/codec/decode').set('Origin', UI_URL).send(body);
    expectError(missing, 401, 'unauthorized');
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(missing.headers['access-control-allow-origin']).toBe(UI_URL);
    expectError(
      await request(app).post('/codec/encode').set('Authorization', 'Bearer wrong-token-0123456789').send(body),
      401,
      'unauthorized',
    );
    expectError(
      await request(app).post('/codec/decode').set('Authorization', CODEC_TOKEN).send(body),
      401,
      'unauthorized',
    );
  });

  test('CORS preflight: the Web UI origin may POST with content-type, x-namespace and authorization; others may not', async () => {
    const preflight = await request(app)
      .options('/codec/decode')
      .set('Origin', UI_URL)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-namespace,authorization');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(UI_URL);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    const allowed = preflight.headers['access-control-allow-headers']!.split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization']));
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');

    const elsewhere = await request(app)
      .options('/codec/decode')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('bad bodies and unknown key ids: 400 with a clear message', async () => {
    expectError(
      await request(app).post('/codec/decode').set('Authorization', auth).send({ nope: 1 }),
      400,
      'validation_failed',
    );
    expectError(
      await request(app)
        .post('/codec/decode')
        .set('Authorization', auth)
        .send({ payloads: [{ data: '%%%' }] }),
      400,
      'validation_failed',
    );
    const [foreign] = await payloadCodecFor(configWithKeys('k9'))!.encode([defaultPayloadConverter.toPayload('x')]);
    const res = await request(app)
      .post('/codec/decode')
      .set('Authorization', auth)
      .send({
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(foreign!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
            ),
            data: Buffer.from(foreign!.data!).toString('base64'),
          },
        ],
      });
    expect(errorOf(res)).toMatchObject({
      code: 'decode_failed',
      message: expect.stringContaining('key id "k9"') as string,
    });
    expect(res.status).toBe(400);
  });

  test('a large history page is accepted (the API keeps its 16 kB limit elsewhere)', async () => {
    const big = { payloads: Array.from({ length: 40 }, (_, i) => json({ i, padding: 'x'.repeat(2_000) })) };
    const res = await request(app).post('/codec/encode').set('Authorization', auth).send(big);
    expect(res.status).toBe(200);
  });

  test('not mounted without a codec (encryption off, or no CODEC_AUTH_TOKEN): 404', async () => {
    const plainApp = createApp({
      verifier: (await createTestIdentity()).devIssuer.verifier,
      client: env.client,
      dbs: tdb.dbs,
      config: { temporalUiUrl: UI_URL, temporalNamespace: 'default', faultInjection: true, cardVaultKey: VAULT_KEY },
      logger: pino({ level: 'silent' }),
    });
    for (const path of ['/codec/decode', '/codec/encode']) {
      const res = await request(plainApp).post(path).set('Authorization', auth).send({ payloads: [] });
      expect(res.status).toBe(404);
    }
    expect(codecEndpointFor(configWithKeys('k1', { CODEC_AUTH_TOKEN: '' }))).toBeUndefined();
  });

  test.skipIf(!TEMPORAL)('the temporal CLI decodes a history through it (--codec-endpoint, --codec-auth)', async () => {
    const input = await bookingInput(tdb.dbs);
    await (
      await env.client.workflow.start<typeof bookTrip>('bookTrip', {
        taskQueue,
        workflowId: workflowIdFor(input.bookingId),
        args: [input],
      })
    ).result();
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const port = (server.address() as { port: number }).port;
      const show = (...extra: string[]) =>
        run(TEMPORAL!, [
          'workflow',
          'show',
          '--workflow-id',
          workflowIdFor(input.bookingId),
          '--address',
          env.address,
          '--output',
          'json',
          ...extra,
        ]);
      const plain = (await show()).stdout;
      expect(plain).not.toContain(input.customerId);
      const decoded = (
        await show('--codec-endpoint', `http://127.0.0.1:${port}/codec`, '--codec-auth', `Bearer ${CODEC_TOKEN}`)
      ).stdout;
      const payloads = payloadsIn(parseJsonHistory(decoded));
      expect(payloads.length).toBeGreaterThan(5);
      expect(payloads.filter(({ payload }) => isEncrypted(payload))).toEqual([]);
      expect(payloadDataText(payloads)).toContain(input.customerId);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
