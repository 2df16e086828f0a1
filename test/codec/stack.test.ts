// The dev stack with encryption on, both ways it reaches Temporal: the dev server it starts (the
// TestWorkflowEnvironment.createLocal branch) and a configured TEMPORAL_ADDRESS. A real server
// keeps everything the SDK sends (summaries included); `temporal workflow show` reads the raw
// history, and with --codec-endpoint the decrypted one.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { databaseUrls } from '../../src/db/databases.ts';
import { databaseUrlFor, freePort } from '../../src/dev/postgres.ts';
import { dropDatabases } from '../helpers/db.ts';
import { startStack, type Stack } from '../../src/dev/stack.ts';
import { findOnPath } from '../../src/temporal/executables.ts';
import { CARDS, FLIGHT, HOTEL_STAY } from '../helpers/booking.ts';
import {
  CODEC_TOKEN,
  configWithKeys,
  expectAllEncrypted,
  parseJsonHistory,
  payloadDataText,
  payloadsIn,
  plainText,
} from './support.ts';
import { fetchAs } from '../helpers/identity.ts';

const run = promisify(execFile);
const TEMPORAL = process.env.TEMPORAL_CLI_PATH || findOnPath('temporal');

async function http(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetchAs(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function book(stack: Stack, customerId: string, idempotencyKey: string) {
  const body = JSON.stringify({ customerId, flight: FLIGHT, hotel: HOTEL_STAY, payment: { card: CARDS.good } });
  const headers = { 'content-type': 'application/json', 'idempotency-key': idempotencyKey };
  const created = await http(`${stack.apiUrl}/bookings`, { method: 'POST', headers, body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.bookingId as string;
  for (let i = 0; i < 300; i++) {
    const { body: view } = await http(`${stack.apiUrl}/bookings/${id}`);
    if (view.status === 'CONFIRMED' && view.source === 'read-model') break;
    expect(view.status).not.toBe('FAILED');
    await delay(100);
  }
  const view = (await http(`${stack.apiUrl}/bookings/${id}`)).body;
  expect(view).toMatchObject({ status: 'CONFIRMED', customerId, payment: { last4: '4242' } });
  const repeat = await http(`${stack.apiUrl}/bookings`, { method: 'POST', headers, body });
  expect(repeat.status).toBe(200);
  expect(repeat.body.bookingId).toBe(id);
  return id;
}

/** `temporal workflow show -o json`, raw or through the stack's codec endpoint. */
async function show(stack: Stack, bookingId: string, withCodec: boolean) {
  const args = [
    'workflow',
    'show',
    '--workflow-id',
    `booking-${bookingId}`,
    '--address',
    stack.temporalAddress,
    '--output',
    'json',
  ];
  if (withCodec) args.push('--codec-endpoint', `${stack.apiUrl}/codec`, '--codec-auth', `Bearer ${CODEC_TOKEN}`);
  const history = parseJsonHistory((await run(TEMPORAL!, args)).stdout);
  return { history, payloads: payloadsIn(history) };
}

async function expectEncryptedHistory(stack: Stack, bookingId: string, customerId: string) {
  const raw = await show(stack, bookingId, false);
  const where = expectAllEncrypted(raw.payloads);
  // A real server keeps the summaries the Web UI shows; they are sealed too.
  expect(where).toEqual(
    expect.arrayContaining(['userMetadata.summary', 'workflowExecutionStartedEventAttributes.memo.fields.requestHash']),
  );
  const text = plainText(raw.history);
  for (const secret of [customerId, 'TB100', 'HTL-TOKYO-SHINJUKU', '•••• 4242', 'last4', CARDS.good.number])
    expect(text).not.toContain(secret);
  expect(payloadDataText(raw.payloads)).not.toContain(bookingId);
  // The workflow's static summary (in DescribeWorkflowExecution) is sealed as well.
  const described = (
    await run(TEMPORAL!, [
      'workflow',
      'describe',
      '--workflow-id',
      `booking-${bookingId}`,
      '--address',
      stack.temporalAddress,
      '--output',
      'json',
    ])
  ).stdout;
  expect(described).not.toContain(customerId);
  expect(described).not.toContain('Trip for');

  // Whoever holds the token reads it all, summaries included.
  const decoded = await show(stack, bookingId, true);
  const decodedText = payloadDataText(decoded.payloads);
  expect(decodedText).toContain(customerId);
  expect(decodedText).toContain('Charge 760.00 USD to visa •••• 4242');
}

describe('npm run dev, worker and api with a bad PAYLOAD_ENCRYPTION_KEYS (real Node, not vitest)', () => {
  test.each([['src/dev/index.ts'], ['src/worker.ts'], ['src/api/main.ts']])(
    '%s fails fast, naming the variable, never the key',
    async (entry) => {
      const shortKey = randomBytes(16).toString('base64');
      const env = {
        ...process.env,
        NODE_ENV: 'test',
        PAYLOAD_ENCRYPTION_KEYS: `k2:${shortKey}`,
        DEV_DATA_DIR: join(tmpdir(), `trip-codec-${randomUUID()}`),
      };
      const failed = await run(process.execPath, ['--import', 'tsx', entry], { env }).then(
        () => undefined,
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(failed?.code).toBe(1);
      const output = `${failed?.stdout}${failed?.stderr}`;
      expect(output).toContain(
        'invalid environment: PAYLOAD_ENCRYPTION_KEYS entry 1 ("k2"): key must be 32 bytes (AES-256), got 16',
      );
      expect(output).not.toContain(shortKey);
    },
  );
});

describe.skipIf(!TEMPORAL)('the dev stack with PAYLOAD_ENCRYPTION_KEYS and CODEC_AUTH_TOKEN', () => {
  let dir: string;
  /** The booking databases the stacks were given; each stack derived and provisioned its services' beside it. */
  const databases: string[] = [];
  const stacks: Stack[] = [];
  const serverUrl = () => inject('databaseServerUrl');
  const database = () => {
    const name = `trip_codec_${randomBytes(4).toString('hex')}`;
    databases.push(name);
    return databaseUrlFor(serverUrl(), name);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trip-codec-'));
  });
  afterAll(async () => {
    for (const stack of stacks.reverse()) await stack.stop();
    await rm(dir, { recursive: true, force: true });
    const derived = databases.map((name) => databaseUrls(databaseUrlFor(serverUrl(), name), {}, true).urls);
    await dropDatabases(
      serverUrl(),
      derived.flatMap((urls) => Object.values(urls)),
    );
  });

  test('the dev server it starts, then a configured TEMPORAL_ADDRESS: bookings complete, the server holds only ciphertext', async () => {
    const [temporalPort, uiPort] = [await freePort(), await freePort()];
    const local = await startStack({
      config: configWithKeys('k2,k1', {
        DATABASE_URL: database(),
        TEMPORAL_DEV_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(uiPort),
      }),
      dataDir: join(dir, 'local'),
      apiPort: 0,
      logger: pino({ level: 'silent' }),
    });
    stacks.push(local);
    expect(local.embedded.temporal).toBe(true);
    const customerId = `cust-dev-${randomUUID().slice(0, 8)}`;
    const id = await book(local, customerId, 'codec-dev-1');
    await expectEncryptedHistory(local, id, customerId);

    // The Web UI of that dev server may call the codec endpoint.
    const preflight = await fetch(`${local.apiUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: local.uiUrl,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace,authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(local.uiUrl);

    // Another stack against that server through TEMPORAL_ADDRESS (its own task queue and database).
    const configured = await startStack({
      config: configWithKeys('k2,k1', {
        DATABASE_URL: database(),
        TEMPORAL_ADDRESS: local.temporalAddress,
        TEMPORAL_UI_URL: local.uiUrl,
      }),
      dataDir: join(dir, 'configured'),
      apiPort: 0,
      taskQueue: `codec-configured-${randomUUID()}`,
      logger: pino({ level: 'silent' }),
    });
    stacks.push(configured);
    expect(configured.embedded.temporal).toBe(false);
    const other = `cust-cfg-${randomUUID().slice(0, 8)}`;
    const otherId = await book(configured, other, 'codec-configured-1');
    await expectEncryptedHistory(configured, otherId, other);
  }, 120_000);
});
