// Hold now, pay later: the saga reserves flight and hotel and waits (a timer with a summary) for
// the customer's confirm; the deadline expires it. Time-skipping: a day-long hold takes a moment.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingState } from '../../src/booking/booking.ts';
import {
  BOOKING_STATUS_SEARCH_ATTRIBUTE,
  cancelBookingUpdate,
  confirmHoldUpdate,
  extendHoldUpdate,
  getBookingStateQuery,
} from '../../src/booking/messages.ts';
import { CARDS, paymentRef } from '../helpers/booking.ts';
import { invariantViolations, readModelRow, serviceRows } from '../helpers/db.ts';
import { poll } from '../helpers/poll.ts';
import { everyStep, failedAt, statesOf, undoneBefore, unwindFrom, waitingBefore } from '../helpers/steps.ts';
import { compensationOrder, eventSummaries, scheduledActivities } from '../helpers/temporal.ts';
import { createHarness, failureTypes, refusalOf, withBooking, type Harness, type StartedBooking } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('hold');
});
afterAll(async () => {
  await h?.close();
});

const DAY_MINUTES = 1440;

function waitForState(
  { handle }: StartedBooking,
  until: (s: BookingState) => boolean,
  what: string,
): Promise<BookingState> {
  return poll(() => handle.query(getBookingStateQuery), until, { what });
}

const held = (booking: StartedBooking) => waitForState(booking, (s) => s.status === 'HELD', 'the booking HELD');

/** Skips server time to `offsetMs` from the hold's deadline (negative: before it). */
async function skipToDeadline(state: BookingState, offsetMs: number): Promise<void> {
  const remaining = Date.parse(state.holdExpiresAt!) - (await h.env.currentTimeMs());
  await h.env.sleep(remaining + offsetMs);
}

describe('a hold', () => {
  test('of 24 hours that nobody confirms expires: hotel then flight undone, EXPIRED, in well under 2 s', async () => {
    await withBooking(h, { hold: { minutes: DAY_MINUTES } }, async (booking) => {
      const { handle, input } = booking;
      const state = await held(booking);
      expect(statesOf(state)).toEqual(waitingBefore('payment'));
      expect(Date.parse(state.holdExpiresAt!) - Date.parse(state.updatedAt)).toBe(DAY_MINUTES * 60_000);
      expect(state.payment).toBeUndefined();
      await readModelRow(h.tdb.db, input.bookingId, (row) => row.status === 'HELD');

      const started = Date.now();
      const result = await handle.result(); // the test server skips the day
      const wallMs = Date.now() - started;
      expect(wallMs).toBeLessThan(2_000);
      expect(result.status).toBe('EXPIRED');
      expect(statesOf(result)).toEqual(undoneBefore('payment'));
      expect(result.failure).toMatchObject({ step: 'payment', type: 'HoldExpired' });
      const history = await handle.fetchHistory();
      expect(compensationOrder(history)).toEqual(unwindFrom('hotel'));
      expect(scheduledActivities(history)).not.toContain('chargePayment');
      // A timer of the workflow's own, with a summary, not a workflow timeout.
      const expiresAt = state.holdExpiresAt!;
      expect(eventSummaries(history)).toContain(
        `timer: Hold until ${expiresAt.slice(11, 16)} UTC on ${expiresAt.slice(0, 10)}`,
      );
      expect((await serviceRows(h.tdb.dbs, input.bookingId)).booking?.status).toBe('EXPIRED');
      expect((await handle.describe()).typedSearchAttributes.get(BOOKING_STATUS_SEARCH_ATTRIBUTE)).toBe('EXPIRED');
      expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
    });
  });

  test('extended once: the deadline moves (a new timer), a second extension is refused, it expires at the new deadline', async () => {
    await withBooking(h, { hold: { minutes: 60 } }, async (booking) => {
      const { handle, input } = booking;
      const state = await held(booking);
      expect((await handle.describe()).typedSearchAttributes.get(BOOKING_STATUS_SEARCH_ATTRIBUTE)).toBe('HELD');
      const extended = await handle.executeUpdate(extendHoldUpdate, { args: [{ minutes: 30, by: 'cust' }] });
      const newDeadline = Date.parse(state.holdExpiresAt!) + 30 * 60_000;
      expect(Date.parse(extended.holdExpiresAt!)).toBe(newDeadline);
      expect(extended.holdExtended).toMatchObject({ minutes: 30, by: 'cust' });
      expect(await refusalOf(handle.executeUpdate(extendHoldUpdate, { args: [{ minutes: 10 }] }))).toEqual([
        'HoldNotExtendable',
      ]);
      // Past the first deadline it is still held; the read model knows the new one.
      await skipToDeadline(state, 60_000);
      await poll(
        () => serviceRows(h.tdb.dbs, input.bookingId),
        (r) => (r.booking?.state as unknown as BookingState | undefined)?.holdExpiresAt === extended.holdExpiresAt,
        {
          what: 'the read model with the new deadline',
        },
      );
      expect((await handle.query(getBookingStateQuery)).status).toBe('HELD');
      const result = await handle.result();
      expect(result.status).toBe('EXPIRED');
      const history = await handle.fetchHistory();
      const timers = eventSummaries(history).filter((s) => s.startsWith('timer: Hold until'));
      expect(timers).toEqual(
        [
          `timer: Hold until ${state.holdExpiresAt!.slice(11, 16)} UTC`,
          `timer: Hold until ${extended.holdExpiresAt!.slice(11, 16)} UTC`,
        ].map((t) => expect.stringContaining(t) as unknown),
      );
      const firedAt = history.events
        ?.filter((e) => e.timerFiredEventAttributes)
        .map((e) => Number(e.eventTime?.seconds) * 1_000);
      expect(firedAt).toHaveLength(1);
      expect(Math.abs(firedAt![0]! - newDeadline)).toBeLessThan(1_000);
    });
  });

  test('an extension with minutes outside 1–1440 is refused', async () => {
    await withBooking(h, { hold: { minutes: 10 } }, async (booking) => {
      const { handle } = booking;
      await held(booking);
      for (const minutes of [0, 1441, 2.5]) {
        expect(await refusalOf(handle.executeUpdate(extendHoldUpdate, { args: [{ minutes }] }))).toEqual([
          'InvalidExtension',
        ]);
      }
      await handle.executeUpdate(cancelBookingUpdate, { args: [{}] });
      expect((await handle.result()).status).toBe('CANCELLED');
    });
  });

  test('confirmed 1 s before its deadline: the card is charged, CONFIRMED; the charge names its retry deadline', async () => {
    await withBooking(h, { hold: { minutes: DAY_MINUTES } }, async (booking) => {
      const { handle, input } = booking;
      const state = await held(booking);
      await skipToDeadline(state, -1_000);
      const accepted = await handle.executeUpdate(confirmHoldUpdate, {
        args: [{ payment: await paymentRef(h.tdb.dbs, input.customerId), by: 'cust' }],
      });
      expect(accepted).toMatchObject({ status: 'PENDING', confirmed: { by: 'cust' }, payment: { last4: '4242' } });
      const result = await handle.result();
      expect(result.status).toBe('CONFIRMED');
      expect(statesOf(result)).toEqual(everyStep('DONE'));
      const history = await handle.fetchHistory();
      expect(history.events?.some((e) => e.timerFiredEventAttributes)).toBe(false);
      const charge = eventSummaries(history).find((s) => s.startsWith('activity: Charge'));
      expect(charge).toMatch(
        /^activity: Charge 760\.00 USD to visa •••• 4242 \(retrying until \d\d:\d\d UTC( on \d{4}-\d\d-\d\d)?\)$/,
      );
      expect((await serviceRows(h.tdb.dbs, input.bookingId)).booking?.status).toBe('CONFIRMED');
      expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
    });
  });

  test('confirmed 1 s after its deadline, while the expiry unwinds: refused (the expiry won), EXPIRED, nothing charged', async () => {
    // The hotel's undo fails twice (1 s, 2 s backoff): the workflow is still unwinding when the confirm comes.
    await withBooking(
      h,
      { hold: { minutes: DAY_MINUTES }, faults: { cancelHotel: 'transient:2' } },
      async (booking) => {
        const { handle, input } = booking;
        const state = await held(booking);
        await skipToDeadline(state, 1_000);
        const payment = await paymentRef(h.tdb.dbs, input.customerId);
        expect(await refusalOf(handle.executeUpdate(confirmHoldUpdate, { args: [{ payment }] }))).toEqual([
          'BookingNotHeld',
        ]);
        const result = await handle.result();
        expect(result.status).toBe('EXPIRED');
        expect(result.confirmed).toBeUndefined();
        expect(scheduledActivities(await handle.fetchHistory())).not.toContain('chargePayment');
        expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
      },
    );
  });

  test('cancelled while held: hotel and flight undone, CANCELLED; a confirm after it is refused', async () => {
    await withBooking(h, { hold: { minutes: 60 } }, async (booking) => {
      const { handle, input } = booking;
      await held(booking);
      const accepted = await handle.executeUpdate(cancelBookingUpdate, {
        args: [{ reason: 'found a cheaper trip', by: 'cust' }],
      });
      expect(accepted).toMatchObject({ cancelRequested: true, failure: { step: 'payment', type: 'Cancelled' } });
      const payment = await paymentRef(h.tdb.dbs, input.customerId);
      expect(await refusalOf(handle.executeUpdate(confirmHoldUpdate, { args: [{ payment }] }))).toEqual([
        'BookingNotHeld',
      ]);
      const result = await handle.result();
      expect(result.status).toBe('CANCELLED');
      expect(statesOf(result)).toEqual(undoneBefore('payment'));
      expect(compensationOrder(await handle.fetchHistory())).toEqual(unwindFrom('hotel'));
      expect((await serviceRows(h.tdb.dbs, input.bookingId)).booking?.status).toBe('CANCELLED');
      expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
    });
  });

  test('confirmed with a card that is declined: refund (nothing charged), hotel, flight undone, FAILED', async () => {
    await withBooking(h, { hold: { minutes: 30 } }, async (booking) => {
      const { handle, input } = booking;
      await held(booking);
      await handle.executeUpdate(confirmHoldUpdate, {
        args: [{ payment: await paymentRef(h.tdb.dbs, input.customerId, CARDS.declined) }],
      });
      const error = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failureTypes(error)).toEqual(['BookingFailed', 'ActivityFailure', 'CardDeclined']);
      const state = await handle.query(getBookingStateQuery);
      expect(state.status).toBe('FAILED');
      expect(statesOf(state)).toEqual(failedAt('payment'));
      expect(compensationOrder(await handle.fetchHistory())).toEqual(unwindFrom('payment'));
      expect((await serviceRows(h.tdb.dbs, input.bookingId)).booking?.status).toBe('FAILED');
      expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
    });
  });

  test('a confirm without a tokenized card is refused and the hold stays', async () => {
    await withBooking(h, { hold: { minutes: 30 } }, async (booking) => {
      const { handle } = booking;
      await held(booking);
      const bad = { payment: { token: 42 } } as never;
      expect(await refusalOf(handle.executeUpdate(confirmHoldUpdate, { args: [bad] }))).toEqual(['InvalidPayment']);
      expect((await handle.query(getBookingStateQuery)).status).toBe('HELD');
      await handle.executeUpdate(cancelBookingUpdate, { args: [{}] });
      expect((await handle.result()).status).toBe('CANCELLED');
    });
  });
});

describe('a booking that waits for an operator', () => {
  test('says since when, and counts the weekly reminders', async () => {
    await withBooking(h, { card: CARDS.declined, faults: { cancelHotel: 'fail' } }, async (booking) => {
      const { handle, input } = booking;
      const waiting = await waitForState(booking, (s) => s.status === 'COMPENSATION_FAILED', 'COMPENSATION_FAILED');
      expect(waiting.operatorWait).toEqual({ since: waiting.updatedAt, reminders: 0 });
      const row = await readModelRow(h.tdb.db, input.bookingId, (r) => r.status === 'COMPENSATION_FAILED');
      expect((row.state as unknown as BookingState).operatorWait?.since).toBe(waiting.operatorWait!.since);
      await h.env.sleep('15 days');
      const later = await handle.query(getBookingStateQuery);
      expect(later.operatorWait).toMatchObject({ since: waiting.operatorWait!.since, reminders: 2 });
      // Two reminders, 7 days apart, counted from the wait's timer (started with the wait, beside its write).
      const waitedMs = Date.parse(later.operatorWait!.lastReminderAt!) - Date.parse(later.operatorWait!.since);
      expect(waitedMs).toBeGreaterThanOrEqual(14 * 86_400_000);
      expect(waitedMs).toBeLessThan(14 * 86_400_000 + 60_000);
      // Each reminder reaches the read model (the list, and the watchers through its notice).
      const remembered = await poll(
        async () =>
          ((await serviceRows(h.tdb.dbs, input.bookingId)).booking?.state as unknown as BookingState | undefined)
            ?.operatorWait?.reminders,
        (n) => n === 2,
        { what: 'the reminders in the read model' },
      );
      expect(remembered).toBe(2);
      await handle.terminate('test over');
    });
  });
});
