// SIGTERM drains, as an orchestrator sends it on a rollout or a scale-down:
// - `npm run worker` stops polling, gives its running activity SHUTDOWN_GRACE_TIME, hands it back
//   and exits 0; the saga ends right (CONFIRMED, nothing reserved twice) on another worker process.
// - `npm run api` stops accepting connections, finishes the request in flight, and exits 0.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/dev/postgres.ts';
import { TASK_QUEUE, workflowIdFor } from '../../src/booking/booking.ts';
import { bookingBody } from '../api/support.ts';
import { bookingInput, HOTEL } from '../helpers/booking.ts';
import { createTestDatabase, invariantViolations, roomsFree, serviceRows, type TestDatabase } from '../helpers/db.ts';
import { devToken } from '../helpers/identity.ts';
import { poll } from '../helpers/poll.ts';
import { messages, startProcess, startTemporalDevServer, stopProcess, type DevServer, type Proc } from './support.ts';

const GRACE_MS = 2_000;
let dir: string;
let temporal: DevServer;
let tdb: TestDatabase;
let connection: Connection;
let client: Client;
const procs: Proc[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trip-sigterm-'));
  [temporal, tdb] = await Promise.all([startTemporalDevServer(dir), createTestDatabase('deploy_sigterm')]);
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection });
});
afterAll(async () => {
  await Promise.all(procs.map((p) => stopProcess(p.child, 'SIGKILL')));
  await connection?.close();
  await temporal?.stop();
  await tdb?.close();
  await rm(dir, { recursive: true, force: true });
});

const env = () => ({
  NODE_ENV: 'test',
  FAULT_INJECTION: 'on',
  ...tdb.env,
  TEMPORAL_ADDRESS: temporal.address,
  CARD_VAULT_KEY: 'sigterm-vault-key-0123456789',
  WORKER_BUILD_ID: 'sigterm-build',
  DEV_DATA_DIR: dir, // the API's dev issuer keeps its key here
  SHUTDOWN_GRACE_TIME: `${GRACE_MS}ms`,
  LOG_LEVEL: 'debug',
});

function start(script: 'worker' | 'api', extra: Record<string, string> = {}): Proc {
  const proc = startProcess(script, { ...env(), ...extra }, dir);
  procs.push(proc);
  return proc;
}

const startedWorker = (proc: Proc) =>
  poll(
    () => proc.output(),
    (out) => out.includes('worker: task queue'),
    { timeoutMs: 60_000, what: 'the worker to start' },
  );

/** The activity types a worker's log says it ran for a workflow (the SDK's "Activity completed" lines). */
function activitiesRun(proc: Proc, workflowId: string): string[] {
  return proc
    .output()
    .split('\n')
    .filter((l) => l.includes(workflowId) && l.includes('"activityType"'))
    .map((l) => (JSON.parse(l) as { activityType: string }).activityType);
}

describe('npm run worker', () => {
  test('SIGTERM mid-saga: it hands back its running activity within the grace period and exits 0; another worker process ends the saga CONFIRMED, nothing twice', async () => {
    const before = await roomsFree(tdb.dbs, HOTEL);
    const first = start('worker');
    await startedWorker(first);

    // reserveHotel with `timeout`: it reserves, then answers only after its 5 s start-to-close
    // timeout. SIGTERM comes while it waits: mid-saga, the reservation already written.
    const input = await bookingInput(tdb.dbs, { faults: { reserveHotel: 'timeout' } });
    const workflowId = workflowIdFor(input.bookingId);
    const handle = await client.workflow.start('bookTrip', { taskQueue: TASK_QUEUE, workflowId, args: [input] });
    await poll(
      () => serviceRows(tdb.dbs, input.bookingId),
      (rows) => rows.hotel?.status === 'RESERVED',
      { timeoutMs: 30_000, what: 'the hotel reservation' },
    );
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');

    const signalled = Date.now();
    first.child.kill('SIGTERM');
    // A rollout: the next worker comes up while the first drains.
    const second = start('worker');
    expect(await first.exited).toBe(0);
    const drainMs = Date.now() - signalled;
    expect(drainMs).toBeLessThan(GRACE_MS + 8_000);
    const said = messages(first.output()).join('\n');
    expect(said).toContain('SIGTERM: draining');
    expect(said).toContain('worker: drained and stopped');

    await startedWorker(second);
    const result = (await handle.result()) as { status: string };
    expect(result.status).toBe('CONFIRMED');

    // The second process finished the saga: reserveHotel's next attempt and everything after it.
    await poll(
      () => activitiesRun(second, workflowId),
      (types) => types.includes('chargePayment'),
      { timeoutMs: 10_000, what: "the second worker's activity log lines" },
    );
    expect(activitiesRun(first, workflowId)).not.toContain('chargePayment');
    expect(activitiesRun(second, workflowId)).toContain('reserveHotel');

    // Nothing doubled: one hotel reservation holding one room, one flight reservation, one charge.
    const rows = await serviceRows(tdb.dbs, input.bookingId);
    expect(rows.hotel).toMatchObject({ status: 'RESERVED', rooms: 1 });
    expect(rows.flight).toMatchObject({ status: 'RESERVED', seats: 1 });
    expect(rows.payment?.status).toBe('CAPTURED');
    expect(before - (await roomsFree(tdb.dbs, HOTEL))).toBe(1);
    expect(await invariantViolations(tdb.dbs)).toEqual([]);
    await stopProcess(second.child);
  });
});

describe('npm run api', () => {
  test('SIGTERM: no new connections, the request in flight finishes (201), then it exits 0', async () => {
    const port = await freePort();
    const api = start('api', { PORT: String(port) });
    await poll(
      () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status),
      (s) => s === 200,
      { timeoutMs: 60_000, what: 'the API' },
    );

    // A POST whose body is still on its way when SIGTERM arrives, from a customer of the API's dev issuer.
    const customer = `drain-${randomUUID().slice(0, 8)}`;
    const token = await devToken(`http://127.0.0.1:${port}`, customer);
    const body = JSON.stringify(bookingBody({ customerId: customer }));
    const socket = connect(port, '127.0.0.1');
    let response = '';
    socket.on('data', (d: Buffer) => (response += d.toString()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /bookings HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    socket.write(body.slice(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the server reads the headers at once

    const signalled = Date.now();
    api.child.kill('SIGTERM');
    await poll(
      () => messages(api.output()).join('\n'),
      (out) => out.includes('SIGTERM: closing'),
      { timeoutMs: 5_000, what: 'the API to take the SIGTERM' },
    );
    // It accepts no new connection...
    const refused = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => 'accepted',
      (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
    );
    expect(refused).toBe('ECONNREFUSED');
    // ...and the one in flight completes.
    socket.write(body.slice(20));
    await closed; // the server closes the connection once the response is sent
    expect(response).toMatch(/^HTTP\/1\.1 201 /);
    expect(await api.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(GRACE_MS + 3_000);
    expect(messages(api.output()).join('\n')).toContain('API: stopped');
  });
});
