// The channel on which a booking's changes are announced, in the booking service's database
// (PostgreSQL NOTIFY; the payload is the booking's ID). A trigger announces every committed change
// of a booking's read-model row (prisma/booking/migrations, the baseline); notifyBookingChanged()
// announces what changes no row: an Update the API passed to the workflow. What a service's step
// does is in the service's own database, and reaches the watchers through Temporal instead
// (src/api/events/watchers.ts).
import type { BookingDb } from './booking-db.ts';

export const BOOKING_CHANGED_CHANNEL = 'booking_changed';

/** Announces a change of the booking; best effort: never throws (a watcher's safety poll catches up). */
export async function notifyBookingChanged(db: BookingDb, bookingId: string): Promise<void> {
  try {
    await db.$executeRaw`SELECT pg_notify(${BOOKING_CHANGED_CHANNEL}, ${bookingId})`;
  } catch {
    // The database is unreachable: nobody could be told anyway.
  }
}
