// A read-model write that PostgreSQL refuses for its data never holds up the saga: text that
// bypassed the API's validation (a start or an Update sent straight to Temporal) still ends with
// everything unwound, the state says the read model lags, and the refusal is counted.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { READ_MODEL_REJECTED_METRIC } from '../../src/activities/read-model.ts';
import type { BookingState } from '../../src/booking/booking.ts';
import { cancelBookingUpdate, getBookingStateQuery, resolveCompensationUpdate } from '../../src/booking/messages.ts';
import { CARDS } from '../helpers/booking.ts';
import { invariantViolations, serviceRows } from '../helpers/db.ts';
import { poll } from '../helpers/poll.ts';
import { statesOf, undoneThrough } from '../helpers/steps.ts';
import { createHarness, failureTypes, withBooking, type Harness, type StartedBooking } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('read_model_lag');
});
afterAll(async () => {
  await h?.close();
});

const query = ({ handle }: StartedBooking) => handle.query(getBookingStateQuery);

/** How often the read model refused a write with this SQLSTATE, by the worker's Prometheus endpoint (test/setup.ts). */
async function rejectedWrites(sqlState: string): Promise<number> {
  const text = await (await fetch(process.env.TEST_METRICS_URL!)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(READ_MODEL_REJECTED_METRIC) && l.includes(`sqlState="${sqlState}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Everything the booking held is given back: no seat, room or capture left. */
async function expectNothingHeld(bookingId: string) {
  const rows = await serviceRows(h.tdb.dbs, bookingId);
  expect(rows.flight?.status).toBe('CANCELLED');
  expect(rows.hotel?.status).toBe('CANCELLED');
  if (rows.payment) expect(rows.payment.status).not.toBe('CAPTURED');
  expect(await invariantViolations(h.tdb.dbs)).toEqual([]);
  return rows;
}

describe('a read-model write that PostgreSQL refuses', () => {
  // First: time skipping waits while an activity of this file's server is still out, and the
  // timeout fault below leaves its late charge attempt running for a few seconds after its test.
  test('a start with a NUL in its input: the hold still expires on time and gives back flight and hotel', async () => {
    await withBooking(h, { hold: { minutes: 10 }, customerId: 'cust-\u0000' }, async (booking) => {
      // The HELD write is refused; the hold's timer runs regardless.
      const held = await poll(
        () => query(booking),
        (s) => s.readModelLag !== undefined,
        { what: 'the refused HELD write' },
      );
      expect(held.status).toBe('HELD');
      await h.env.sleep('11 minutes');
      const result = await booking.handle.result();
      expect(result.status).toBe('EXPIRED');
      await expectNothingHeld(booking.input.bookingId);
    });
  });

  test('a cancel reason with a NUL, sent past the API while the payment runs: the captured payment is refunded, the seat and room given back', async () => {
    // The charge captures, then answers after its timeout: the cancel comes in while it is running.
    await withBooking(h, { card: CARDS.good, faults: { chargePayment: 'timeout' } }, async (booking) => {
      const { handle, input } = booking;
      await poll(
        () => serviceRows(h.tdb.dbs, input.bookingId),
        (rows) => rows.payment?.status === 'CAPTURED',
        { what: 'the captured payment' },
      );
      await handle.executeUpdate(cancelBookingUpdate, {
        args: [{ reason: 'changed my mind\u0000', by: input.customerId }],
      });
      const result = await handle.result();
      expect(result.status).toBe('CANCELLED');
      expect(statesOf(result)).toEqual(undoneThrough('payment'));
      const rows = await expectNothingHeld(input.bookingId);
      expect(rows.payment?.status).toBe('REFUNDED');
      // Every write from the cancel on carried the NUL: the read model never learnt of it, and the state says so.
      expect(result.readModelLag).toMatchObject({ reason: expect.stringContaining('SQLSTATE 22021') as unknown });
      expect(rows.booking?.status ?? 'none').not.toBe('CANCELLED');
      expect(await rejectedWrites('22021')).toBeGreaterThanOrEqual(1);
    });
  });

  test('a lone surrogate in a cancel reason during a hold: the hold unwinds at once, the read model keeps saying HELD and the view says it lags', async () => {
    await withBooking(h, { hold: { minutes: 30 } }, async (booking) => {
      const { handle, input } = booking;
      await poll(
        () => serviceRows(h.tdb.dbs, input.bookingId),
        (rows) => rows.booking?.status === 'HELD',
        { what: 'the HELD row' },
      );
      await handle.executeUpdate(cancelBookingUpdate, { args: [{ reason: 'oops \ud800', by: input.customerId }] });
      const result = await handle.result();
      expect(result.status).toBe('CANCELLED');
      const rows = await expectNothingHeld(input.bookingId);
      expect(rows.booking?.status).toBe('HELD');
      expect(result.readModelLag).toMatchObject({ reason: expect.stringContaining('ReadModelRejected') as unknown });
      expect(await rejectedWrites('22P02')).toBeGreaterThanOrEqual(1);
    });
  });

  test("an operator's resolve note with a NUL: the booking ends FAILED all the same", async () => {
    await withBooking(h, { card: CARDS.declined, faults: { cancelHotel: 'fail' } }, async (booking) => {
      const { handle } = booking;
      await poll(
        () => query(booking),
        (s: BookingState) => s.status === 'COMPENSATION_FAILED',
        { what: 'COMPENSATION_FAILED' },
      );
      await handle.executeUpdate(resolveCompensationUpdate, { args: [{ note: 'fixed by phone\u0000', by: 'op' }] });
      const error = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect(failureTypes(error)).toEqual(['BookingFailed', 'ActivityFailure', 'CardDeclined']);
      const state = await query(booking);
      expect(state.status).toBe('FAILED');
      expect(state.readModelLag?.reason).toContain('SQLSTATE 22P05'); // the note is only in the row's JSON
      // The last write the read model took was the operator's wait.
      expect((await serviceRows(h.tdb.dbs, booking.input.bookingId)).booking?.status).toBe('COMPENSATION_FAILED');
    });
  });
});
