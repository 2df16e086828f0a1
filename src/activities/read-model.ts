// The booking read model: the workflow reports its state here at the status changes it has
// committed, so lists and closed bookings can be served without the workflow.
import type { Db } from '../db/client.ts';
import { writeBookingRow } from '../db/read-model.ts';
import type { BookingState } from '../domain/booking.ts';

export function createReadModel(db: Db) {
  return {
    /** Upserts the booking row; an update older than the stored one is ignored. */
    syncBooking: (state: BookingState): Promise<void> => writeBookingRow(db, state),
  };
}
