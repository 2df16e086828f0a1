// The booking read model's one row per booking: what lists, closed bookings and owner checks read
// without the workflow. Written by the workflow's read-model activity at each status change it has
// committed, and once by the API when it starts a booking (PENDING).
import type { BookingState } from '../booking/booking.ts';
import type { BookingDb } from './booking-db.ts';
import { sql } from './client.ts';

/**
 * Writes the booking's row. `ifAbsent`: only when there is none yet (the API's PENDING row, which
 * never overwrites what the workflow wrote); otherwise an update older than the stored one (a lower
 * version) is ignored, and so is any update of a TERMINATED row: the reconciler wrote it after the
 * workflow was closed, and a write of that workflow still in flight then must not bring it back.
 * `db` may be a transaction's client. Returns the rows written: 0 when the write was ignored.
 */
export async function writeBookingRow(
  db: Pick<BookingDb, '$executeRaw'>,
  state: BookingState,
  { ifAbsent = false } = {},
): Promise<number> {
  const flightCents = state.flight?.priceCents ?? null;
  const hotelCents = state.hotel?.priceCents ?? null;
  const totalCents = state.payment?.amountCents ?? null;
  const insert = sql`
    INSERT INTO bookings (id, customer_id, status, current_step, failure_step, failure_type, failure_message,
                          flight_cents, hotel_cents, total_cents, currency, state, version, created_at, updated_at)
    VALUES (${state.bookingId}, ${state.customerId}, ${state.status}::"BookingStatus", ${state.currentStep},
            ${state.failure?.step ?? null}, ${state.failure?.type ?? null}, ${state.failure?.message ?? null},
            ${flightCents}, ${hotelCents}, ${totalCents}, ${state.payment?.currency ?? 'USD'},
            ${JSON.stringify(state)}::jsonb, ${state.version}, ${new Date(state.createdAt)}, ${new Date(state.updatedAt)})`;
  if (ifAbsent) return db.$executeRaw`${insert} ON CONFLICT (id) DO NOTHING`;
  return db.$executeRaw`${insert}
    ON CONFLICT (id) DO UPDATE SET
      status = EXCLUDED.status, current_step = EXCLUDED.current_step,
      failure_step = EXCLUDED.failure_step, failure_type = EXCLUDED.failure_type,
      failure_message = EXCLUDED.failure_message, flight_cents = EXCLUDED.flight_cents,
      hotel_cents = EXCLUDED.hotel_cents, total_cents = EXCLUDED.total_cents, currency = EXCLUDED.currency,
      state = EXCLUDED.state, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
    WHERE bookings.version < EXCLUDED.version AND bookings.status <> 'TERMINATED'`;
}
