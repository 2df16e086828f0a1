// The booking read model: the workflow reports its state here at the status changes it has
// committed, so lists and closed bookings can be served without the workflow.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { BookingDb } from '../db/booking-db.ts';
import { sqlStateOf } from '../db/client.ts';
import { writeBookingRow } from '../db/read-model.ts';
import type { BookingState } from '../booking/booking.ts';

/** The metric of writes PostgreSQL refused for their data: they are not retried. */
export const READ_MODEL_REJECTED_METRIC = 'trip_read_model_rejected';

export function createReadModel(db: BookingDb) {
  return {
    /**
     * Upserts the booking row; an update older than the stored one is ignored. A data error
     * (SQLSTATE class 22: a NUL, a lone surrogate in the JSON) would fail every attempt alike, so it
     * is logged, counted and answered with a non-retryable ReadModelRejected; anything else (the
     * database is down) is retried.
     */
    syncBooking: async (state: BookingState): Promise<void> => {
      try {
        await writeBookingRow(db, state);
      } catch (error) {
        const sqlState = sqlStateOf(error);
        if (!sqlState?.startsWith('22')) throw error;
        const { log, metricMeter } = Context.current();
        const reason = `PostgreSQL refused the row of version ${state.version} (SQLSTATE ${sqlState}): ${(error as Error).message.split('\n').at(-1)}`;
        log.error(reason, { bookingId: state.bookingId, sqlState });
        metricMeter
          .createCounter(
            READ_MODEL_REJECTED_METRIC,
            'writes',
            'Read-model writes PostgreSQL refused for their data (SQLSTATE class 22)',
          )
          .add(1, { sqlState });
        throw ApplicationFailure.create({
          type: 'ReadModelRejected',
          message: reason,
          nonRetryable: true,
          details: [{ sqlState }],
        });
      }
    },
  };
}
