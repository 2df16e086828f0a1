// POST /bookings/:id/cancel at each stage of the saga, and the operator's endpoints for a
// compensation that failed for good.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHotelService } from '../../src/activities/hotels/activities.ts';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { CARDS, daysFromNow } from '../helpers/booking.ts';
import { invariantViolations, serviceRows } from '../helpers/db.ts';
import { compensationsFrom, everyStep, failedAt, runningAt, step, undoneThrough } from '../helpers/steps.ts';
import { createApiHarness, startApi, type ApiHarness, type RunningApi } from './harness.ts';
import {
  bookingBody,
  compensationsOf,
  expectConforms,
  errorOf,
  expectError,
  expectValidation,
  pageOf,
  poll,
  postBooking,
  roomsAvailable,
  seatsAvailable,
  stepStates,
  waitForBooking,
  type BodyOverrides,
} from './support.ts';

let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await createApiHarness('api_cancel');
  api = await startApi(h);
});
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

const cancel = (id: string, body?: object) => request(api.app).post(`/bookings/${id}/cancel`).send(body);
const retry = (id: string) => request(api.app).post(`/bookings/${id}/compensation/retry`);
const resolve = (id: string, body?: object) => request(api.app).post(`/bookings/${id}/compensation/resolve`).send(body);

/** Each test books its own flight day and hotel stay, so seat and room counts are its own. */
function trip(day: number, hotelId = 'HTL-TOKYO-SHINJUKU'): Pick<BodyOverrides, 'flight' | 'hotel'> {
  return {
    flight: { flightNumber: 'TB200', date: daysFromNow(day) },
    hotel: { hotelId, checkIn: daysFromNow(day), nights: 2 },
  };
}

async function inventory(t: ReturnType<typeof trip>) {
  return {
    seats: await seatsAvailable(api.app, t.flight!.flightNumber!, t.flight!.date!),
    rooms: await roomsAvailable(api.app, t.hotel!.hotelId!, { checkIn: t.hotel!.checkIn!, nights: t.hotel!.nights! }),
  };
}

/** A 202 from an action: the booking as the workflow has it now. */
function expectAccepted(res: request.Response, id: string, template: string): BookingView {
  expect(res.status, res.text).toBe(202);
  expectConforms(res, 'POST', template);
  expect(res.headers.location).toBe(`/bookings/${id}`);
  const view = res.body as BookingView;
  expect(view).toMatchObject({ bookingId: id, source: 'workflow' });
  return view;
}

describe('the user cancels', () => {
  test('right after POST, before the flight is reserved: CANCELLED, nothing held', async () => {
    const t = trip(5);
    const before = await inventory(t);
    // The first reserve attempt fails; the retry waits a second, so the cancel lands first.
    const res = await postBooking(
      api.app,
      bookingBody({ customerId: 'cancel-a', ...t, faults: { reserveFlight: 'transient:1' } }),
    );
    const id = (res.body as BookingView).bookingId;
    const accepted = expectAccepted(await cancel(id, { reason: 'changed my mind' }), id, '/bookings/{id}/cancel');
    expect(accepted).toMatchObject({ status: 'PENDING', cancelRequested: true, failure: { type: 'Cancelled' } });

    const done = await waitForBooking(api.app, id);
    expect(done).toMatchObject({
      status: 'CANCELLED',
      cancelRequested: true,
      failure: { step: 'flight', type: 'Cancelled', message: 'cancelled by the user: changed my mind' },
    });
    const flight = step(done, 'flight').state;
    expect(['SKIPPED', 'FAILED']).toContain(flight);
    expect(stepStates(done)).toEqual(everyStep('SKIPPED', { flight }));
    // Only the flight's undo can have run, and it found nothing to undo.
    expect(compensationsOf(done)).toEqual(
      flight === 'FAILED' ? compensationsFrom('flight', { flight: 'NOTHING_TO_UNDO' }) : [],
    );
    const rows = await serviceRows(h.tdb.dbs, id);
    expect(rows.flight?.status ?? 'none').not.toBe('RESERVED');
    expect(rows.hotel).toBeNull();
    expect(rows.payment).toBeNull();
    expect(rows.booking?.status).toBe('CANCELLED');
    expect(await inventory(t)).toEqual(before);
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });

  test('while the hotel is being reserved: the hotel and the flight are undone, CANCELLED; a second cancel is a 409', async () => {
    const t = trip(6);
    const before = await inventory(t);
    // The hotel reserves, then answers too late; undoing the flight takes a retry (1 s), so the
    // booking is still unwinding when the second cancel comes.
    const res = await postBooking(
      api.app,
      bookingBody({ customerId: 'cancel-b', ...t, faults: { reserveHotel: 'timeout', cancelFlight: 'transient:1' } }),
    );
    const id = (res.body as BookingView).bookingId;
    await poll(
      () => h.tdb.dbs.hotels.hotelReservation.findUnique({ where: { bookingId: id } }),
      (r) => r !== null,
      { what: 'hotel reservation' },
    );
    expect(await inventory(t)).toEqual({ seats: before.seats - 1, rooms: before.rooms - 1 });
    const running = await waitForBooking(api.app, id, () => true);
    expect(stepStates(running)).toEqual(runningAt('hotel'));

    const accepted = expectAccepted(await cancel(id), id, '/bookings/{id}/cancel');
    expect(accepted).toMatchObject({
      status: 'PENDING',
      cancelRequested: true,
      failure: { step: 'hotel', type: 'Cancelled', message: 'cancelled by the user' },
    });
    const twice = await cancel(id, { reason: 'really' });
    expectError(twice, 409, 'conflict');
    expectConforms(twice, 'POST', '/bookings/{id}/cancel');
    expect(errorOf(twice).message).toContain('already being cancelled');

    const done = await waitForBooking(api.app, id);
    expect(done).toMatchObject({
      status: 'CANCELLED',
      failure: { step: 'hotel', type: 'Cancelled', message: 'cancelled by the user' },
    });
    expect(stepStates(done)).toEqual(undoneThrough('hotel'));
    expect(compensationsOf(done)).toEqual(compensationsFrom('hotel'));
    expect(step(done, 'flight').undo).toMatchObject({ activity: 'cancelFlight', attempts: 2, outcome: 'UNDONE' });
    const rows = await serviceRows(h.tdb.dbs, id);
    expect(rows.flight?.status).toBe('CANCELLED');
    expect(rows.hotel?.status).toBe('CANCELLED');
    expect(rows.payment).toBeNull();
    expect(await inventory(t)).toEqual(before);
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });

  test('while the payment is being retried: nothing charged, hotel and flight undone in reverse, CANCELLED; operator actions refused meanwhile', async () => {
    const t = trip(8, 'HTL-SEOUL-MYEONGDONG');
    const before = await inventory(t);
    const res = await postBooking(
      api.app,
      bookingBody({ customerId: 'cancel-c', ...t, faults: { chargePayment: 'transient:3' } }),
    );
    const id = (res.body as BookingView).bookingId;
    const running = await waitForBooking(api.app, id, (v) => step(v, 'payment').live?.lastFailure !== undefined);
    expect(stepStates(running)).toEqual(runningAt('payment'));
    expect(step(running, 'payment').live!.lastFailure).toContain('injected transient fault');

    for (const res of [await retry(id), await resolve(id, { note: 'nothing to fix' })]) {
      expectError(res, 409, 'conflict');
      expect(errorOf(res).message).toBe('the booking is PENDING, not COMPENSATION_FAILED');
    }

    expectAccepted(await cancel(id, { reason: 'too slow' }), id, '/bookings/{id}/cancel');
    const done = await waitForBooking(api.app, id);
    expect(done).toMatchObject({
      status: 'CANCELLED',
      failure: { step: 'payment', type: 'Cancelled', message: 'cancelled by the user: too slow' },
    });
    expect(stepStates(done)).toEqual(failedAt('payment'));
    expect(step(done, 'payment').error).toMatchObject({ type: 'Cancelled' });
    expect(compensationsOf(done)).toEqual(compensationsFrom('payment', { payment: 'NOTHING_TO_UNDO' }));
    const rows = await serviceRows(h.tdb.dbs, id);
    expect(rows.payment?.status).toBe('VOIDED');
    expect(rows.flight?.status).toBe('CANCELLED');
    expect(rows.hotel?.status).toBe('CANCELLED');
    expect(await inventory(t)).toEqual(before);
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });

  test('after CONFIRMED: cancel, retry and resolve are 409s and change nothing', async () => {
    const t = trip(9);
    const res = await postBooking(api.app, bookingBody({ customerId: 'cancel-d', ...t }));
    const id = (res.body as BookingView).bookingId;
    const confirmed = await waitForBooking(api.app, id);
    expect(confirmed.status).toBe('CONFIRMED');
    const after = await inventory(t);
    for (const [res, template] of [
      [await cancel(id), '/bookings/{id}/cancel'],
      [await retry(id), '/bookings/{id}/compensation/retry'],
      [await resolve(id, { note: 'n' }), '/bookings/{id}/compensation/resolve'],
    ] as const) {
      expectError(res, 409, 'conflict');
      expectConforms(res, 'POST', template);
      expect(errorOf(res).message).toContain('CONFIRMED');
    }
    expect(await waitForBooking(api.app, id)).toEqual(confirmed);
    expect(await inventory(t)).toEqual(after);
    expect((await serviceRows(h.tdb.dbs, id)).payment?.status).toBe('CAPTURED');
  });
});

describe('an operator fixes a compensation that failed for good', () => {
  test('COMPENSATION_FAILED: cancel refused, retry accepted (and fails again), an empty note refused, a resolve after a manual fix ends it FAILED', async () => {
    const t = trip(11, 'HTL-SF-UNION');
    const before = await inventory(t);
    const res = await postBooking(
      api.app,
      bookingBody({ customerId: 'operator', ...t, card: CARDS.declined, faults: { cancelHotel: 'fail' } }),
    );
    const id = (res.body as BookingView).bookingId;
    const stuck = await waitForBooking(api.app, id, (v) => v.status === 'COMPENSATION_FAILED');
    expect(stuck).toMatchObject({
      source: 'workflow',
      currentStep: null,
      failure: { step: 'payment', type: 'CardDeclined' },
    });
    expect(stepStates(stuck)).toEqual(failedAt('payment', { hotel: 'COMPENSATION_FAILED' }));
    expect(compensationsOf(stuck)).toEqual(
      compensationsFrom('payment', { payment: 'NOTHING_TO_UNDO', hotel: 'FAILED' }),
    );
    expect(step(stuck, 'hotel').undo).toMatchObject({
      activity: 'cancelHotel',
      outcome: 'FAILED',
      error: { type: 'InjectedFailure' },
    });
    // The hotel room is still held; the seat was given back.
    expect(await inventory(t)).toEqual({ seats: before.seats, rooms: before.rooms - 1 });
    // The list reads the read model, which the workflow writes beside its wait: a moment later.
    const listed = await poll(
      () => request(api.app).get('/bookings').query({ status: 'COMPENSATION_FAILED' }),
      (r) => (pageOf(r).items as { bookingId: string }[]).length > 0,
      { what: 'the COMPENSATION_FAILED list' },
    );
    expect((pageOf(listed).items as { bookingId: string }[]).map((i) => i.bookingId)).toEqual([id]);

    const cancelled = await cancel(id);
    expectError(cancelled, 409, 'conflict');
    expect(errorOf(cancelled).message).toContain('COMPENSATION_FAILED');

    // A retry runs the failed undo again; it fails again and the booking waits again.
    expectAccepted(await retry(id), id, '/bookings/{id}/compensation/retry');
    const again = await waitForBooking(
      api.app,
      id,
      (v) => v.status === 'COMPENSATION_FAILED' && v.compensations.length === 4,
    );
    expect(compensationsOf(again).at(-1)).toBe('cancelHotel:FAILED');

    for (const body of [{ note: '' }, { note: '   ' }, {}, { note: 'x'.repeat(1001) }, { note: 'ok', extra: 1 }]) {
      const bad = await resolve(id, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expectConforms(bad, 'POST', '/bookings/{id}/compensation/resolve');
    }
    expectValidation(await resolve(id, { note: '' }), { 'body.note': 'note is required' });
    expect((await waitForBooking(api.app, id, () => true)).status).toBe('COMPENSATION_FAILED');

    // A person cancels the hotel by hand, then resolves with a note.
    await createHotelService(h.tdb.dbs.hotels).cancelHotel({ bookingId: id });
    const note = 'cancelled by phone with the hotel, ticket 4711';
    expectAccepted(await resolve(id, { note }), id, '/bookings/{id}/compensation/resolve');
    const done = await waitForBooking(api.app, id);
    expect(done).toMatchObject({
      status: 'FAILED',
      source: 'read-model',
      resolution: { note },
      failure: { step: 'payment', type: 'CardDeclined' },
    });
    expect((await serviceRows(h.tdb.dbs, id)).booking?.status).toBe('FAILED');
    expect(await inventory(t)).toEqual(before);
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
    // Closed: every action is now a conflict.
    expectError(await resolve(id, { note }), 409, 'conflict');
    expectError(await retry(id), 409, 'conflict');
  });
});
