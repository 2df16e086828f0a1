// bookTrip on the time-skipping test server with the real activities and a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SOLD_OUT_FLIGHT, SOLD_OUT_HOTEL } from '../../src/booking/scenarios.ts';
import { CARDS, EXPECTED_TOTAL_CENTS, HOTEL } from '../helpers/booking.ts';
import { invariantViolations, roomsFree, serviceRows } from '../helpers/db.ts';
import {
  FORWARD_ACTIVITIES,
  activityOf,
  byStep,
  compensationsFrom,
  compensationsOf,
  perStep,
  everyStep,
  failedAt,
  step,
  stepOf,
  stepsThrough,
  unwindFrom,
} from '../helpers/steps.ts';
import { TRIP_STEPS } from '../../src/booking/steps.ts';
import { activitySequence, activityTaskQueues, patchesIn } from '../helpers/temporal.ts';
import { expectSaga } from './expectations.ts';
import { createHarness, runBooking, type Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('book_trip');
});
afterAll(async () => {
  await h?.close();
});

test('a booking that succeeds is CONFIRMED, charged the sum of the reserved prices', async () => {
  const run = await runBooking(h);
  await expectSaga(h, run, {
    status: 'CONFIRMED',
    steps: everyStep('DONE'),
    compensations: [],
  });
  expect(run.result?.status).toBe('CONFIRMED');
  expect(run.state.payment).toMatchObject({ amountCents: EXPECTED_TOTAL_CENTS, currency: 'USD', last4: '4242' });
  expect(byStep(run.state, (s) => s.attempts)).toEqual(everyStep(1));
  const rows = await serviceRows(h.tdb.dbs, run.input.bookingId);
  expect(rows.flight).toMatchObject({ status: 'RESERVED', seats: 1, priceCents: 22_000 });
  expect(rows.hotel).toMatchObject({ status: 'RESERVED', rooms: 1, nights: 3, priceCents: 54_000 });
  expect(rows.payment).toMatchObject({ status: 'CAPTURED', amountCents: EXPECTED_TOTAL_CENTS });
  expect(byStep(run.state, (s) => s.reference)).toEqual(perStep((name) => rows[name]!.id));
  expect(rows.booking).toMatchObject({ totalCents: EXPECTED_TOTAL_CENTS, flightCents: 22_000, hotelCents: 54_000 });
});

test('the flight reservation assigns the seats in its own transaction: window seats, once', async () => {
  const run = await runBooking(h, { flight: { seats: 2, seatPreference: 'window' } });
  expect(run.state.status).toBe('CONFIRMED');
  const seats = run.state.flight?.seatNumbers ?? [];
  expect(seats).toHaveLength(2);
  expect(new Set(seats).size).toBe(2);
  for (const seat of seats) expect(seat).toMatch(/^\d+[AF]$/);
  expect((await serviceRows(h.tdb.dbs, run.input.bookingId)).flight?.seatNumbers).toEqual(seats);
  const history = await run.handle.fetchHistory();
  const throughHotel = stepsThrough('hotel').map(activityOf);
  expect(activitySequence(history).slice(0, throughHotel.length)).toEqual(throughHotel);
  expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
});

test('a confirmed booking costs three service calls and one read-model write, with no markers', async () => {
  const run = await runBooking(h);
  expect(run.state.status).toBe('CONFIRMED');
  const history = await run.handle.fetchHistory();
  // CONFIRMED reaches the read model only from the task after the one that decided it (an activity).
  expect(activitySequence(history)).toEqual([...FORWARD_ACTIVITIES, 'syncBooking']);
  expect(patchesIn(history)).toEqual([]);
  expect(history.events?.filter((e) => e.markerRecordedEventAttributes)).toEqual([]);
  // One workflow task per activity task (each step's, the read-model write), plus the first.
  expect(history.events?.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(
    FORWARD_ACTIVITIES.length + 2,
  );
  expect((await serviceRows(h.tdb.dbs, run.input.bookingId)).booking).toMatchObject({
    status: 'CONFIRMED',
    version: BigInt(run.state.version),
  });
});

test("each step and its undo run on its service's task queue; the booking's own work on the booking's", async () => {
  const run = await runBooking(h, { card: CARDS.declined });
  expect(run.state.status).toBe('FAILED');
  const bookingQueue = (await run.handle.describe()).taskQueue;
  const serviceOf = (activity: string) =>
    TRIP_STEPS.find((s) => s.activity === activity || s.undo === activity)?.service;
  const scheduled = activityTaskQueues(await run.handle.fetchHistory());
  // Every step ran forward, then every undo: each on the queue only its service's worker polls.
  expect(scheduled.map((s) => s.activity).filter((a) => serviceOf(a))).toEqual([
    ...FORWARD_ACTIVITIES,
    ...unwindFrom('payment'),
  ]);
  for (const { activity, taskQueue } of scheduled) {
    const service = serviceOf(activity);
    expect(taskQueue, activity).toBe(service ? `${bookingQueue}-${service}` : bookingQueue);
  }
});

describe('business failures unwind the stack', () => {
  test('a sold-out flight fails the booking with nothing to undo', async () => {
    const run = await runBooking(h, { flight: { flightNumber: SOLD_OUT_FLIGHT } });
    await expectSaga(h, run, {
      status: 'FAILED',
      steps: failedAt('flight'),
      compensations: unwindFrom('flight'),
      failure: { step: 'flight', type: 'FlightSoldOut' },
    });
    expect(run.state.compensations).toEqual([{ step: 'flight', activity: 'cancelFlight', outcome: 'NOTHING_TO_UNDO' }]);
    // The undo of a step that never ran leaves a tombstone.
    expect((await serviceRows(h.tdb.dbs, run.input.bookingId)).flight?.status).toBe('VOIDED');
  });

  test('an unknown flight fails with FlightNotFound', async () => {
    const run = await runBooking(h, { flight: { flightNumber: 'XX999' } });
    await expectSaga(h, run, {
      status: 'FAILED',
      steps: failedAt('flight'),
      compensations: unwindFrom('flight'),
      failure: { step: 'flight', type: 'FlightNotFound' },
    });
  });

  test('a sold-out hotel cancels the flight', async () => {
    const before = await seatsLeft();
    const run = await runBooking(h, { hotel: { hotelId: SOLD_OUT_HOTEL } });
    await expectSaga(h, run, {
      status: 'FAILED',
      steps: failedAt('hotel'),
      compensations: unwindFrom('hotel'),
      failure: { step: 'hotel', type: 'HotelSoldOut' },
    });
    expect(await seatsLeft()).toBe(before);
    expect((await serviceRows(h.tdb.dbs, run.input.bookingId)).flight?.status).toBe('CANCELLED');
  });

  test('an unknown hotel fails with HotelNotFound', async () => {
    const run = await runBooking(h, { hotel: { hotelId: 'HTL-NOWHERE' } });
    await expectSaga(h, run, {
      status: 'FAILED',
      steps: failedAt('hotel'),
      compensations: unwindFrom('hotel'),
      failure: { step: 'hotel', type: 'HotelNotFound' },
    });
  });

  test.each([
    ['declined', CARDS.declined, 'CardDeclined'],
    ['expired (12/19)', CARDS.expired, 'CardExpired'],
  ])('a %s card: refund (nothing charged) → cancel hotel → cancel flight', async (_name, card, type) => {
    const [seats, rooms] = [await seatsLeft(), await roomsLeft()];
    const run = await runBooking(h, { card });
    await expectSaga(h, run, {
      status: 'FAILED',
      steps: failedAt('payment'),
      compensations: unwindFrom('payment'),
      failure: { step: 'payment', type },
    });
    expect(compensationsOf(run.state)).toEqual(compensationsFrom('payment', { payment: 'NOTHING_TO_UNDO' }));
    expect([await seatsLeft(), await roomsLeft()]).toEqual([seats, rooms]);
    const rows = await serviceRows(h.tdb.dbs, run.input.bookingId);
    expect(rows.payment?.status).toBe('VOIDED');
    expect(rows.booking).toMatchObject({ failureStep: 'payment', failureType: type });
  });
});

describe('injected faults', () => {
  test.each(FORWARD_ACTIVITIES)('%s: fail is not retried and unwinds what ran', async (target) => {
    const failing = stepOf(target);
    const run = await runBooking(h, { faults: { [target]: 'fail' } });
    await expectSaga(h, run, {
      status: 'FAILED',
      steps: failedAt(failing),
      compensations: unwindFrom(failing),
      failure: { step: failing, type: 'InjectedFailure' },
    });
    expect(step(run.state, failing).attempts).toBe(1);
  });

  test.each(FORWARD_ACTIVITIES)('%s: transient:2 fails twice, then the booking completes', async (target) => {
    const run = await runBooking(h, { faults: { [target]: 'transient:2' } });
    await expectSaga(h, run, {
      status: 'CONFIRMED',
      steps: everyStep('DONE'),
      compensations: [],
    });
    expect(byStep(run.state, (s) => s.attempts)).toEqual(perStep((name) => (activityOf(name) === target ? 3 : 1)));
  });

  test('a transient fault past the retry budget (transient:5 on reserveHotel) fails the step', async () => {
    const run = await runBooking(h, { faults: { reserveHotel: 'transient:5' } });
    await expectSaga(h, run, {
      status: 'FAILED',
      steps: failedAt('hotel'),
      compensations: unwindFrom('hotel'),
      failure: { step: 'hotel', type: 'InjectedTransientFault' },
    });
    expect(step(run.state, 'hotel').attempts).toBe(3);
  });

  test.each(unwindFrom('payment'))('%s: transient:3 is retried until the compensation succeeds', async (target) => {
    const run = await runBooking(h, { card: CARDS.declined, faults: { [target]: 'transient:3' } });
    await expectSaga(h, run, {
      status: 'FAILED',
      steps: failedAt('payment'),
      compensations: unwindFrom('payment'),
      failure: { step: 'payment', type: 'CardDeclined' },
    });
    const undo = run.state.steps.find((s) => s.undo?.activity === target)?.undo;
    expect(undo).toMatchObject({ attempts: 4 });
  });
});

describe('outages, in skipped time', () => {
  test('a payment outage of 2 hours: the booking still completes', async () => {
    const run = await runBooking(h, { faults: { chargePayment: 'outage:2h' } });
    await expectSaga(h, run, {
      status: 'CONFIRMED',
      steps: everyStep('DONE'),
      compensations: [],
    });
    expect(step(run.state, 'payment').attempts).toBeGreaterThan(10);
    // The workflow's own clock saw the two hours go by.
    expect(Date.parse(run.state.updatedAt) - Date.parse(run.state.createdAt)).toBeGreaterThanOrEqual(2 * 3_600_000);
  });

  test('an outage longer than the retry budget (4 h > 3 h) compensates', async () => {
    const run = await runBooking(h, { faults: { chargePayment: 'outage:4h' } });
    await expectSaga(h, run, {
      status: 'FAILED',
      steps: failedAt('payment'),
      compensations: unwindFrom('payment'),
      failure: { step: 'payment', type: 'ServiceUnavailable' },
    });
    expect(run.state.failure?.message).toMatch(/^retry budget ran out; last error: chargePayment: service unavailable/);
  });
});

async function seatsLeft(): Promise<number> {
  const flight = await h.tdb.dbs.flights.flight.findFirstOrThrow({
    where: { flightNumber: 'TB100' },
    orderBy: { date: 'asc' },
    skip: 7,
  });
  return flight.seatsAvailable;
}

async function roomsLeft(): Promise<number> {
  return roomsFree(h.tdb.dbs, HOTEL);
}

describe('the BookingStatus search attribute', () => {
  test('follows every status change (PENDING → COMPENSATING → FAILED), so bookings can be listed by status', async () => {
    const run = await runBooking(h, { card: CARDS.declined });
    expect(run.state.status).toBe('FAILED');
    const history = await run.handle.fetchHistory();
    const upserts = (history.events ?? [])
      .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.BookingStatus?.data)
      .filter((data): data is Uint8Array => Boolean(data))
      .map((data) => JSON.parse(Buffer.from(data).toString('utf8')) as string);
    expect(upserts).toEqual(['PENDING', 'COMPENSATING', 'FAILED']);
    const { searchAttributes } = await run.handle.describe();
    expect(searchAttributes.BookingStatus).toEqual(['FAILED']);
  });
});
