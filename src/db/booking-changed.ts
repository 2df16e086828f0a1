// The channel on which a booking's changes are announced (PostgreSQL NOTIFY; the payload is the
// booking's ID). Triggers announce every committed change of a booking's rows (migration
// 20261202120000_booking_changed_notify); notifyBookingChanged() announces what changes no row: an
// activity attempt that starts or fails, an Update the API passed to the workflow.
import type { Db } from './client.ts';

export const BOOKING_CHANGED_CHANNEL = 'booking_changed';

/** Announces a change of the booking; best effort: never throws (a watcher's safety poll catches up). */
export async function notifyBookingChanged(db: Db, bookingId: string): Promise<void> {
  try {
    await db.$executeRaw`SELECT pg_notify(${BOOKING_CHANGED_CHANNEL}, ${bookingId})`;
  } catch {
    // The database is unreachable: nobody could be told anyway.
  }
}
