// The `timeout` fault: a step does its work, then answers after its start-to-close timeout. The
// test server cannot skip time while an activity runs, so each late answer costs five real seconds.
// The tests run one after another: time skipping is global to the test server, and another test's
// skipping would let a timeout fire early.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CARDS } from '../helpers/booking.ts';
import { serviceRows } from '../helpers/db.ts';
import { FORWARD_ACTIVITIES, everyStep, failedAt, step, stepOf, undoneThrough, unwindFrom } from '../helpers/steps.ts';
import { expectSaga } from './expectations.ts';
import { createHarness, runBooking, type Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('timeouts');
});
afterAll(async () => {
  await h?.close();
});

describe('a step that answers too late', () => {
  test.each(FORWARD_ACTIVITIES)(
    '%s: the retry finds the work done, so the booking completes without doubling it',
    async (target) => {
      const run = await runBooking(h, { faults: { [target]: 'timeout' } });
      await expectSaga(h, run, {
        status: 'CONFIRMED',
        steps: everyStep('DONE'),
        compensations: [],
      });
      expect(step(run.state, stepOf(target)).attempts).toBe(2);
    },
  );

  test('reserveHotel that times out on every attempt, after doing its work, is compensated and leaves no orphan', async () => {
    const run = await runBooking(h, { faults: { reserveHotel: 'timeout:3' } });
    await expectSaga(h, run, {
      status: 'FAILED',
      steps: undoneThrough('hotel'),
      compensations: unwindFrom('hotel'),
      failure: { step: 'hotel', type: 'StartToCloseTimeout' },
      causeType: 'TimeoutFailure',
    });
    expect(step(run.state, 'hotel')).toMatchObject({ attempts: 3, undo: { outcome: 'UNDONE' } });
    const rows = await serviceRows(h.tdb.dbs, run.input.bookingId);
    // The reservation the workflow never heard of was made, and then cancelled.
    expect(rows.hotel).toMatchObject({ status: 'CANCELLED', rooms: 1 });
  }, 30_000);
});

describe('a compensation that answers too late', () => {
  test.each(unwindFrom('payment'))('%s: the retried undo finds it done and the unwind goes on', async (target) => {
    const run = await runBooking(h, { card: CARDS.declined, faults: { [target]: 'timeout' } });
    await expectSaga(h, run, {
      status: 'FAILED',
      steps: failedAt('payment'),
      compensations: unwindFrom('payment'),
      failure: { step: 'payment', type: 'CardDeclined' },
    });
    expect(run.state.steps.find((s) => s.undo?.activity === target)?.undo?.attempts).toBe(2);
  });
});
