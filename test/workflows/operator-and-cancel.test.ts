// A compensation that fails for good waits for an operator; a user's cancel unwinds the saga.
import { poll } from '../helpers/poll.ts';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFlightService } from '../../src/activities/flights/activities.ts';
import { createHotelService } from '../../src/activities/hotels/activities.ts';
import type { BookingState, BookingStatus } from '../../src/booking/booking.ts';
import {
  cancelBookingUpdate,
  getBookingStateQuery,
  resolveCompensationUpdate,
  retryCompensationUpdate,
} from '../../src/booking/messages.ts';
import { CARDS } from '../helpers/booking.ts';
import { invariantViolations, readModelRow, serviceRows } from '../helpers/db.ts';
import {
  compensationsFrom,
  compensationsOf,
  failedAt,
  statesOf,
  step,
  undoOf,
  undoneThrough,
  unwindFrom,
} from '../helpers/steps.ts';
import { compensationOrder } from '../helpers/temporal.ts';
import { expectSaga } from './expectations.ts';
import {
  createHarness,
  failureTypes,
  refusalOf,
  runBooking,
  withBooking,
  type Harness,
  type StartedBooking,
} from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('operator');
});
afterAll(async () => {
  await h?.close();
});

/** Polls the workflow until `until` holds; `skip` lets server time run ahead between polls. */
function waitForState(
  { handle }: StartedBooking,
  until: (s: BookingState) => boolean,
  skip?: string,
): Promise<BookingState> {
  return poll(() => handle.query(getBookingStateQuery), until, {
    what: 'the booking state',
    ...(skip ? { between: () => h.env.sleep(skip), timeoutMs: 60_000 } : {}),
  });
}

const status = (s: BookingStatus) => (state: BookingState) => state.status === s;

describe('a compensation that fails for good', () => {
  test('the other compensations still run; the booking waits days for an operator; a retry that fails again keeps it waiting; a resolve ends it FAILED', async () => {
    await withBooking(h, { card: CARDS.declined, faults: { cancelHotel: 'fail' } }, async (booking) => {
      const { handle, input } = booking;
      let state = await waitForState(booking, status('COMPENSATION_FAILED'));
      expect(statesOf(state)).toEqual(failedAt('payment', { hotel: 'COMPENSATION_FAILED' }));
      expect(step(state, 'hotel').undo).toMatchObject({
        activity: 'cancelHotel',
        outcome: 'FAILED',
        error: { type: 'InjectedFailure' },
      });
      expect(compensationsOf(state)).toEqual(
        compensationsFrom('payment', { payment: 'NOTHING_TO_UNDO', hotel: 'FAILED' }),
      );
      await readModelRow(h.tdb.db, input.bookingId, (row) => row.status === 'COMPENSATION_FAILED');

      // Ten days later it is still waiting, durably.
      await h.env.sleep('10 days');
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect((await handle.query(getBookingStateQuery)).status).toBe('COMPENSATION_FAILED');

      // A retry is accepted, runs the failed undo again, and it fails again.
      const accepted = await handle.executeUpdate(retryCompensationUpdate, { args: [{ by: 'op-test' }] });
      expect(accepted.status).toBe('COMPENSATION_FAILED');
      state = await waitForState(booking, (s) => s.status === 'COMPENSATION_FAILED' && s.compensations.length === 4);
      expect(state.compensations.at(-1)).toMatchObject({ activity: 'cancelHotel', outcome: 'FAILED' });

      // A person cancels the hotel by hand and resolves with a note.
      await createHotelService(h.tdb.dbs.hotels).cancelHotel({ bookingId: input.bookingId });
      await handle.executeUpdate(resolveCompensationUpdate, {
        args: [{ note: 'cancelled by phone with the hotel, ticket 4711' }],
      });
      const error = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect(failureTypes(error)).toEqual(['BookingFailed', 'ActivityFailure', 'CardDeclined']);
      state = await handle.query(getBookingStateQuery);
      expect(state.status).toBe('FAILED');
      expect(state.resolution?.note).toBe('cancelled by phone with the hotel, ticket 4711');
      expect(compensationOrder(await handle.fetchHistory())).toEqual([...unwindFrom('payment'), undoOf('hotel')]);
      expect((await serviceRows(h.tdb.dbs, input.bookingId)).booking?.status).toBe('FAILED');
      expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
    });
  });

  test('a hotel system down for 30 h outlasts the undo retry budget (24 h); a retry after it is back succeeds', async () => {
    await withBooking(h, { card: CARDS.declined, faults: { cancelHotel: 'outage:30h' } }, async (booking) => {
      const { handle } = booking;
      let state = await waitForState(booking, status('COMPENSATION_FAILED'), '1h');
      expect(step(state, 'hotel')).toMatchObject({
        state: 'COMPENSATION_FAILED',
        undo: { error: { type: 'ServiceUnavailable' } },
      });
      expect(step(state, 'flight').state).toBe('COMPENSATED');
      await h.env.sleep('7h');
      await handle.executeUpdate(retryCompensationUpdate, { args: [{ by: 'op-test' }] });
      const error = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failureTypes(error)).toEqual(['BookingFailed', 'ActivityFailure', 'CardDeclined']);
      state = await handle.query(getBookingStateQuery);
      expect(state.status).toBe('FAILED');
      expect(statesOf(state)).toEqual(failedAt('payment'));
      expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
    });
  });

  test('operator updates are refused unless the booking is COMPENSATION_FAILED, and a resolve needs a note', async () => {
    await withBooking(h, { faults: { chargePayment: 'outage:1h' } }, async (booking) => {
      const { handle } = booking;
      await waitForState(booking, (s) => step(s, 'payment').state === 'RUNNING');
      expect(await refusalOf(handle.executeUpdate(retryCompensationUpdate, { args: [{ by: 'op-test' }] }))).toEqual([
        'NoFailedCompensation',
      ]);
      expect(await refusalOf(handle.executeUpdate(resolveCompensationUpdate, { args: [{ note: 'x' }] }))).toEqual([
        'NoFailedCompensation',
      ]);
      expect((await handle.result()).status).toBe('CONFIRMED');
    });
    await withBooking(h, { card: CARDS.declined, faults: { cancelFlight: 'fail' } }, async (booking) => {
      const { handle, input } = booking;
      await waitForState(booking, status('COMPENSATION_FAILED'));
      expect(await refusalOf(handle.executeUpdate(resolveCompensationUpdate, { args: [{ note: '  ' }] }))).toEqual([
        'InvalidNote',
      ]);
      await createFlightService(h.tdb.dbs.flights).cancelFlight({ bookingId: input.bookingId });
      await handle.executeUpdate(resolveCompensationUpdate, { args: [{ note: 'seat released by hand' }] });
      await handle.result().catch(() => undefined);
      expect((await serviceRows(h.tdb.dbs, input.bookingId)).booking?.status).toBe('FAILED');
    });
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });
});

describe('the user cancels', () => {
  test('while the hotel step runs: the hotel it reserved and the flight are undone, CANCELLED', async () => {
    await withBooking(h, { faults: { reserveHotel: 'timeout' } }, async ({ handle, input }) => {
      // The hotel is reserved, but the activity has not answered yet.
      await poll(
        () => h.tdb.dbs.hotels.hotelReservation.findUnique({ where: { bookingId: input.bookingId } }),
        Boolean,
        {
          what: 'the hotel reservation',
        },
      );
      const accepted = await handle.executeUpdate(cancelBookingUpdate, { args: [{ reason: 'changed plans' }] });
      expect(accepted).toMatchObject({ status: 'PENDING', cancelRequested: true });
      const result = await handle.result();
      expect(result.status).toBe('CANCELLED');
      const state = await handle.query(getBookingStateQuery);
      expect(statesOf(state)).toEqual(undoneThrough('hotel'));
      expect(compensationsOf(state)).toEqual(compensationsFrom('hotel'));
      expect(state.failure).toMatchObject({
        step: 'hotel',
        type: 'Cancelled',
        message: 'cancelled by the user: changed plans',
      });
      expect((await serviceRows(h.tdb.dbs, input.bookingId)).booking?.status).toBe('CANCELLED');
      expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
    });
  });

  test('while the payment service is down: refund (nothing charged) → cancel hotel → cancel flight', async () => {
    const run = await runBooking(h, {
      faults: { chargePayment: 'outage:2h' },
      during: async (handle) => {
        await poll(
          () => handle.query(getBookingStateQuery),
          (s) => step(s, 'payment').state === 'RUNNING',
          { what: 'the payment step running' },
        );
        await handle.executeUpdate(cancelBookingUpdate, { args: [{}] });
      },
    });
    await expectSaga(h, run, {
      status: 'CANCELLED',
      steps: failedAt('payment'),
      compensations: unwindFrom('payment'),
      failure: { step: 'payment', type: 'Cancelled' },
    });
  });

  test('a booking that is already cancelling cannot be cancelled twice', async () => {
    await withBooking(h, { faults: { reserveHotel: 'timeout' } }, async (booking) => {
      const { handle } = booking;
      await waitForState(booking, (s) => step(s, 'hotel').state === 'RUNNING');
      await handle.executeUpdate(cancelBookingUpdate, { args: [{}] });
      expect(await refusalOf(handle.executeUpdate(cancelBookingUpdate, { args: [{}] }))).toEqual([
        'BookingNotCancellable',
      ]);
      expect((await handle.result()).status).toBe('CANCELLED');
    });
  });

  test('a workflow cancelled from Temporal (Web UI, CLI) still compensates, and ends cancelled', async () => {
    const run = await runBooking(h, {
      faults: { chargePayment: 'outage:2h' },
      during: async (handle) => {
        await poll(
          () => handle.query(getBookingStateQuery),
          (s) => step(s, 'payment').state === 'RUNNING',
          { what: 'the payment step running' },
        );
        await handle.cancel();
      },
    });
    expect(run.error).toBeInstanceOf(WorkflowFailedError);
    expect(failureTypes(run.error)).toEqual(['CancelledFailure']);
    expectSagaCancelled(run.state);
    expect(run.compensations).toEqual(unwindFrom('payment'));
    expect((await serviceRows(h.tdb.dbs, run.input.bookingId)).booking?.status).toBe('CANCELLED');
    expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  });
});

function expectSagaCancelled(state: BookingState) {
  expect(state.status).toBe('CANCELLED');
  expect(statesOf(state)).toEqual(failedAt('payment'));
}
