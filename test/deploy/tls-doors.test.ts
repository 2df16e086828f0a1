// Beyond one machine: Temporal behind TLS, for real. A `temporal server start-dev`, and an nginx in
// front of it with two doors: one wants `authorization: Bearer <key>` (Temporal Cloud's way), one
// wants a client certificate signed by our CA (a self-hosted cluster's mTLS). Through each door the
// dev stack (what `npm run dev` runs) books a trip to CONFIRMED, its worker and its API client both
// going through the door. A wrong API key, a missing client certificate and an unknown CA each stop
// `npm run worker` and `npm run api` within a minute, with one line naming the variable to check.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { databaseUrlFor, freePort } from '../../src/dev/postgres.ts';
import { StackError, startStack } from '../../src/dev/stack.ts';
import { bookingBody } from '../api/support.ts';
import { poll } from '../helpers/poll.ts';
import { createTestDatabase, dropDatabases, type TestDatabase } from '../helpers/db.ts';
import {
  makeCertificates,
  messages,
  startDoors,
  startProcess,
  startTemporalDevServer,
  stopProcess,
  type Certificates,
  type DevServer,
  type Doors,
} from './support.ts';
import { fetchAs } from '../helpers/identity.ts';

const API_KEY = `door-key-${randomBytes(8).toString('hex')}`;
let dir: string;
let certs: Certificates;
let temporal: DevServer;
let doors: Doors;
let tdb: TestDatabase;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trip-tls-'));
  [certs, temporal, tdb] = await Promise.all([
    makeCertificates(dir),
    startTemporalDevServer(dir),
    createTestDatabase('deploy_tls'),
  ]);
  doors = await startDoors(dir, certs, temporal.address, API_KEY);
});
afterAll(async () => {
  await doors?.stop();
  await temporal?.stop();
  await tdb?.close();
  await rm(dir, { recursive: true, force: true });
});

async function bookThrough(apiUrl: string): Promise<Record<string, unknown>> {
  const res = await fetchAs(`${apiUrl}/bookings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(bookingBody({ customerId: 'door-customer' })),
  });
  const created = (await res.json()) as { bookingId: string };
  expect(res.status, JSON.stringify(created)).toBe(201);
  return poll(
    async () => (await (await fetchAs(`${apiUrl}/bookings/${created.bookingId}`)).json()) as Record<string, unknown>,
    (view) => ['CONFIRMED', 'FAILED', 'COMPENSATION_FAILED'].includes(view.status as string),
    { timeoutMs: 45_000, intervalMs: 100, what: `booking ${created.bookingId} to end` },
  );
}

/** The dev stack through a door: a booking to CONFIRMED; the door's log shows the worker's polls and the client's start. */
async function stackThrough(door: 'api-key' | 'mtls', env: Record<string, string>) {
  const config = loadConfig({
    NODE_ENV: 'test',
    FAULT_INJECTION: 'on',
    DATABASE_URL: databaseUrlFor(
      inject('databaseServerUrl'),
      `trip_tls_${door.replace('-', '_')}_${randomBytes(4).toString('hex')}`,
    ),
    ...env,
  });
  const before = doors.accessLog().length;
  const stack = await startStack({
    config,
    dataDir: join(dir, `stack-${door}`),
    apiPort: 0,
    taskQueue: `tls-${door}-${randomUUID()}`,
    logger: pino({ level: 'silent' }),
  });
  try {
    expect(stack.embedded).toEqual({ postgres: false, temporal: false });
    const done = await bookThrough(stack.apiUrl);
    expect(done.status).toBe('CONFIRMED');
  } finally {
    await stack.stop();
    await dropDatabases(inject('databaseServerUrl'), Object.values(stack.databaseUrls));
  }
  const log = doors.accessLog().slice(before);
  // The worker polled through this door, and the API's client started the workflow through it.
  // (Activities may come eagerly, with the workflow task: their results still go back through it.)
  const seen = new Set(log);
  for (const method of ['PollWorkflowTaskQueue', 'RespondWorkflowTaskCompleted', 'RespondActivityTaskCompleted']) {
    expect(seen, `the worker's ${method}`).toContain(`${door} 200 ${method}`);
  }
  expect(
    [...seen].some((l) => new RegExp(`^${door} 200 (StartWorkflowExecution|ExecuteMultiOperation)$`).test(l)),
    [...seen].join('\n'),
  ).toBe(true);
  expect(log.every((l) => l.startsWith(`${door} `))).toBe(true);
}

describe('through each TLS door, the dev stack books a trip to CONFIRMED', () => {
  test('the API-key door: TEMPORAL_API_KEY (TLS on by it) and TEMPORAL_TLS_SERVER_CA_CERT_PATH', async () => {
    await stackThrough('api-key', {
      TEMPORAL_ADDRESS: doors.apiKeyAddress,
      TEMPORAL_API_KEY: API_KEY,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
    });
  });

  test('the mTLS door, from a temporal.toml profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE)', async () => {
    const file = join(dir, 'temporal.toml');
    await writeFile(
      file,
      [
        '[profile.door]',
        `address = "${doors.mtlsAddress}"`,
        'namespace = "default"',
        '[profile.door.tls]',
        `server_ca_cert_path = "${certs.caCert}"`,
        `client_cert_path = "${certs.clientCert}"`,
        `client_key_path = "${certs.clientKey}"`,
        '',
      ].join('\n'),
    );
    await stackThrough('mtls', { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'door' });
  });
});

describe('a refusal stops npm run worker and npm run api at once, in one line naming the variable', () => {
  // AUTH_*: an issuer production would trust (never contacted: the process stops before it serves).
  const auth = {
    AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
    AUTH_ISSUER: 'https://issuer.test.invalid/',
    AUTH_AUDIENCE: 'trip-booking-api',
  };
  const production = () => ({
    NODE_ENV: 'production',
    ...tdb.env,
    CARD_VAULT_KEY: randomBytes(24).toString('base64'),
    WORKER_BUILD_ID: 'tls-build',
    LOG_LEVEL: 'info',
    PORT: '0',
    ...auth,
  });
  const cases: [string, () => Record<string, string>, RegExp][] = [
    [
      'a wrong API key',
      () => ({
        TEMPORAL_ADDRESS: doors.apiKeyAddress,
        TEMPORAL_API_KEY: 'not-the-key',
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
      }),
      /^Temporal at localhost:\d+ refused the connection: it does not accept the API key \(401 Unauthenticated\)\. Check TEMPORAL_API_KEY\.$/,
    ],
    [
      'a missing client certificate',
      () => ({ TEMPORAL_ADDRESS: doors.mtlsAddress, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert }),
      /^Temporal at localhost:\d+ refused the connection: it requires a client certificate and none was sent \(mTLS\)\. Check TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH\.$/,
    ],
    [
      'an unknown CA',
      () => ({
        TEMPORAL_ADDRESS: doors.mtlsAddress,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCaCert,
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
      }),
      /^Temporal at localhost:\d+ refused the connection: its TLS certificate is signed by a CA this process does not trust \(UnknownIssuer\)\. Check TEMPORAL_TLS_SERVER_CA_CERT_PATH\.$/,
    ],
    [
      'a namespace that does not exist (through the right door, with the right key)',
      () => ({
        TEMPORAL_ADDRESS: doors.apiKeyAddress,
        TEMPORAL_API_KEY: API_KEY,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
        TEMPORAL_NAMESPACE: 'no-such-namespace',
      }),
      /^Temporal at localhost:\d+ has no namespace no-such-namespace\. Check TEMPORAL_NAMESPACE\.$/,
    ],
  ];

  test.each(cases)('%s', async (_name, env, line) => {
    const started = Date.now();
    const procs = (['worker', 'api'] as const).map((script) => ({
      script,
      proc: startProcess(script, { ...production(), ...env() }, dir),
    }));
    try {
      for (const { script, proc } of procs) {
        const code = await Promise.race([
          proc.exited,
          new Promise((resolve) => setTimeout(() => resolve('still running after 60 s'), 60_000)),
        ]);
        expect(code, `${script}:\n${proc.output()}`).toBe(1);
        const lines = proc
          .output()
          .split('\n')
          .filter((l) => l.trim());
        const fatal = lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
        expect(fatal, `${script}:\n${proc.output()}`).toHaveLength(1);
        expect(messages(fatal[0]!)[0], script).toMatch(line);
        // One line: no stack trace, no retry, and the API never listened.
        expect(proc.output()).not.toMatch(/\n\s+at /);
        expect(messages(proc.output()).join('\n')).not.toMatch(/retrying|API on http/);
      }
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      await Promise.all(procs.map(({ proc }) => stopProcess(proc.child, 'SIGKILL')));
    }
  });

  test("the dev stack's start fails the same way (a StackError with the same line), and starts nothing", async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      ...tdb.env,
      TEMPORAL_ADDRESS: doors.apiKeyAddress,
      TEMPORAL_API_KEY: 'not-the-key',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
    });
    const failed = await startStack({
      config,
      dataDir: join(dir, 'stack-refused'),
      apiPort: 0,
      logger: pino({ level: 'silent' }),
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(StackError);
    expect((failed as Error).message).toMatch(
      /refused the connection: it does not accept the API key .* Check TEMPORAL_API_KEY\.$/,
    );
  });
});

describe('a server that does not answer (yet) is retried, unlike a refusal', () => {
  test('the worker waits for a Temporal that comes up after it (compose starts them together), then runs; SIGTERM while the API waits exits at once', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const worker = startProcess('worker', { NODE_ENV: 'test', ...tdb.env, TEMPORAL_ADDRESS: address }, dir);
    const api = startProcess('api', { NODE_ENV: 'test', ...tdb.env, TEMPORAL_ADDRESS: address, PORT: '0' }, dir);
    let late: DevServer | undefined;
    try {
      const retrying = (proc: typeof worker) =>
        poll(
          () => messages(proc.output()),
          (lines) =>
            lines.some((l) =>
              /^Cannot reach Temporal at 127\.0\.0\.1:\d+: nothing answers .*retrying for up to 30 s\)$/.test(l),
            ),
          {
            timeoutMs: 30_000,
            what: 'a retry line',
          },
        );
      await Promise.all([retrying(worker), retrying(api)]);

      // SIGTERM before the API ever listened: nothing to drain, it exits now, not after 30 s.
      const signalled = Date.now();
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(3_000);

      await mkdir(join(dir, 'late'), { recursive: true });
      late = await startTemporalDevServer(join(dir, 'late'), port);
      await poll(
        () => worker.output(),
        (out) => out.includes('worker: task queue'),
        { timeoutMs: 40_000, what: 'the worker to connect once Temporal is up' },
      );
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      await Promise.all([stopProcess(worker.child, 'SIGKILL'), stopProcess(api.child, 'SIGKILL')]);
      await late?.stop();
    }
  }, 90_000);
});
