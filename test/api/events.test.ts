// GET /bookings/:id/events: one `booking` event per state change, in order, then `end`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import request from 'supertest';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { CARDS } from '../helpers/booking.ts';
import { step, unwindFrom } from '../helpers/steps.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import {
  TERMINAL,
  bookingBody,
  expectConforms,
  expectError,
  expectSchema,
  expectValidation,
  parseSse,
  poll,
  postBooking,
  readEvents,
  waitForBooking,
  type SseEvent,
} from './support.ts';

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  // A real dev server: the watchers learn of each step from the workflow's history, a long poll
  // that the time-skipping test server does not answer as a real server does.
  h = await createApiHarness('api_events', { devServer: true });
  api = await startApi(h);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

/** The `booking` events as views; each must be a Booking of the document, with `id:` its version. */
function bookingEvents(events: SseEvent[]): BookingView[] {
  return events
    .filter((e) => e.event === 'booking')
    .map((e) => {
      const view = JSON.parse(e.data) as BookingView;
      expectSchema('Booking', view);
      expect(e.id).toBe(String(view.version));
      return view;
    });
}

const stateOf = (view: BookingView, step: string) => view.steps.find((s) => s.name === step)!.state;
const firstIndex = (views: BookingView[], match: (v: BookingView) => boolean) => views.findIndex(match);

test('a live stream of an expired card: PENDING … COMPENSATING → FAILED, versions rising, unwinding payment → hotel → flight, then end', async () => {
  // Each undo of hotel and flight needs one retry (1 s), so every stage of the unwinding is seen.
  const res = await postBooking(
    api.app,
    bookingBody({
      customerId: 'sse',
      card: CARDS.expired,
      faults: { cancelHotel: 'transient:1', cancelFlight: 'transient:1' },
    }),
  );
  const id = (res.body as BookingView).bookingId;
  const { res: stream, events } = await readEvents(api.app, id);
  expect(stream.status).toBe(200);
  expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
  expect(stream.headers['cache-control']).toContain('no-cache');
  expectConforms(stream, 'GET', '/bookings/{id}/events');
  expect(String(stream.body)).toMatch(/^retry: \d+\n\n/);

  const views = bookingEvents(events);
  expect(views.length).toBeGreaterThanOrEqual(5);
  expect(views.every((v) => v.bookingId === id)).toBe(true);
  // Versions never go back: one event per change, none out of order. A version repeats only when
  // a running step's live attempt or last failure changed.
  const versions = views.map((v) => v.version);
  for (let i = 1; i < versions.length; i++) {
    expect(versions[i], `versions ${versions.join(',')}`).toBeGreaterThanOrEqual(versions[i - 1]!);
    if (versions[i] === versions[i - 1]) {
      expect(JSON.stringify(views[i]!.steps.map((s) => s.live))).not.toBe(
        JSON.stringify(views[i - 1]!.steps.map((s) => s.live)),
      );
    }
  }
  // Statuses: PENDING first, then COMPENSATING, FAILED last; never back.
  const statuses = views.map((v) => v.status).filter((s, i, all) => i === 0 || s !== all[i - 1]);
  expect(statuses).toEqual(['PENDING', 'COMPENSATING', 'FAILED']);
  expect(views.slice(0, -1).every((v) => !TERMINAL.includes(v.status))).toBe(true);
  expect(views.at(-1)).toMatchObject({ status: 'FAILED', failure: { step: 'payment', type: 'CardExpired' } });

  // The stream ends with `end`, after the last booking event.
  expect(events.at(-1)).toEqual({ event: 'end', data: JSON.stringify({ status: 'FAILED' }) });
  expect(events.filter((e) => e.event === 'end')).toHaveLength(1);
  expect(events.at(-2)?.event).toBe('booking');

  // Unwinding in reverse: payment FAILED, then the hotel undone, then the flight.
  const paymentFailed = firstIndex(views, (v) => stateOf(v, 'payment') === 'FAILED');
  const hotelCompensating = firstIndex(views, (v) => stateOf(v, 'hotel') === 'COMPENSATING');
  const hotelCompensated = firstIndex(views, (v) => stateOf(v, 'hotel') === 'COMPENSATED');
  const flightCompensating = firstIndex(views, (v) => stateOf(v, 'flight') === 'COMPENSATING');
  const flightCompensated = firstIndex(views, (v) => stateOf(v, 'flight') === 'COMPENSATED');
  const order = { paymentFailed, hotelCompensating, hotelCompensated, flightCompensating, flightCompensated };
  expect(
    Object.values(order).every((i) => i >= 0),
    JSON.stringify(order),
  ).toBe(true);
  expect(paymentFailed, JSON.stringify(order)).toBeLessThanOrEqual(hotelCompensating);
  expect(hotelCompensating).toBeLessThan(hotelCompensated);
  expect(hotelCompensated).toBeLessThanOrEqual(flightCompensating);
  expect(flightCompensating).toBeLessThan(flightCompensated);
  // And in no event is the hotel unwound before the payment failed, nor the flight before the hotel.
  for (const v of views) {
    if (stateOf(v, 'hotel') === 'COMPENSATING' || stateOf(v, 'hotel') === 'COMPENSATED')
      expect(stateOf(v, 'payment')).toBe('FAILED');
    if (stateOf(v, 'hotel') === 'COMPENSATING') expect(stateOf(v, 'flight')).toBe('DONE');
    if (stateOf(v, 'flight') === 'COMPENSATING' || stateOf(v, 'flight') === 'COMPENSATED') {
      expect(stateOf(v, 'hotel')).toBe('COMPENSATED');
      expect(stateOf(v, 'payment')).toBe('FAILED');
    }
  }
  expect(views.at(-1)!.compensations.map((c) => c.activity)).toEqual(unwindFrom('payment'));
});

test("each step reaches the stream from the workflow's history, with no poll: a service's database tells the API nothing", async () => {
  // Polls an hour apart: what the stream shows of each step is the history's long poll waking the
  // watcher (the steps write nothing of the booking service's but its PENDING and CONFIRMED rows).
  const quiet = await startApi(h, { sse: { safetyPollMs: 3_600_000, livePollMs: 3_600_000 } });
  try {
    const res = await postBooking(quiet.app, bookingBody({ customerId: 'sse-history' }));
    const id = (res.body as BookingView).bookingId;
    const { events } = await readEvents(quiet.app, id);
    const views = bookingEvents(events);
    expect(views.at(-1)).toMatchObject({ status: 'CONFIRMED' });
    // The saga seen moving: views while it runs with steps done, which only the history's events
    // woke the watcher for (a burst of them, a step that ran fast, is coalesced into one read).
    const seen = views.map((v) => `${v.status} ${v.steps.map((s) => `${s.name}:${s.state}`).join(' ')}`);
    const moving = views.filter((v) => v.status === 'PENDING' && v.steps.some((s) => s.state === 'DONE'));
    expect(moving.length, JSON.stringify(seen)).toBeGreaterThanOrEqual(1);
    expect(views.length, JSON.stringify(seen)).toBeGreaterThanOrEqual(3);
    expect(events.at(-1)).toEqual({ event: 'end', data: JSON.stringify({ status: 'CONFIRMED' }) });
  } finally {
    await quiet.stop();
  }
});

test('a closed booking: one booking event from the read model, then end', async () => {
  const res = await postBooking(api.app, bookingBody({ customerId: 'sse-closed' }));
  const id = (res.body as BookingView).bookingId;
  const closed = await waitForBooking(api.app, id);
  expect(closed.status).toBe('CONFIRMED');
  const { res: stream, events } = await readEvents(api.app, id);
  expect(stream.status).toBe(200);
  expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
  expect(events.map((e) => e.event)).toEqual(['booking', 'end']);
  const [view] = bookingEvents(events);
  expect(view).toEqual(closed);
  expect(view!.source).toBe('read-model');
  expect(JSON.parse(events[1]!.data)).toEqual({ status: 'CONFIRMED' });
});

test('an unknown booking is a JSON 404, a malformed ID a 400, never a stream', async () => {
  const unknown = await request(api.app).get('/bookings/00000000-0000-4000-8000-000000000000/events');
  expectError(unknown, 404, 'not_found');
  expectConforms(unknown, 'GET', '/bookings/{id}/events');
  const malformed = await request(api.app).get('/bookings/no.such.id/events');
  expectValidation(malformed, { 'path.id': undefined });
  expectConforms(malformed, 'GET', '/bookings/{id}/events');
});

// When the workflow stops answering, GET falls back to the read model, which holds the state of the
// last status change only: the stream must not jump back to that older version (e.g. 6 → 1, all
// steps PENDING again).
test('the stream never goes back in time, even when the worker stops answering mid-stream', async () => {
  const flaky = await startApi(h, { workerDeadlineMs: 300 });
  const server = flaky.app.listen(0);
  const port = (server.address() as AddressInfo).port;
  let text = '';
  let req: http.ClientRequest | undefined;
  try {
    const res = await postBooking(
      flaky.app,
      bookingBody({ customerId: 'sse-flaky', faults: { chargePayment: 'transient:9' } }),
    );
    const id = (res.body as BookingView).bookingId;
    req = http.get(`http://127.0.0.1:${port}/bookings/${id}/events`, (stream) => {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        text += chunk;
      });
    });
    req.on('error', () => undefined);
    // Wait until the stream has shown the payment step running, then take the worker away.
    await poll(
      () => Promise.resolve(parseSse(text)),
      (events) =>
        events.some(
          (e) => e.event === 'booking' && step(JSON.parse(e.data) as BookingView, 'payment').state === 'RUNNING',
        ),
      { what: 'the payment step in the stream' },
    );
    await flaky.stop();
    await delay(1_500); // several polls of the stream, each falling back after 300 ms
  } finally {
    req?.destroy();
    await new Promise((resolve) => server.close(resolve));
    await flaky.stop();
    // The stream's loop ends at its next poll; let it, before the environment goes away.
    await delay(1_000);
  }
  const views = parseSse(text)
    .filter((e) => e.event === 'booking')
    .map((e) => JSON.parse(e.data) as BookingView);
  expect(views.length).toBeGreaterThan(1);
  const versions = views.map((v) => v.version);
  for (let i = 1; i < versions.length; i++)
    expect(versions[i], `versions ${versions.join(',')}`).toBeGreaterThanOrEqual(versions[i - 1]!);
});
