// GET /bookings/:id/events at the cost of one: however many streams follow a booking, the API
// reads it (Temporal's query and describe) once per change or live poll (woken by the booking
// service's PostgreSQL NOTIFY, and here, on the time-skipping test server, which answers no history
// long poll, by the live poll while the saga moves), and a booking that does not change costs only
// the slow safety poll. Temporal calls are counted on the
// app's own gRPC connection (harness.ts). Also: a stream ends when its token expires, and one
// caller may hold only so many streams.
import http from 'node:http';
import { decodeJwt } from 'jose';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { CARDS } from '../helpers/booking.ts';
import { bearer } from '../helpers/identity.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import {
  bookingBody,
  expectConforms,
  expectError,
  parseSse,
  poll,
  postBooking,
  waitForBooking,
  type SseEvent,
} from './support.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness('api_event_watchers');
});
afterAll(async () => {
  await h?.close();
});

/** The app listening on a port of its own (many streams at once need one server, not one per request). */
async function listening(api: RunningApi): Promise<{ base: string; close(): Promise<void> }> {
  const server = api.rawApp.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface OpenStream {
  status: Promise<number>;
  events(): SseEvent[];
  views(): BookingView[];
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

function openStream(base: string, id: string, token: string): OpenStream {
  let text = '';
  let resolveStatus!: (status: number) => void;
  let resolveEnded!: () => void;
  const status = new Promise<number>((resolve) => (resolveStatus = resolve));
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  const req = http.get(
    `${base}/bookings/${id}/events`,
    { headers: { ...bearer(token), accept: 'text/event-stream' } },
    (res) => {
      resolveStatus(res.statusCode ?? 0);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', resolveEnded);
      res.on('close', resolveEnded);
    },
  );
  req.on('error', () => {
    resolveStatus(0);
    resolveEnded();
  });
  const events = () => parseSse(text);
  return {
    status,
    events,
    views: () =>
      events()
        .filter((e) => e.event === 'booking')
        .map((e) => JSON.parse(e.data) as BookingView),
    ended,
    close: () => req.destroy(),
  };
}

const WATCHER_CALLS = ['QueryWorkflow', 'DescribeWorkflowExecution'] as const;
/** The calls a watcher makes (query and describe), summed, since `before`. */
function watcherCallsSince(api: RunningApi, before: Record<string, number>): number {
  const now = api.temporalCalls();
  return WATCHER_CALLS.reduce((sum, m) => sum + (now[m] ?? 0) - (before[m] ?? 0), 0);
}

/** Resolves once the app has made no watcher call for `ms` (reads woken earlier are done). */
async function quiet(api: RunningApi, ms = 500): Promise<void> {
  let last = watcherCallsSince(api, {});
  await poll(
    async () => {
      await delay(ms);
      const now = watcherCallsSince(api, {});
      const still = now === last;
      last = now;
      return still;
    },
    (still) => still,
    { what: `${ms} ms without a watcher call`, timeoutMs: 10_000 },
  );
}

/**
 * Books a payment that is declined and a hotel undo that fails for good, and returns once the saga
 * waits for an operator with that status in the read model too: the workflow's query shows it
 * before its own read-model write, whose notice would wake a watcher once more.
 */
async function bookingWaitingForOperator(api: RunningApi, customerId: string): Promise<string> {
  const res = await postBooking(
    api.app,
    bookingBody({ customerId, card: CARDS.declined, faults: { cancelHotel: 'fail' } }),
  );
  const id = (res.body as BookingView).bookingId;
  await waitForBooking(api.app, id, (v) => v.status === 'COMPENSATION_FAILED' && v.source === 'workflow');
  await poll(
    () => h.tdb.db.booking.findUnique({ where: { id } }),
    (row) => row?.status === 'COMPENSATION_FAILED',
    {
      what: 'COMPENSATION_FAILED in the read model',
    },
  );
  return id;
}

const livePayment = (v: BookingView) => v.steps.find((s) => s.name === 'payment')?.live;

describe('many streams of one running booking cost what one costs', () => {
  let api: RunningApi;
  let server: Awaited<ReturnType<typeof listening>>;
  let token: string;
  beforeAll(async () => {
    // No safety poll within the test: every read is a notice's.
    api = await startApi(h, { sse: { safetyPollMs: 60_000 } });
    server = await listening(api);
    token = await api.identity.operator();
  });
  afterAll(async () => {
    await server?.close();
    await api?.stop();
  });

  /**
   * Books a payment that fails twice before it succeeds (≈3 s of retries), follows it with
   * `clients` streams until `end`, and returns the streams and the watcher's Temporal calls.
   */
  async function watch(clients: number, customerId: string) {
    const res = await postBooking(api.app, bookingBody({ customerId, faults: { chargePayment: 'transient:2' } }));
    const id = (res.body as BookingView).bookingId;
    const before = api.temporalCalls();
    const streams = Array.from({ length: clients }, () => openStream(server.base, id, token));
    expect(new Set(await Promise.all(streams.map((s) => s.status)))).toEqual(new Set([200]));
    await Promise.race([
      Promise.all(streams.map((s) => s.ended)),
      delay(30_000).then(() => {
        throw new Error('the streams did not all end within 30 s');
      }),
    ]);
    return { id, streams, calls: watcherCallsSince(api, before) };
  }

  /** Each stream's views are the whole sequence from the view it started with: no change missed, none out of order. */
  function expectEveryChange(streams: OpenStream[]): BookingView[] {
    const all = streams.map((s) => s.views());
    const longest = all.reduce((a, b) => (b.length > a.length ? b : a));
    const key = (v: BookingView) => JSON.stringify(v);
    for (const views of all) {
      const from = longest.map(key).indexOf(key(views[0]!));
      expect(from, 'a stream began with a view the others never saw').toBeGreaterThanOrEqual(0);
      expect(views.map(key)).toEqual(longest.slice(from).map(key));
    }
    for (const s of streams) {
      expect(s.events().at(-1)).toEqual({ event: 'end', data: JSON.stringify({ status: 'CONFIRMED' }) });
    }
    return longest;
  }

  test('100 streams: every stream gets every change, the live attempts and end; the Temporal calls are about those of one stream', async () => {
    const one = await watch(1, 'watch-one');
    const oneViews = expectEveryChange(one.streams);
    const many = await watch(100, 'watch-many');
    const manyViews = expectEveryChange(many.streams);

    // The retries reach the streams as they happen (no version changes with them): attempts 2
    // and 3 of the payment, with the failure before each.
    for (const views of [oneViews, manyViews]) {
      const attempts = views.map(livePayment).filter((l) => l?.lastFailure);
      expect(attempts.map((l) => l!.attempt)).toEqual(expect.arrayContaining([2, 3]));
      expect(attempts.find((l) => l!.attempt === 2)!.lastFailure).toContain('injected transient fault 1 of 2');
      expect(views.at(-1)).toMatchObject({ status: 'CONFIRMED' });
    }
    // One watcher's reads, however many streams: a stream that polled on its own would make 100
    // times those of one. The watcher reads once per (coalesced) notice and per live poll while
    // the payment retries, both the booking's own, so the two counts differ only by how bursts
    // happened to coalesce (the benchmark's figure: at most 1.2 times; here with a little room for
    // a busy machine).
    expect(one.calls).toBeGreaterThan(0);
    expect(many.calls, `one stream: ${one.calls} calls; 100 streams: ${many.calls}`).toBeLessThanOrEqual(
      Math.ceil(one.calls * 1.2) + 2,
    );
  });
});

describe('a booking that is not changing', () => {
  let api: RunningApi;
  let server: Awaited<ReturnType<typeof listening>>;
  let stuck: string;
  const SAFETY_POLL_MS = 1_000;
  beforeAll(async () => {
    api = await startApi(h, { sse: { safetyPollMs: SAFETY_POLL_MS, maxStreamsPerCaller: 3 } });
    server = await listening(api);
    stuck = await bookingWaitingForOperator(api, 'watch-stuck');
  });
  afterAll(async () => {
    await server?.close();
    await api?.stop();
  });

  test('20 streams of it cost nothing but the safety poll: one query per interval (nothing runs, so no describe), for all of them', async () => {
    // 20 operators (one caller may hold only 3 streams here).
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => api.identity.operator(`op-watch-${i}`)));
    const streams = tokens.map((token) => openStream(server.base, stuck, token));
    try {
      expect(new Set(await Promise.all(streams.map((s) => s.status)))).toEqual(new Set([200]));
      await poll(
        () => streams.map((s) => s.views().length),
        (n) => n.every((k) => k === 1),
        { what: 'the first view on every stream' },
      );
      const before = api.temporalCalls();
      const windowMs = 3_500;
      await delay(windowMs);
      const calls = watcherCallsSince(api, before);
      // About windowMs / SAFETY_POLL_MS safety reads (3), of one call each (a query: a booking
      // that waits for an operator runs nothing, so it is not described); 20 streams polling on
      // their own every 250 ms would make 280 reads.
      expect(calls, `${calls} calls in ${windowMs} ms`).toBeGreaterThanOrEqual(2);
      expect(calls, `${calls} calls in ${windowMs} ms`).toBeLessThanOrEqual(4);
      expect(api.temporalCalls()['DescribeWorkflowExecution'] ?? 0, 'no describe').toBe(
        before['DescribeWorkflowExecution'] ?? 0,
      );
      // Nothing changed, so nothing more was sent: one view each, and keep-alive comments.
      expect(streams.map((s) => s.views().length)).toEqual(streams.map(() => 1));
      expect(streams.every((s) => s.events().every((e) => e.event === 'booking'))).toBe(true);
    } finally {
      for (const s of streams) s.close();
    }
  });

  test("a stream ends when the caller's token expires (event: expired), not at its next request", async () => {
    const token = await api.identity.devIssuer.mint('watch-stuck', undefined, 2);
    const expiresAt = (decodeJwt(token).exp ?? 0) * 1_000;
    const stream = openStream(server.base, stuck, token);
    try {
      expect(await stream.status).toBe(200);
      await Promise.race([stream.ended, delay(10_000)]);
      // At the token's `exp` (within a timer's slack), not at the verifier's clock tolerance, nor later.
      const late = Date.now() - expiresAt;
      expect(late, `the stream ended ${late} ms after the token expired`).toBeGreaterThanOrEqual(-50);
      expect(late, `the stream ended ${late} ms after the token expired`).toBeLessThan(1_500);
      const events = stream.events();
      expect(events.map((e) => e.event)).toEqual(['booking', 'expired']);
      expect(events.some((e) => e.event === 'end')).toBe(false);
    } finally {
      stream.close();
    }
  });

  test('one caller holds at most maxStreamsPerCaller streams: the next is 429 (Retry-After), others are not held up, a closed one frees a place', async () => {
    const customer = await api.identity.customer('watch-stuck');
    const streams = Array.from({ length: 3 }, () => openStream(server.base, stuck, customer));
    try {
      expect(await Promise.all(streams.map((s) => s.status))).toEqual([200, 200, 200]);
      const refused = await request(api.rawApp).get(`/bookings/${stuck}/events`).set(bearer(customer));
      expectError(refused, 429, 'too_many_streams');
      expect(refused.headers['retry-after']).toBe('5');
      expectConforms(refused, 'GET', '/bookings/{id}/events');
      // Another caller is not counted against this one.
      const other = openStream(server.base, stuck, await api.identity.operator('op-other'));
      expect(await other.status).toBe(200);
      other.close();
      // One stream closed: a place is free again (once the server has seen it go).
      streams.pop()!.close();
      const again = await poll(
        async () => {
          const s = openStream(server.base, stuck, customer);
          const status = await s.status;
          if (status !== 200) s.close();
          return { s, status };
        },
        (r) => r.status === 200,
        { what: 'a stream once one was closed', timeoutMs: 5_000 },
      );
      streams.push(again.s);
    } finally {
      for (const s of streams) s.close();
    }
  });
});

describe('the LISTEN connection', () => {
  let api: RunningApi;
  let server: Awaited<ReturnType<typeof listening>>;
  beforeAll(async () => {
    // No safety poll within the test: a read is a notice's, or the refresh after a reconnect.
    api = await startApi(h, { sse: { safetyPollMs: 60_000 } });
    server = await listening(api);
  });
  afterAll(async () => {
    await server?.close();
    await api?.stop();
  });

  const listenBackends = async () =>
    (
      await h.tdb.db.$queryRaw<{ pid: number }[]>`
        SELECT pid FROM pg_stat_activity WHERE application_name = 'trip-api-listen' AND datname = current_database()`
    ).map((r) => r.pid);

  test('dropped: it listens again, every watcher reads its booking once, and later changes reach the streams', async () => {
    const id = await bookingWaitingForOperator(api, 'watch-drop');
    const stream = openStream(server.base, id, await api.identity.operator('op-drop'));
    try {
      expect(await stream.status).toBe(200);
      await poll(
        () => stream.views().length,
        (n) => n === 1,
        { what: 'the first view' },
      );
      // Cut the connection only once the watcher has nothing left to read.
      await quiet(api);
      const [pid] = await listenBackends();
      expect(pid).toBeDefined();
      const before = api.temporalCalls();
      await h.tdb.db.$queryRaw`SELECT pg_terminate_backend(${pid}::int)`;
      await poll(listenBackends, (pids) => pids.length === 1 && pids[0] !== pid, { what: 'a new LISTEN connection' });
      // The refresh: one query, for the one watcher (a booking waiting for an operator runs no step,
      // so it is not described: no live attempts to read).
      await poll(
        () => watcherCallsSince(api, before),
        (n) => n >= 1,
        { what: 'the refresh after the reconnect', timeoutMs: 5_000 },
      );
      await delay(500);
      expect(watcherCallsSince(api, before)).toBe(1);
      // Listening again: an operator's retry (whose undo fails again) reaches the stream at once.
      const retried = await request(api.app).post(`/bookings/${id}/compensation/retry`).send({});
      expect(retried.status).toBe(202);
      const views = await poll(
        () => stream.views(),
        (v) => v.length > 1 && v.at(-1)!.status === 'COMPENSATION_FAILED' && (v.at(-1)!.retriedBy?.length ?? 0) === 1,
        { what: 'the retry in the stream', timeoutMs: 10_000 },
      );
      expect(views.at(-1)!.version).toBeGreaterThan(views[0]!.version);
    } finally {
      stream.close();
    }
  });
});
