// giveBackBooking on the time-skipping server, with the real activities on a real PostgreSQL: a
// terminated hold's hotel cancel, which the hotel refuses for good (a business failure, from a
// hotels worker of the test's own), leaves the booking waiting for an operator, with a reminder
// each week, while the flight is given back; the operator's Updates are refused unless it waits;
// a retry runs the cancel again, a resolve after a cancel by hand ends it TERMINATED. (The test
// server holds its clock while an activity is pending, so a day of retries is the dev-server
// test's, test/deploy/operations.test.ts, with update-options.)
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { initialBookingState, workflowIdFor, type BookingState } from '../../src/booking/booking.ts';
import { resolveCompensationUpdate, retryCompensationUpdate } from '../../src/booking/messages.ts';
import { giveBackWorkflowIdFor } from '../../src/booking/unwound.ts';
import { writeBookingRow } from '../../src/db/read-model.ts';
import { createTripWorkers } from '../../src/temporal/worker-factory.ts';
import type { bookTrip } from '../../src/workflows/book-trip.ts';
import type { giveBackBooking } from '../../src/workflows/give-back.ts';
import { bookingInput } from '../helpers/booking.ts';
import { createHotelService } from '../../src/activities/hotels/activities.ts';
import { invariantViolations, serviceRows } from '../helpers/db.ts';
import { poll } from '../helpers/poll.ts';
import { step } from '../helpers/steps.ts';
import { createHarness, refusalOf, type Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('give-back');
});
afterAll(async () => {
  await h?.close();
});

/** The booking's read-model row once `until` holds, letting server time run ahead between reads. */
async function rowOnce(bookingId: string, until: (state: BookingState) => boolean, skip: string) {
  const state = await poll(
    async () =>
      (await h.tdb.dbs.booking.booking.findUnique({ where: { id: bookingId } }))?.state as unknown as
        BookingState | undefined,
    (s) => s !== undefined && until(s),
    { what: `booking ${bookingId}'s row`, between: () => h.env.sleep(skip), timeoutMs: 60_000 },
  );
  return state!;
}

test('a hotel cancel refused for good: the booking waits COMPENSATION_FAILED with a reminder a week; a retry runs it again, a resolve after a cancel by hand ends it TERMINATED', async () => {
  const taskQueue = `give-back-${randomUUID()}`;
  const workers = await createTripWorkers({
    connection: h.env.nativeConnection,
    taskQueue,
    workflowBundle: h.bundle,
    dbs: h.tdb.dbs,
    faultInjection: true,
    reconcile: { client: h.env.client },
    worker: { shutdownGraceTime: '1s' },
  });
  // The hotel's answer to this booking's cancel, whoever asks and however often.
  const refusing = await Worker.create({
    connection: h.env.nativeConnection,
    taskQueue: `${taskQueue}-hotels-refusing`,
    activities: {
      cancelHotel: () => {
        throw ApplicationFailure.create({
          type: 'CancelRefused',
          message: 'the hotel refuses to cancel this reservation',
          nonRetryable: true,
        });
      },
    },
    shutdownGraceTime: '1s',
  });
  await workers.runUntil(
    refusing.runUntil(async () => {
      // A hold as the API starts it (its PENDING row first), terminated while HELD: its flight and
      // its hotel are taken, nothing is charged.
      const input = await bookingInput(h.tdb.dbs, { hold: { minutes: 30 } });
      const { bookingId } = input;
      await writeBookingRow(h.tdb.dbs.booking, initialBookingState(input, new Date().toISOString()), {
        ifAbsent: true,
      });
      const saga = await h.env.client.workflow.start<typeof bookTrip>('bookTrip', {
        taskQueue,
        workflowId: workflowIdFor(bookingId),
        args: [input],
      });
      await rowOnce(bookingId, (s) => s.status === 'HELD', '1 second');
      await saga.terminate('an operator terminated it');

      // As a pass hands it over: its hotel cancel failed, nothing given back yet.
      const giveBack = await h.env.client.workflow.start<typeof giveBackBooking>('giveBackBooking', {
        taskQueue,
        workflowId: giveBackWorkflowIdFor(bookingId),
        args: [
          {
            booking: { bookingId, cause: 'WorkflowTerminated', status: 'HELD' },
            undos: [],
            failed: [{ step: 'hotel', activity: 'cancelHotel', error: 'the hotel refuses to cancel' }],
            services: { hotels: { via: 'activity', taskQueue: `${taskQueue}-hotels-refusing` } },
          },
        ],
      });
      expect(await refusalOf(giveBack.executeUpdate(retryCompensationUpdate, { args: [{ by: 'ops' }] }))).toEqual([
        'NoFailedCompensation',
      ]);

      // The cancel refused for good, the flight given back beside it: an operator's turn.
      const waiting = await rowOnce(bookingId, (s) => s.status === 'COMPENSATION_FAILED', '1 second');
      expect(waiting.givingBack).toMatchObject({ workflowId: giveBack.workflowId, found: { status: 'HELD' } });
      expect(waiting.operatorWait).toMatchObject({ reminders: 0 });
      expect(step(waiting, 'hotel')).toMatchObject({ state: 'COMPENSATION_FAILED', undo: { outcome: 'FAILED' } });
      expect(waiting.failure!.message).toMatch(
        /^its workflow was terminated while the booking was HELD; the reconciler could not give back cancelHotel: the hotel refuses to cancel this reservation \(it gave back: refundPayment nothing to undo, cancelFlight undone\); give-back-\S+ waits for an operator to retry or resolve it$/,
      );
      const rows = await serviceRows(h.tdb.dbs, bookingId);
      expect([rows.flight?.status, rows.hotel?.status]).toEqual(['CANCELLED', 'RESERVED']);
      const reminded = await rowOnce(bookingId, (s) => (s.operatorWait?.reminders ?? 0) >= 1, '1 day');
      // A week into the wait (its timer starts once the wait's write is done).
      const weekIn = Date.parse(reminded.operatorWait!.lastReminderAt!) - Date.parse(reminded.operatorWait!.since);
      expect(weekIn).toBeGreaterThanOrEqual(7 * 86_400_000);
      expect(weekIn).toBeLessThan(7 * 86_400_000 + 3_600_000);

      // A retry runs the cancel again: refused again, back to the operator, the wait counted anew.
      const retried = await giveBack.executeUpdate(retryCompensationUpdate, { args: [{ by: 'ops' }] });
      expect(retried.retriedBy).toEqual(['ops']);
      await poll(
        async () =>
          (await giveBack.fetchHistory()).events?.filter(
            (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'cancelHotel',
          ).length,
        (n) => n === 2,
        { what: 'the cancel run again' },
      );
      await rowOnce(
        bookingId,
        (s) => s.status === 'COMPENSATION_FAILED' && s.operatorWait?.reminders === 0,
        '1 second',
      );

      // A person cancels it with the hotel by hand; the operator resolves it with a note.
      expect(
        await refusalOf(giveBack.executeUpdate(resolveCompensationUpdate, { args: [{ note: ' ', by: 'ops' }] })),
      ).toEqual(['InvalidNote']);
      await createHotelService(h.tdb.dbs.hotels).cancelHotel({ bookingId });
      await giveBack.executeUpdate(resolveCompensationUpdate, { args: [{ note: 'cancelled by phone', by: 'ops' }] });
      const result = await giveBack.result();
      expect(result).toMatchObject({
        bookingId,
        terminated: true,
        resolution: { note: 'cancelled by phone', by: 'ops' },
      });
      expect(result.undos.map((u) => `${u.activity} ${u.outcome}`)).toEqual([
        'refundPayment NOTHING_TO_UNDO',
        'cancelFlight UNDONE',
      ]);
      const ended = await rowOnce(bookingId, (s) => s.status === 'TERMINATED', '1 second');
      expect(ended).toMatchObject({ retriedBy: ['ops'], resolution: { note: 'cancelled by phone', by: 'ops' } });
      expect(ended).not.toHaveProperty('operatorWait');
      expect(step(ended, 'hotel')).toMatchObject({ state: 'COMPENSATION_FAILED', undo: { outcome: 'FAILED' } });
      expect(ended.failure!.message).toMatch(
        /cancelFlight undone\); cancelHotel: the hotel refuses to cancel this reservation: resolved by hand by ops: cancelled by phone$/,
      );
      expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
    }),
  );
}, 120_000);
