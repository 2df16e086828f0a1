// The real activities on MockActivityEnvironment over a real PostgreSQL: idempotency keys,
// tombstones, races on one key, business failures, failure injection, the card vault and the
// read model. Every test ends by checking the invariants that always hold.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { toDbDate } from '../../src/common/dates.ts';
import { createActivities, type Activities } from '../../src/activities/index.ts';
import type { Databases } from '../../src/activities/databases.ts';
import { SOLD_OUT_FLIGHT, SOLD_OUT_HOTEL } from '../../src/booking/scenarios.ts';
import { tokenizeCard } from '../../src/activities/payments/vault.ts';
import type { BookingState } from '../../src/booking/booking.ts';
import { CARDS, FLIGHT, HOTEL, VAULT_KEY, daysFromNow } from '../helpers/booking.ts';
import { createTestDatabase, invariantViolations, roomsFree, serviceRows, type TestDatabase } from '../helpers/db.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const AMOUNT = 76_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let tdb: TestDatabase;
let dbs: Databases;
/** FAULT_INJECTION=off, as in production. */
let activities: Activities;
/** FAULT_INJECTION=on. */
let faulty: Activities;
let customerId: string;
let goodToken: string;

beforeAll(async () => {
  tdb = await createTestDatabase('activities');
  dbs = tdb.dbs;
  activities = createActivities({ dbs, faultInjection: false });
  faulty = createActivities({ dbs, faultInjection: true });
  customerId = `cust-${randomUUID().slice(0, 8)}`;
  goodToken = (await tokenizeCard(dbs.payments, VAULT_KEY, customerId, CARDS.good)).token;
});

afterAll(async () => {
  await tdb?.close();
});

afterEach(async () => {
  expect(await invariantViolations(dbs)).toEqual([]);
});

// ---------- helpers ----------

const quietLogger = new DefaultLogger('ERROR');

interface TypedEnv {
  env: MockActivityEnvironment;
  /** `env.run`, with the activity's result type (MockActivityEnvironment.run cannot infer it). */
  run<I, R>(fn: (input: I) => Promise<R>, input: I): Promise<R>;
}

/** A fresh activity context: attempt 1, scheduled at T0, unless told otherwise. */
function envFor(info: Partial<Info> = {}): TypedEnv {
  const env = new MockActivityEnvironment(
    {
      attempt: 1,
      startToCloseTimeoutMs: 10_000,
      scheduledTimestampMs: T0,
      currentAttemptScheduledTimestampMs: T0,
      ...info,
    },
    { logger: quietLogger },
  );
  return {
    env,
    run: <I, R>(fn: (input: I) => Promise<R>, input: I) => env.run<[I], R, (input: I) => Promise<R>>(fn, input),
  };
}

/** The ApplicationFailure a call rejected with; fails the test if it resolved. */
async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const outcome = await promise.then(
    (value) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(ApplicationFailure);
  return outcome.error as ApplicationFailure;
}

function expectFailure(
  failure: ApplicationFailure,
  expected: { type: string; nonRetryable: boolean; attempt: number },
): void {
  expect({ type: failure.type, nonRetryable: failure.nonRetryable, details: failure.details }).toEqual({
    type: expected.type,
    nonRetryable: expected.nonRetryable,
    details: [{ attempt: expected.attempt }],
  });
}

const flightInput = (bookingId: string, over: Partial<typeof FLIGHT> & { fault?: string } = {}) => ({
  bookingId,
  ...FLIGHT,
  ...over,
});
const hotelInput = (bookingId: string, over: Partial<typeof HOTEL> & { fault?: string } = {}) => ({
  bookingId,
  ...HOTEL,
  ...over,
});
const chargeInput = (bookingId: string, over: { token?: string; amountCents?: number; fault?: string } = {}) => ({
  bookingId,
  token: goodToken,
  amountCents: AMOUNT,
  currency: 'USD',
  ...over,
});

async function seatsLeft(flightNumber = FLIGHT.flightNumber, date = FLIGHT.date): Promise<number> {
  const flight = await dbs.flights.flight.findUniqueOrThrow({
    where: { flightNumber_date: { flightNumber, date: toDbDate(date) } },
  });
  return flight.seatsAvailable;
}

/** Rooms free on every night of a stay (HOTEL's by default). */
async function roomsLeft(stay: { hotelId?: string; checkIn?: string; checkOut?: string } = {}): Promise<number> {
  return roomsFree(dbs, { ...HOTEL, ...stay });
}

async function countRows(bookingId: string) {
  const [flights, hotels, payments] = await Promise.all([
    dbs.flights.flightReservation.count({ where: { bookingId } }),
    dbs.hotels.hotelReservation.count({ where: { bookingId } }),
    dbs.payments.payment.count({ where: { bookingId } }),
  ]);
  return { flights, hotels, payments };
}

// ---------- idempotency ----------

/** Books the flight on `date` with other bookings (9 seats at most each) until `leave` seats are left. */
async function fillFlight(date: string, leave: number): Promise<void> {
  for (
    let left = await seatsLeft(FLIGHT.flightNumber, date);
    left > leave;
    left = await seatsLeft(FLIGHT.flightNumber, date)
  ) {
    await envFor().run(activities.reserveFlight, flightInput(randomUUID(), { date, seats: Math.min(9, left - leave) }));
  }
}

describe('idempotency: one booking ID, one effect', () => {
  test('reserveFlight twice returns the same reservation, with the same seats, and takes the seats once', async () => {
    const bookingId = randomUUID();
    const before = await seatsLeft();
    const first = await envFor().run(activities.reserveFlight, flightInput(bookingId, { seats: 2 }));
    const second = await envFor({ attempt: 2 }).run(activities.reserveFlight, flightInput(bookingId, { seats: 2 }));
    expect(first).toEqual({
      reservationId: first.reservationId,
      priceCents: 44_000,
      currency: 'USD',
      seatNumbers: first.seatNumbers,
      attempt: 1,
    });
    expect(first.reservationId).toMatch(UUID);
    expect(first.seatNumbers).toHaveLength(2);
    expect(second).toEqual({ ...first, attempt: 2 });
    expect(await seatsLeft()).toBe(before - 2);
    const { flight } = await serviceRows(dbs, bookingId);
    expect(flight).toMatchObject({
      id: first.reservationId,
      status: 'RESERVED',
      seats: 2,
      priceCents: 44_000,
      seatNumbers: first.seatNumbers,
    });
    expect((await countRows(bookingId)).flights).toBe(1);
  });

  test('reserveFlight assigns seats with the reservation: preferred letters first, never a seat twice, even at once', async () => {
    const date = daysFromNow(23);
    const window = await envFor().run(
      activities.reserveFlight,
      flightInput(randomUUID(), { date, seats: 2, seatPreference: 'window' }),
    );
    for (const seat of window.seatNumbers) expect(seat).toMatch(/^\d+[AF]$/);
    const aisle = await envFor().run(
      activities.reserveFlight,
      flightInput(randomUUID(), { date, seats: 2, seatPreference: 'aisle' }),
    );
    for (const seat of aisle.seatNumbers) expect(seat).toMatch(/^\d+[CD]$/);
    // Eight bookings at once on the same flight: the flight row's lock gives each its own seats.
    const concurrent = await Promise.all(
      Array.from({ length: 8 }, () =>
        envFor().run(activities.reserveFlight, flightInput(randomUUID(), { date, seats: 3 })),
      ),
    );
    const all = [window, aisle, ...concurrent].flatMap((r) => r.seatNumbers);
    expect(all).toHaveLength(4 + 24);
    expect(new Set(all).size).toBe(all.length);
  });

  test('reserveHotel twice returns the same reservation and takes the rooms once', async () => {
    const bookingId = randomUUID();
    const before = await roomsLeft();
    const first = await envFor().run(activities.reserveHotel, hotelInput(bookingId));
    const second = await envFor({ attempt: 2 }).run(activities.reserveHotel, hotelInput(bookingId));
    expect(first.reservationId).toMatch(UUID);
    expect(first).toEqual({
      reservationId: first.reservationId,
      nights: 3,
      priceCents: 54_000,
      currency: 'USD',
      attempt: 1,
    });
    expect(second).toEqual({ ...first, attempt: 2 });
    expect(await roomsLeft()).toBe(before - 1);
    const { hotel } = await serviceRows(dbs, bookingId);
    expect(hotel).toMatchObject({
      id: first.reservationId,
      status: 'RESERVED',
      rooms: 1,
      nights: 3,
      priceCents: 54_000,
    });
    expect((await countRows(bookingId)).hotels).toBe(1);
  });

  test('chargePayment twice charges once: one payments row, the same payment ID', async () => {
    const bookingId = randomUUID();
    const first = await envFor().run(activities.chargePayment, chargeInput(bookingId));
    const second = await envFor({ attempt: 2 }).run(activities.chargePayment, chargeInput(bookingId));
    expect(first).toEqual({ paymentId: first.paymentId, amountCents: AMOUNT, currency: 'USD', attempt: 1 });
    expect(first.paymentId).toMatch(UUID);
    expect(second).toEqual({ ...first, attempt: 2 });
    const { payment } = await serviceRows(dbs, bookingId);
    expect(payment).toMatchObject({
      id: first.paymentId,
      status: 'CAPTURED',
      amountCents: AMOUNT,
      paymentMethodToken: goodToken,
    });
    expect((await countRows(bookingId)).payments).toBe(1);
  });

  test('cancelFlight twice: both UNDONE, the seats come back exactly once', async () => {
    const bookingId = randomUUID();
    const before = await seatsLeft();
    const { reservationId } = await envFor().run(activities.reserveFlight, flightInput(bookingId, { seats: 3 }));
    expect(await seatsLeft()).toBe(before - 3);
    const first = await envFor().run(activities.cancelFlight, { bookingId });
    const second = await envFor({ attempt: 2 }).run(activities.cancelFlight, { bookingId });
    expect(first).toEqual({ outcome: 'UNDONE', reference: reservationId, attempt: 1 });
    expect(second).toEqual({ outcome: 'UNDONE', reference: reservationId, attempt: 2 });
    expect(await seatsLeft()).toBe(before);
    const { flight } = await serviceRows(dbs, bookingId);
    expect(flight).toMatchObject({ id: reservationId, status: 'CANCELLED' });
    expect(flight?.cancelledAt).toBeInstanceOf(Date);
  });

  test('cancelHotel twice: both UNDONE, the rooms come back exactly once', async () => {
    const bookingId = randomUUID();
    const before = await roomsLeft();
    const { reservationId } = await envFor().run(activities.reserveHotel, hotelInput(bookingId, { rooms: 2 }));
    expect(await roomsLeft()).toBe(before - 2);
    const first = await envFor().run(activities.cancelHotel, { bookingId });
    const second = await envFor({ attempt: 2 }).run(activities.cancelHotel, { bookingId });
    expect(first).toEqual({ outcome: 'UNDONE', reference: reservationId, attempt: 1 });
    expect(second).toEqual({ outcome: 'UNDONE', reference: reservationId, attempt: 2 });
    expect(await roomsLeft()).toBe(before);
    expect((await serviceRows(dbs, bookingId)).hotel).toMatchObject({ id: reservationId, status: 'CANCELLED' });
  });

  test('refundPayment twice: both UNDONE, the payment is REFUNDED once and not charged again', async () => {
    const bookingId = randomUUID();
    const { paymentId } = await envFor().run(activities.chargePayment, chargeInput(bookingId));
    const first = await envFor().run(activities.refundPayment, { bookingId });
    const second = await envFor({ attempt: 2 }).run(activities.refundPayment, { bookingId });
    expect(first).toEqual({ outcome: 'UNDONE', reference: paymentId, attempt: 1 });
    expect(second).toEqual({ outcome: 'UNDONE', reference: paymentId, attempt: 2 });
    const { payment } = await serviceRows(dbs, bookingId);
    expect(payment).toMatchObject({ id: paymentId, status: 'REFUNDED', amountCents: AMOUNT });
    expect(payment?.refundedAt).toBeInstanceOf(Date);
    expect((await countRows(bookingId)).payments).toBe(1);
    // The second refund touched nothing: the first refund's time stands.
    const third = await envFor({ attempt: 3 }).run(activities.refundPayment, { bookingId });
    expect(third.outcome).toBe('UNDONE');
    expect((await serviceRows(dbs, bookingId)).payment?.refundedAt).toEqual(payment?.refundedAt);
    // A charge retried after its refund takes nothing.
    const late = await failureOf(envFor({ attempt: 3 }).run(activities.chargePayment, chargeInput(bookingId)));
    expectFailure(late, { type: 'AlreadyCompensated', nonRetryable: true, attempt: 3 });
    expect((await serviceRows(dbs, bookingId)).payment?.status).toBe('REFUNDED');
  });

  test('a reserve retried after its cancel books nothing', async () => {
    const bookingId = randomUUID();
    const before = await seatsLeft();
    await envFor().run(activities.reserveFlight, flightInput(bookingId));
    await envFor().run(activities.cancelFlight, { bookingId });
    const late = await failureOf(envFor({ attempt: 2 }).run(activities.reserveFlight, flightInput(bookingId)));
    expectFailure(late, { type: 'AlreadyCompensated', nonRetryable: true, attempt: 2 });
    expect(await seatsLeft()).toBe(before);
    expect((await serviceRows(dbs, bookingId)).flight?.status).toBe('CANCELLED');
  });
});

// ---------- tombstones ----------

describe('tombstones: an undo that arrives before its step', () => {
  test('cancelFlight first leaves a VOIDED row; the late reserveFlight fails AlreadyCompensated and takes no seat', async () => {
    const bookingId = randomUUID();
    const before = await seatsLeft();
    const undo = await envFor().run(activities.cancelFlight, { bookingId });
    expect(undo).toEqual({ outcome: 'NOTHING_TO_UNDO', attempt: 1 });
    expect((await serviceRows(dbs, bookingId)).flight).toMatchObject({ status: 'VOIDED', seats: 0, flightId: null });

    const late = await failureOf(envFor().run(activities.reserveFlight, flightInput(bookingId)));
    expectFailure(late, { type: 'AlreadyCompensated', nonRetryable: true, attempt: 1 });
    expect(await seatsLeft()).toBe(before);
    expect((await serviceRows(dbs, bookingId)).flight?.status).toBe('VOIDED');
    expect((await countRows(bookingId)).flights).toBe(1);

    // Cancelling again is still nothing to undo.
    expect(await envFor({ attempt: 2 }).run(activities.cancelFlight, { bookingId })).toEqual({
      outcome: 'NOTHING_TO_UNDO',
      attempt: 2,
    });
  });

  test('cancelHotel first leaves a VOIDED row; the late reserveHotel fails AlreadyCompensated and takes no room', async () => {
    const bookingId = randomUUID();
    const before = await roomsLeft();
    expect(await envFor().run(activities.cancelHotel, { bookingId })).toEqual({
      outcome: 'NOTHING_TO_UNDO',
      attempt: 1,
    });
    expect((await serviceRows(dbs, bookingId)).hotel).toMatchObject({ status: 'VOIDED', rooms: 0, hotelId: null });

    const late = await failureOf(envFor().run(activities.reserveHotel, hotelInput(bookingId)));
    expectFailure(late, { type: 'AlreadyCompensated', nonRetryable: true, attempt: 1 });
    expect(await roomsLeft()).toBe(before);
    expect((await serviceRows(dbs, bookingId)).hotel?.status).toBe('VOIDED');
  });

  test('refundPayment first leaves a VOIDED row; the late chargePayment fails AlreadyCompensated and charges nothing', async () => {
    const bookingId = randomUUID();
    expect(await envFor().run(activities.refundPayment, { bookingId })).toEqual({
      outcome: 'NOTHING_TO_UNDO',
      attempt: 1,
    });
    expect((await serviceRows(dbs, bookingId)).payment).toMatchObject({
      status: 'VOIDED',
      amountCents: 0,
      paymentMethodToken: null,
    });

    const late = await failureOf(envFor().run(activities.chargePayment, chargeInput(bookingId)));
    expectFailure(late, { type: 'AlreadyCompensated', nonRetryable: true, attempt: 1 });
    const { payment } = await serviceRows(dbs, bookingId);
    expect(payment).toMatchObject({ status: 'VOIDED', amountCents: 0 });
    expect(await dbs.payments.payment.count({ where: { bookingId, status: 'CAPTURED' } })).toBe(0);
  });
});

// ---------- concurrency ----------

describe('concurrent calls with one booking ID', () => {
  test.each([2, 10])('%i concurrent reserveFlight calls make one reservation and take the seats once', async (n) => {
    const bookingId = randomUUID();
    const before = await seatsLeft();
    const results = await Promise.all(
      Array.from({ length: n }, () => envFor().run(activities.reserveFlight, flightInput(bookingId, { seats: 2 }))),
    );
    const ids = new Set(results.map((r) => r.reservationId));
    expect(ids.size).toBe(1);
    expect(results.every((r) => r.priceCents === 44_000)).toBe(true);
    expect(await seatsLeft()).toBe(before - 2);
    expect((await countRows(bookingId)).flights).toBe(1);
    expect((await serviceRows(dbs, bookingId)).flight).toMatchObject({ id: [...ids][0], status: 'RESERVED', seats: 2 });
  });

  test('10 concurrent reserveHotel calls make one reservation and take the rooms once', async () => {
    const bookingId = randomUUID();
    const before = await roomsLeft();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => envFor().run(activities.reserveHotel, hotelInput(bookingId))),
    );
    expect(new Set(results.map((r) => r.reservationId)).size).toBe(1);
    expect(await roomsLeft()).toBe(before - 1);
    expect((await countRows(bookingId)).hotels).toBe(1);
  });

  test.each([2, 10])('%i concurrent chargePayment calls charge once', async (n) => {
    const bookingId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: n }, () => envFor().run(activities.chargePayment, chargeInput(bookingId))),
    );
    const ids = new Set(results.map((r) => r.paymentId));
    expect(ids.size).toBe(1);
    expect(results.every((r) => r.amountCents === AMOUNT)).toBe(true);
    expect((await countRows(bookingId)).payments).toBe(1);
    expect((await serviceRows(dbs, bookingId)).payment).toMatchObject({ id: [...ids][0], status: 'CAPTURED' });
  });

  test('concurrent reserves with different booking IDs never oversell a flight', async () => {
    const date = daysFromNow(21);
    // Leave two seats, then let five bookings race for one seat each.
    await fillFlight(date, 2);
    const settled = await Promise.allSettled(
      Array.from({ length: 5 }, () => envFor().run(activities.reserveFlight, flightInput(randomUUID(), { date }))),
    );
    const won = settled.filter((s) => s.status === 'fulfilled');
    const lost = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(won).toHaveLength(2);
    for (const { reason } of lost)
      expectFailure(reason as ApplicationFailure, { type: 'FlightSoldOut', nonRetryable: true, attempt: 1 });
    expect(await seatsLeft(FLIGHT.flightNumber, date)).toBe(0);
  });

  test('concurrent chargePayment and refundPayment end consistently: a refund or a tombstone', async () => {
    for (let round = 0; round < 6; round++) {
      const bookingId = randomUUID();
      // Alternate which call starts first to exercise both interleavings.
      const start = {
        charge: () => envFor().run(activities.chargePayment, chargeInput(bookingId)),
        refund: () => envFor().run(activities.refundPayment, { bookingId }),
      };
      let charge: ReturnType<typeof start.charge>;
      let refund: ReturnType<typeof start.refund>;
      if (round % 2 === 0) {
        charge = start.charge();
        refund = start.refund();
      } else {
        refund = start.refund();
        charge = start.charge();
      }
      const [charged, refunded] = await Promise.allSettled([charge, refund]);
      expect(refunded.status).toBe('fulfilled');
      if (refunded.status !== 'fulfilled') throw refunded.reason;
      const undo = refunded.value;
      const { payment } = await serviceRows(dbs, bookingId);
      if (charged.status === 'fulfilled') {
        const { paymentId } = charged.value;
        expect(undo).toMatchObject({ outcome: 'UNDONE', reference: paymentId });
        expect(payment).toMatchObject({ id: paymentId, status: 'REFUNDED' });
      } else {
        expectFailure(charged.reason as ApplicationFailure, {
          type: 'AlreadyCompensated',
          nonRetryable: true,
          attempt: 1,
        });
        expect(undo).toMatchObject({ outcome: 'NOTHING_TO_UNDO' });
        expect(payment).toMatchObject({ status: 'VOIDED', amountCents: 0 });
      }
      expect((await countRows(bookingId)).payments).toBe(1);
    }
  });

  test('a retried reserveFlight racing its cancelFlight: consistent, and a lost race is only ever retryable', async () => {
    // The reserve locks the flight, then the reservation; the cancel locks the reservation, then
    // the flight. PostgreSQL may break that cycle by aborting one of them (deadlock detected):
    // that must surface as a retryable failure that a retry completes, never as a business failure.
    for (let round = 0; round < 3; round++) {
      const bookingId = randomUUID();
      const before = await seatsLeft();
      const { reservationId } = await envFor().run(activities.reserveFlight, flightInput(bookingId));
      const [retried, cancelled] = await Promise.allSettled([
        envFor({ attempt: 2 }).run(activities.reserveFlight, flightInput(bookingId)),
        envFor().run(activities.cancelFlight, { bookingId }),
      ]);
      if (retried.status === 'fulfilled') expect(retried.value.reservationId).toBe(reservationId);
      else {
        const failure = retried.reason as ApplicationFailure;
        expect(failure).toBeInstanceOf(ApplicationFailure);
        if (failure.type !== 'AlreadyCompensated') expect(failure.nonRetryable).toBe(false);
      }
      if (cancelled.status === 'rejected') {
        expect(cancelled.reason).toBeInstanceOf(ApplicationFailure);
        expect((cancelled.reason as ApplicationFailure).nonRetryable).toBe(false);
        // The workflow retries the compensation; the retry finishes the job.
        expect(await envFor({ attempt: 2 }).run(activities.cancelFlight, { bookingId })).toMatchObject({
          outcome: 'UNDONE',
          reference: reservationId,
        });
      } else {
        expect(cancelled.value).toMatchObject({ outcome: 'UNDONE', reference: reservationId });
      }
      expect((await serviceRows(dbs, bookingId)).flight).toMatchObject({ id: reservationId, status: 'CANCELLED' });
      expect(await seatsLeft()).toBe(before);
    }
  });

  test('concurrent reserveFlight and cancelFlight end consistently: a cancelled reservation or a tombstone', async () => {
    // Which call wins is up to PostgreSQL's scheduling, so each round asserts that whichever outcome
    // it got is consistent (both are also forced, one at a time, by the tests above).
    for (let round = 0; round < 6; round++) {
      const bookingId = randomUUID();
      const before = await seatsLeft();
      // Alternate which call starts first.
      const calls =
        round % 2 === 0
          ? ([
              envFor().run(activities.reserveFlight, flightInput(bookingId)),
              envFor().run(activities.cancelFlight, { bookingId }),
            ] as const)
          : ([
              envFor().run(activities.cancelFlight, { bookingId }),
              envFor().run(activities.reserveFlight, flightInput(bookingId)),
            ] as const);
      const settled = await Promise.allSettled(calls);
      const reserve = settled[round % 2 === 0 ? 0 : 1];
      const cancel = settled[round % 2 === 0 ? 1 : 0];
      expect(cancel.status).toBe('fulfilled');
      const undo = (cancel as PromiseFulfilledResult<{ outcome: string; reference?: string }>).value;
      const { flight } = await serviceRows(dbs, bookingId);
      if (reserve.status === 'fulfilled') {
        // The reserve won: the cancel found it and gave the seat back.
        const { reservationId } = reserve.value as { reservationId: string };
        expect(undo).toMatchObject({ outcome: 'UNDONE', reference: reservationId });
        expect(flight).toMatchObject({ id: reservationId, status: 'CANCELLED' });
      } else {
        // The cancel won: it left a tombstone and the reserve booked nothing.
        expectFailure(reserve.reason as ApplicationFailure, {
          type: 'AlreadyCompensated',
          nonRetryable: true,
          attempt: 1,
        });
        expect(undo).toMatchObject({ outcome: 'NOTHING_TO_UNDO' });
        expect(flight?.status).toBe('VOIDED');
      }
      expect(await seatsLeft()).toBe(before);
      expect((await countRows(bookingId)).flights).toBe(1);
      expect(await invariantViolations(dbs)).toEqual([]);
    }
  });
});

// ---------- business failures ----------

describe('business failures have explicit types and are not retried', () => {
  test('FlightNotFound: an unknown flight number, no row written', async () => {
    const bookingId = randomUUID();
    const failure = await failureOf(
      envFor({ attempt: 2 }).run(activities.reserveFlight, flightInput(bookingId, { flightNumber: 'XX999' })),
    );
    expectFailure(failure, { type: 'FlightNotFound', nonRetryable: true, attempt: 2 });
    expect(failure.message).toContain('XX999');
    expect((await countRows(bookingId)).flights).toBe(0);
  });

  test('FlightNotFound: a date outside the schedule', async () => {
    const failure = await failureOf(
      envFor().run(activities.reserveFlight, flightInput(randomUUID(), { date: daysFromNow(400) })),
    );
    expectFailure(failure, { type: 'FlightNotFound', nonRetryable: true, attempt: 1 });
  });

  test('FlightSoldOut: the seeded sold-out flight, seats unchanged', async () => {
    const bookingId = randomUUID();
    const before = await seatsLeft(SOLD_OUT_FLIGHT);
    expect(before).toBe(0);
    const failure = await failureOf(
      envFor().run(activities.reserveFlight, flightInput(bookingId, { flightNumber: SOLD_OUT_FLIGHT })),
    );
    expectFailure(failure, { type: 'FlightSoldOut', nonRetryable: true, attempt: 1 });
    expect(await seatsLeft(SOLD_OUT_FLIGHT)).toBe(0);
    expect((await countRows(bookingId)).flights).toBe(0);
  });

  test('FlightSoldOut: more seats than are left, nothing taken', async () => {
    const bookingId = randomUUID();
    const date = daysFromNow(22);
    await fillFlight(date, 3);
    const failure = await failureOf(envFor().run(activities.reserveFlight, flightInput(bookingId, { date, seats: 4 })));
    expectFailure(failure, { type: 'FlightSoldOut', nonRetryable: true, attempt: 1 });
    expect(await seatsLeft(FLIGHT.flightNumber, date)).toBe(3);
    expect((await countRows(bookingId)).flights).toBe(0);
  });

  test('HotelNotFound', async () => {
    const bookingId = randomUUID();
    const failure = await failureOf(
      envFor().run(activities.reserveHotel, hotelInput(bookingId, { hotelId: 'HTL-NOWHERE' })),
    );
    expectFailure(failure, { type: 'HotelNotFound', nonRetryable: true, attempt: 1 });
    expect((await countRows(bookingId)).hotels).toBe(0);
  });

  test('HotelSoldOut: the seeded fully booked hotel, rooms unchanged', async () => {
    const bookingId = randomUUID();
    expect(await roomsLeft({ hotelId: SOLD_OUT_HOTEL })).toBe(0);
    const failure = await failureOf(
      envFor().run(activities.reserveHotel, hotelInput(bookingId, { hotelId: SOLD_OUT_HOTEL })),
    );
    expectFailure(failure, { type: 'HotelSoldOut', nonRetryable: true, attempt: 1 });
    expect(await roomsLeft({ hotelId: SOLD_OUT_HOTEL })).toBe(0);
    expect((await countRows(bookingId)).hotels).toBe(0);
  });

  test('CardDeclined: the sandbox decline number, nothing charged', async () => {
    const bookingId = randomUUID();
    const card = await tokenizeCard(dbs.payments, VAULT_KEY, customerId, CARDS.declined);
    const failure = await failureOf(
      envFor().run(activities.chargePayment, chargeInput(bookingId, { token: card.token })),
    );
    expectFailure(failure, { type: 'CardDeclined', nonRetryable: true, attempt: 1 });
    expect(failure.message).toContain('0002');
    expect((await countRows(bookingId)).payments).toBe(0);
  });

  test('CardExpired: a card that expired 12/19, nothing charged', async () => {
    const bookingId = randomUUID();
    const card = await tokenizeCard(dbs.payments, VAULT_KEY, customerId, CARDS.expired);
    expect(card).toMatchObject({ expMonth: 12, expYear: 2019 });
    const failure = await failureOf(
      envFor().run(activities.chargePayment, chargeInput(bookingId, { token: card.token })),
    );
    expectFailure(failure, { type: 'CardExpired', nonRetryable: true, attempt: 1 });
    expect(failure.message).toContain('12/19');
    expect((await countRows(bookingId)).payments).toBe(0);
  });

  test('CardExpired follows the injected clock: good through the last day of its month', async () => {
    const card = await tokenizeCard(dbs.payments, VAULT_KEY, customerId, { ...CARDS.good, expMonth: 6, expYear: 2031 });
    const at = (iso: string) => createActivities({ dbs, faultInjection: false, now: () => new Date(iso) });
    const ok = await envFor().run(
      at('2031-06-30T23:59:59Z').chargePayment,
      chargeInput(randomUUID(), { token: card.token }),
    );
    expect(ok.amountCents).toBe(AMOUNT);
    const bookingId = randomUUID();
    const failure = await failureOf(
      envFor().run(at('2031-07-01T00:00:00Z').chargePayment, chargeInput(bookingId, { token: card.token })),
    );
    expectFailure(failure, { type: 'CardExpired', nonRetryable: true, attempt: 1 });
    expect((await countRows(bookingId)).payments).toBe(0);
  });

  test('PaymentMethodNotFound: an unknown token, nothing charged', async () => {
    const bookingId = randomUUID();
    const failure = await failureOf(
      envFor().run(activities.chargePayment, chargeInput(bookingId, { token: 'pm_nope' })),
    );
    expectFailure(failure, { type: 'PaymentMethodNotFound', nonRetryable: true, attempt: 1 });
    expect((await countRows(bookingId)).payments).toBe(0);
  });
});

// ---------- failure injection ----------

describe('failure injection', () => {
  test.each([
    ['reserveFlight', (id: string) => flightInput(id, { fault: 'fail' })],
    ['reserveHotel', (id: string) => hotelInput(id, { fault: 'fail' })],
    ['chargePayment', (id: string) => chargeInput(id, { fault: 'fail' })],
    ['cancelFlight', (id: string) => ({ bookingId: id, fault: 'fail' })],
    ['cancelHotel', (id: string) => ({ bookingId: id, fault: 'fail' })],
    ['refundPayment', (id: string) => ({ bookingId: id, fault: 'fail' })],
  ] as const)('%s with `fail` throws a non-retryable InjectedFailure and writes no row', async (name, input) => {
    const bookingId = randomUUID();
    const seats = await seatsLeft();
    const rooms = await roomsLeft();
    const fn = faulty[name] as (i: ReturnType<typeof input>) => Promise<unknown>;
    const failure = await failureOf(envFor({ attempt: 3 }).run(fn, input(bookingId)));
    expectFailure(failure, { type: 'InjectedFailure', nonRetryable: true, attempt: 3 });
    expect(failure.message).toContain(name);
    expect(await countRows(bookingId)).toEqual({ flights: 0, hotels: 0, payments: 0 });
    expect(await seatsLeft()).toBe(seats);
    expect(await roomsLeft()).toBe(rooms);
  });

  test('`transient:2` fails retryably on attempts 1 and 2, then succeeds on attempt 3', async () => {
    const bookingId = randomUUID();
    const before = await seatsLeft();
    const input = flightInput(bookingId, { fault: 'transient:2' });
    for (const attempt of [1, 2]) {
      const failure = await failureOf(envFor({ attempt }).run(faulty.reserveFlight, input));
      expectFailure(failure, { type: 'InjectedTransientFault', nonRetryable: false, attempt });
      expect(failure.message).toContain(`${attempt} of 2`);
      expect((await countRows(bookingId)).flights).toBe(0);
      expect(await seatsLeft()).toBe(before);
    }
    const result = await envFor({ attempt: 3 }).run(faulty.reserveFlight, input);
    expect(result).toMatchObject({ attempt: 3, priceCents: 22_000 });
    expect(await seatsLeft()).toBe(before - 1);
    expect((await serviceRows(dbs, bookingId)).flight).toMatchObject({ id: result.reservationId, status: 'RESERVED' });
  });

  test('`transient:2` on an undo: the cancel runs on attempt 3', async () => {
    const bookingId = randomUUID();
    const before = await roomsLeft();
    await envFor().run(activities.reserveHotel, hotelInput(bookingId));
    for (const attempt of [1, 2]) {
      const failure = await failureOf(envFor({ attempt }).run(faulty.cancelHotel, { bookingId, fault: 'transient:2' }));
      expectFailure(failure, { type: 'InjectedTransientFault', nonRetryable: false, attempt });
      expect((await serviceRows(dbs, bookingId)).hotel?.status).toBe('RESERVED');
    }
    const undo = await envFor({ attempt: 3 }).run(faulty.cancelHotel, { bookingId, fault: 'transient:2' });
    expect(undo).toMatchObject({ outcome: 'UNDONE', attempt: 3 });
    expect(await roomsLeft()).toBe(before);
  });

  test('`outage:2h` fails with a retryable ServiceUnavailable until two hours after the first attempt', async () => {
    const bookingId = randomUUID();
    const input = chargeInput(bookingId, { fault: 'outage:2h' });
    const cases = [
      { attempt: 1, elapsed: 0 },
      { attempt: 5, elapsed: HOUR },
      { attempt: 9, elapsed: 2 * HOUR - 1 },
    ];
    for (const { attempt, elapsed } of cases) {
      const failure = await failureOf(
        envFor({ attempt, scheduledTimestampMs: T0, currentAttemptScheduledTimestampMs: T0 + elapsed }).run(
          faulty.chargePayment,
          input,
        ),
      );
      expectFailure(failure, { type: 'ServiceUnavailable', nonRetryable: false, attempt });
      expect((await countRows(bookingId)).payments).toBe(0);
    }
    const result = await envFor({
      attempt: 10,
      scheduledTimestampMs: T0,
      currentAttemptScheduledTimestampMs: T0 + 2 * HOUR,
    }).run(faulty.chargePayment, input);
    expect(result).toMatchObject({ attempt: 10, amountCents: AMOUNT });
    expect((await serviceRows(dbs, bookingId)).payment).toMatchObject({ id: result.paymentId, status: 'CAPTURED' });
  });

  test('with failure injection off, every fault is ignored', async () => {
    const seats = await seatsLeft();
    const rooms = await roomsLeft();
    const outOfOutage = { attempt: 1, scheduledTimestampMs: T0, currentAttemptScheduledTimestampMs: T0 };
    for (const fault of ['fail', 'transient:2', 'outage:2h']) {
      const bookingId = randomUUID();
      const flight = await envFor(outOfOutage).run(activities.reserveFlight, flightInput(bookingId, { fault }));
      const hotel = await envFor(outOfOutage).run(activities.reserveHotel, hotelInput(bookingId, { fault }));
      const charge = await envFor(outOfOutage).run(
        activities.chargePayment,
        chargeInput(bookingId, { fault, amountCents: flight.priceCents + hotel.priceCents }),
      );
      expect([flight.attempt, hotel.attempt, charge.attempt]).toEqual([1, 1, 1]);
      const rows = await serviceRows(dbs, bookingId);
      expect([rows.flight?.status, rows.hotel?.status, rows.payment?.status]).toEqual([
        'RESERVED',
        'RESERVED',
        'CAPTURED',
      ]);
      expect(await envFor().run(activities.refundPayment, { bookingId, fault })).toMatchObject({ outcome: 'UNDONE' });
      expect(await envFor().run(activities.cancelHotel, { bookingId, fault })).toMatchObject({ outcome: 'UNDONE' });
      expect(await envFor().run(activities.cancelFlight, { bookingId, fault })).toMatchObject({ outcome: 'UNDONE' });
    }
    expect(await seatsLeft()).toBe(seats);
    expect(await roomsLeft()).toBe(rooms);
  });

  test('`timeout` does the work and commits it before answering late', async () => {
    const bookingId = randomUUID();
    const before = await seatsLeft();
    const started = Date.now();
    const pending = envFor({ attempt: 1, startToCloseTimeoutMs: 1 }).run(
      faulty.reserveFlight,
      flightInput(bookingId, { fault: 'timeout' }),
    );
    // Committed while the activity is still sleeping past its timeout.
    await expect
      .poll(async () => (await serviceRows(dbs, bookingId)).flight?.status, { timeout: 900 })
      .toBe('RESERVED');
    const first = await pending;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    // The retry (attempt 2 > times 1) answers at once with the same reservation.
    const retry = await envFor({ attempt: 2 }).run(faulty.reserveFlight, flightInput(bookingId, { fault: 'timeout' }));
    expect(retry).toEqual({ ...first, attempt: 2 });
    expect(await seatsLeft()).toBe(before - 1);
  });

  test('an unknown fault mode is ignored even with failure injection on', async () => {
    const bookingId = randomUUID();
    const result = await envFor().run(faulty.reserveFlight, flightInput(bookingId, { fault: 'explode' }));
    expect(result.attempt).toBe(1);
    expect((await serviceRows(dbs, bookingId)).flight?.status).toBe('RESERVED');
  });
});

// ---------- the card vault ----------

describe('the tokenizer', () => {
  test('the same customer, card and expiry give the same token and one row', async () => {
    const customer = `cust-${randomUUID().slice(0, 8)}`;
    const first = await tokenizeCard(dbs.payments, VAULT_KEY, customer, CARDS.good);
    const again = await tokenizeCard(dbs.payments, VAULT_KEY, customer, CARDS.good);
    const twoDigitYear = await tokenizeCard(dbs.payments, VAULT_KEY, customer, {
      ...CARDS.good,
      expYear: CARDS.good.expYear % 100,
    });
    expect(again).toEqual(first);
    expect(twoDigitYear.token).toBe(first.token);
    expect(first.token).toMatch(/^pm_[0-9a-f]{24}$/);
    expect(first).toEqual({
      token: first.token,
      brand: 'visa',
      last4: '4242',
      expMonth: 12,
      expYear: CARDS.good.expYear,
    });
    expect(await dbs.payments.paymentMethod.count({ where: { customerId: customer } })).toBe(1);
  });

  test('concurrent tokenizations of one card make one row', async () => {
    const customer = `cust-${randomUUID().slice(0, 8)}`;
    const cards = await Promise.all(
      Array.from({ length: 5 }, () => tokenizeCard(dbs.payments, VAULT_KEY, customer, CARDS.good)),
    );
    expect(new Set(cards.map((c) => c.token)).size).toBe(1);
    expect(await dbs.payments.paymentMethod.count({ where: { customerId: customer } })).toBe(1);
  });

  test('another expiry, customer or card gives another token', async () => {
    const customer = `cust-${randomUUID().slice(0, 8)}`;
    const base = await tokenizeCard(dbs.payments, VAULT_KEY, customer, CARDS.good);
    const otherExpiry = await tokenizeCard(dbs.payments, VAULT_KEY, customer, { ...CARDS.good, expMonth: 11 });
    const otherCustomer = await tokenizeCard(dbs.payments, VAULT_KEY, `${customer}-b`, CARDS.good);
    const otherCard = await tokenizeCard(dbs.payments, VAULT_KEY, customer, CARDS.declined);
    expect(new Set([base, otherExpiry, otherCustomer, otherCard].map((c) => c.token)).size).toBe(4);
  });

  test('no column of payment_methods holds the card number or the CVC', async () => {
    // No digits in the customer ID: a random one could hold the CVC's digits by chance.
    const customer = `cust-${randomUUID().slice(0, 8).replace(/\d/g, 'x')}`;
    const card = { number: '5555555555554444', expMonth: 8, expYear: 2031, cvc: '987' };
    const { token } = await tokenizeCard(dbs.payments, VAULT_KEY, customer, card);
    const [row] = await dbs.payments.$queryRaw<
      Record<string, unknown>[]
    >`SELECT * FROM payment_methods WHERE token = ${token}`;
    expect(row).toBeDefined();
    const json = JSON.stringify(row);
    expect(json).not.toContain(card.number);
    expect(json).not.toContain(card.number.slice(0, 12));
    // The random token, the hex fingerprint and the timestamp can hold any digits by chance; every
    // other column must not hold the CVC, and those three must be what they claim to be.
    const { token: t, fingerprint, created_at: createdAt, ...rest } = row!;
    expect(t).toMatch(/^pm_[0-9a-f]{24}$/);
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(createdAt).toBeInstanceOf(Date);
    expect(JSON.stringify(rest)).not.toContain(card.cvc);
    expect(Object.values(row!).map(String)).not.toContain(card.cvc);
    expect(rest).toMatchObject({
      customer_id: customer,
      brand: 'mastercard',
      last4: '4444',
      exp_month: 8,
      exp_year: 2031,
    });
  });
});

// ---------- the read model ----------

describe('syncBooking', () => {
  function state(bookingId: string, version: number, status: BookingState['status']): BookingState {
    return {
      bookingId,
      customerId: 'cust-read-model',
      status,
      currentStep: status === 'PENDING' ? 'hotel' : null,
      steps: [],
      compensations: [],
      cancelRequested: false,
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0 + version * 1_000).toISOString(),
      version,
    };
  }

  test('an older version never overwrites a newer one', async () => {
    const bookingId = randomUUID();
    await activities.syncBooking(state(bookingId, 1, 'PENDING'));
    expect(await dbs.booking.booking.findUnique({ where: { id: bookingId } })).toMatchObject({
      version: 1n,
      status: 'PENDING',
    });

    await activities.syncBooking(state(bookingId, 3, 'COMPENSATING'));
    await activities.syncBooking(state(bookingId, 2, 'PENDING'));
    const row = await dbs.booking.booking.findUniqueOrThrow({ where: { id: bookingId } });
    expect(row).toMatchObject({ version: 3n, status: 'COMPENSATING', currentStep: null });
    expect((row.state as unknown as BookingState).version).toBe(3);
    expect(row.updatedAt.toISOString()).toBe(new Date(T0 + 3_000).toISOString());

    // The same version again changes nothing either.
    await activities.syncBooking({ ...state(bookingId, 3, 'PENDING') });
    expect(await dbs.booking.booking.findUniqueOrThrow({ where: { id: bookingId } })).toMatchObject({
      version: 3n,
      status: 'COMPENSATING',
    });

    await activities.syncBooking(state(bookingId, 4, 'COMPENSATION_FAILED'));
    expect(await dbs.booking.booking.findUniqueOrThrow({ where: { id: bookingId } })).toMatchObject({
      version: 4n,
      status: 'COMPENSATION_FAILED',
    });
    expect(await dbs.booking.booking.count({ where: { id: bookingId } })).toBe(1);
  });

  test('a first sync that arrives late still creates the row, and the newest wins regardless of order', async () => {
    const bookingId = randomUUID();
    const versions = [5, 2, 7, 1, 6, 3];
    await Promise.all(
      versions.map((v) => activities.syncBooking(state(bookingId, v, v === 7 ? 'COMPENSATING' : 'PENDING'))),
    );
    expect(await dbs.booking.booking.findUniqueOrThrow({ where: { id: bookingId } })).toMatchObject({
      version: 7n,
      status: 'COMPENSATING',
    });
  });
});

describe('services validate their own input (the workflow can be started without the API)', () => {
  test.each([
    [
      'reserveHotel with checkOut before checkIn',
      (a: Activities, bookingId: string) =>
        new MockActivityEnvironment().run(a.reserveHotel, {
          bookingId,
          hotelId: 'HTL-TOKYO-SHINJUKU',
          checkIn: daysFromNow(9),
          checkOut: daysFromNow(7),
          rooms: 1,
        }),
    ],
    [
      'reserveHotel with 0 rooms',
      (a: Activities, bookingId: string) =>
        new MockActivityEnvironment().run(a.reserveHotel, {
          bookingId,
          hotelId: 'HTL-TOKYO-SHINJUKU',
          checkIn: daysFromNow(7),
          checkOut: daysFromNow(9),
          rooms: 0,
        }),
    ],
    [
      'reserveFlight with 0 seats',
      (a: Activities, bookingId: string) =>
        new MockActivityEnvironment().run(a.reserveFlight, {
          bookingId,
          flightNumber: 'TB100',
          date: daysFromNow(7),
          seats: 0,
        }),
    ],
    [
      'chargePayment of a negative amount',
      (a: Activities, bookingId: string) =>
        new MockActivityEnvironment().run(a.chargePayment, {
          bookingId,
          token: 'pm_x',
          amountCents: -100,
          currency: 'USD',
        }),
    ],
  ])('%s fails with InvalidRequest, not retried, nothing written', async (_name, call) => {
    const bookingId = randomUUID();
    const error = await call(createActivities({ dbs: tdb.dbs, faultInjection: false }), bookingId).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'InvalidRequest', nonRetryable: true });
    expect(await serviceRows(tdb.dbs, bookingId)).toMatchObject({ flight: null, hotel: null, payment: null });
  });
});
