// Fail closed, as processes: `npm run worker` and `npm run api` with a production environment (no
// NODE_ENV: production is the default) refuse to start without what they need, naming each
// variable (or worker role); with everything set but FAULT_INJECTION, a booking that asks for
// faults is a 400 that says so, and no workflow starts, while a plain booking goes through the
// booking's and each service's worker, each a process of its own (`npm run worker -- <role>`).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/dev/postgres.ts';
import { bookingBody } from '../api/support.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startTestIdp, type TestIdp } from '../helpers/identity.ts';
import { poll } from '../helpers/poll.ts';
import { messages, startProcess, startTemporalDevServer, stopProcess, type DevServer, type Proc } from './support.ts';
import { workflowIdFor } from '../../src/booking/booking.ts';
import type { WorkerRole } from '../../src/temporal/worker-factory.ts';
import { databasesOfRoles } from '../../src/activities/databases.ts';
import { urlVariable } from '../../src/db/databases.ts';
import { activityTaskQueues } from '../helpers/temporal.ts';

/** A key of this run only: production refuses every key the repository publishes. */
const VAULT_KEY = randomBytes(24).toString('base64');
let dir: string;
let temporal: DevServer;
let tdb: TestDatabase;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trip-fail-closed-'));
  [temporal, tdb] = await Promise.all([startTemporalDevServer(dir), createTestDatabase('deploy_fail_closed')]);
});
afterAll(async () => {
  await temporal?.stop();
  await tdb?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The one line of a process that refused to start (stderr, plain: no logger before the config). */
async function refusal(proc: Proc, script: 'worker' | 'api'): Promise<string> {
  const code = await proc.exited;
  expect(code, proc.output()).toBe(1);
  expect(proc.output()).not.toMatch(/\n\s+at /);
  const lines = proc
    .output()
    .split('\n')
    .filter((l) => l.trim());
  expect(lines, proc.output()).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^npm run ${script}: `));
  return lines[0]!.slice(`npm run ${script}: `.length);
}

describe('without what they need, they refuse to start, naming each missing variable', () => {
  test('nothing set: the worker names DATABASE_URL, TEMPORAL_ADDRESS and WORKER_BUILD_ID, the API also CARD_VAULT_KEY', async () => {
    const [worker, api] = [startProcess('worker', {}, dir), startProcess('api', {}, dir)];
    const [w, a] = await Promise.all([refusal(worker, 'worker'), refusal(api, 'api')]);
    expect(w).toMatch(
      /^invalid environment: DATABASE_URL is required by npm run worker .*; TEMPORAL_ADDRESS is required when NODE_ENV=production \(the default\).*; WORKER_BUILD_ID is required by npm run worker/,
    );
    expect(a).not.toContain('WORKER_BUILD_ID'); // the API runs no workflow code
    expect(w).not.toContain('CARD_VAULT_KEY'); // the worker never sees card data
    expect(a).toMatch(
      /^invalid environment: DATABASE_URL is required by npm run api .*; TEMPORAL_ADDRESS is required when NODE_ENV=production .*; CARD_VAULT_KEY is required when NODE_ENV=production.*; AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE required when NODE_ENV=production/,
    );
    expect(w).not.toContain('AUTH_'); // the worker serves no one
  });

  test.each([
    ['DATABASE_URL', 'worker'],
    ['PAYMENTS_DATABASE_URL', 'worker'],
    ['TEMPORAL_ADDRESS', 'worker'],
    ['WORKER_BUILD_ID', 'worker'],
    ['CARD_VAULT_KEY', 'api'],
    ['DATABASE_URL', 'api'],
    ['FLIGHTS_DATABASE_URL', 'api'],
    ['TEMPORAL_ADDRESS', 'api'],
    ['AUTH_JWKS_URL', 'api'],
    ['AUTH_AUDIENCE', 'api'],
  ] as const)('only %s missing: npm run %s names it alone', async (missing, script) => {
    const env: Record<string, string> = {
      ...tdb.env,
      TEMPORAL_ADDRESS: temporal.address,
      CARD_VAULT_KEY: VAULT_KEY,
      WORKER_BUILD_ID: 'fail-closed-build',
      ...{
        AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
        AUTH_ISSUER: 'https://issuer.test.invalid/',
        AUTH_AUDIENCE: 'trip-booking-api',
      },
    };
    delete env[missing];
    const line = await refusal(startProcess(script, env, dir), script);
    expect(line).toMatch(new RegExp(`^invalid environment: ${missing} (is )?required`));
    expect(line.split('; ')).toHaveLength(1);
  });

  test("a service's worker needs its own database's URL alone, and names it when it is missing", async () => {
    const env = { TEMPORAL_ADDRESS: temporal.address, WORKER_BUILD_ID: 'fail-closed-build' };
    const line = await refusal(startProcess('worker', env, dir, ['hotels']), 'worker');
    expect(line).toBe(
      'invalid environment: HOTELS_DATABASE_URL required by npm run worker of hotels: its own database',
    );
  });

  test('a worker role that does not exist is refused, on the command line or in WORKER_ROLES, naming the roles', async () => {
    const env = { DATABASE_URL: tdb.url, TEMPORAL_ADDRESS: temporal.address, WORKER_BUILD_ID: 'fail-closed-build' };
    const [argv, setting] = await Promise.all([
      refusal(startProcess('worker', env, dir, ['flights', 'flight']), 'worker'),
      refusal(startProcess('worker', { ...env, WORKER_ROLES: 'booking,cars' }, dir), 'worker'),
    ]);
    expect(argv).toBe('unknown worker role(s) "flight": the roles are booking, flights, hotels, payments');
    expect(setting).toBe('unknown worker role(s) "cars": the roles are booking, flights, hotels, payments');
  });

  test('with NODE_ENV=development the API runs without CARD_VAULT_KEY (on the dev key)', async () => {
    const port = await freePort();
    const api = startProcess(
      'api',
      { NODE_ENV: 'development', ...tdb.env, TEMPORAL_ADDRESS: temporal.address, PORT: String(port) },
      dir,
    );
    try {
      const health = await poll(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status,
        (status) => status === 200,
        { timeoutMs: 30_000, what: `the development API on ${port}` },
      );
      expect(health).toBe(200);
    } finally {
      await stopProcess(api.child);
    }
  });
});

describe('everything set, FAULT_INJECTION unset (production), each service its own worker process', () => {
  /** One process per role, as a deployment runs them: `npm run worker -- <role>`. */
  let workers: Partial<Record<WorkerRole, Proc>>;
  let worker: Proc;
  let api: Proc;
  let env: Record<string, string>;
  let apiUrl: string;
  let connection: Connection;
  let client: Client;
  let idp: TestIdp;
  let auth: { authorization: string };

  beforeAll(async () => {
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    // Production trusts an identity provider: one of the test's own (a JWKS over HTTP).
    idp = await startTestIdp();
    auth = { authorization: `Bearer ${await idp.mint('prod-operator', 'bookings:operate')}` };
    env = { ...tdb.env, TEMPORAL_ADDRESS: temporal.address, CARD_VAULT_KEY: VAULT_KEY };
    // Every role but the payments', which a test starts later; each with its own database's URL alone.
    workers = Object.fromEntries(
      (['booking', 'flights', 'hotels'] as const).map((role) => [role, startWorkerOf(role)]),
    );
    worker = workers.booking!;
    api = startProcess('api', { ...env, ...idp.env, PORT: String(port) }, dir);
    await poll(
      () => fetch(`${apiUrl}/healthz`).then((r) => r.status),
      (status) => status === 200,
      { timeoutMs: 30_000, what: `the API on ${port} (${api.output()})` },
    );
    for (const [role, proc] of Object.entries(workers))
      await poll(
        () => proc.output(),
        (out) => out.includes('worker: task queue'),
        { timeoutMs: 30_000, what: `the ${role} worker to start` },
      );
    connection = await Connection.connect({ address: temporal.address });
    client = new Client({ connection });
  });
  /** `npm run worker -- <role>` in production with Temporal's address and its own database's URL, nothing of the others'. */
  function startWorkerOf(role: WorkerRole): Proc {
    const [database] = databasesOfRoles([role]);
    const own = { [urlVariable(database!)]: tdb.urls[database!] };
    return startProcess(
      'worker',
      { ...own, TEMPORAL_ADDRESS: temporal.address, WORKER_BUILD_ID: 'fail-closed-build' },
      dir,
      [role],
    );
  }

  afterAll(async () => {
    await connection?.close();
    await Promise.all([...Object.values(workers ?? {}).map((w) => stopProcess(w.child)), stopProcess(api?.child)]);
    await idp?.stop();
  });

  test('each worker polls its own task queue only', () => {
    expect(messages(workers.booking!.output()).join('\n')).toMatch(/worker: task queue trip-booking \(booking\) on /);
    for (const role of ['flights', 'hotels'] as const)
      expect(messages(workers[role]!.output()).join('\n')).toMatch(
        new RegExp(`worker: task queue trip-booking-${role} \\(${role}\\) on `),
      );
  });

  test('both say fault injection is off', () => {
    expect(messages(worker.output()).join('\n')).toMatch(/fault injection off/);
    expect(messages(api.output()).join('\n')).toMatch(/fault injection off/);
  });

  test('a booking that asks for faults is a 400 that says so, and starts nothing; a plain booking goes through', async () => {
    const res = await fetch(`${apiUrl}/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(bookingBody({ customerId: 'asks-for-faults', faults: { reserveHotel: 'fail' } })),
    });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('fault_injection_disabled');
    expect(body.error.message).toContain('FAULT_INJECTION=on');
    // Nothing started: no workflow in Temporal, no booking in the database.
    expect((await client.workflow.count("WorkflowType = 'bookTrip'")).count).toBe(0);
    expect(await tdb.db.booking.count()).toBe(0);

    // The same booking without faults: the production stack works.
    const plain = await fetch(`${apiUrl}/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(bookingBody({ customerId: 'no-faults' })),
    });
    expect(plain.status).toBe(201);
    const { bookingId } = (await plain.json()) as { bookingId: string };
    // No payments worker yet: the booking has its flight and hotel, and its charge waits on the
    // payments' queue, which nothing else polls.
    const handle = client.workflow.getHandle(workflowIdFor(bookingId));
    const waiting = await poll(
      () => handle.describe(),
      (d) => d.raw.pendingActivities?.some((a) => a.activityType?.name === 'chargePayment') ?? false,
      { timeoutMs: 30_000, what: `booking ${bookingId}'s charge to be scheduled` },
    );
    expect(waiting.status.name).toBe('RUNNING');
    const scheduled = activityTaskQueues(await handle.fetchHistory());
    expect(scheduled.filter((a) => a.activity !== 'syncBooking')).toEqual([
      { activity: 'reserveFlight', taskQueue: 'trip-booking-flights' },
      { activity: 'reserveHotel', taskQueue: 'trip-booking-hotels' },
      { activity: 'chargePayment', taskQueue: 'trip-booking-payments' },
    ]);
    for (const write of scheduled.filter((a) => a.activity === 'syncBooking'))
      expect(write.taskQueue).toBe('trip-booking');
    workers.payments = startWorkerOf('payments');
    const done = await poll(
      async () =>
        (await (await fetch(`${apiUrl}/bookings/${bookingId}`, { headers: auth })).json()) as { status: string },
      (view) => ['CONFIRMED', 'FAILED'].includes(view.status),
      { timeoutMs: 30_000, what: `booking ${bookingId} to end` },
    );
    expect(done.status).toBe('CONFIRMED');
    // Each service's worker is versioned in its own deployment; its start made its first build
    // current, so the booking's steps did not wait for a rollout (payments' came after the charge).
    for (const role of ['flights', 'hotels', 'payments'] as const) {
      const promoted = `worker: build fail-closed-build is the first of deployment trip-booking-${role}, so it is now current`;
      await poll(
        () => messages(workers[role]!.output()),
        (lines) => lines.includes(promoted),
        { what: `the ${role} worker to say its build is current` },
      );
    }
    // One booking (the reconciler's schedule may have started a pass meanwhile).
    expect((await client.workflow.count("WorkflowType = 'bookTrip'")).count).toBe(1);
  });
});
