// The booking read model: the workflow reports its state here at each status change, so lists
// and closed bookings can be served without the workflow.
import type { Db } from '../db/client.ts';
import type { BookingState } from '../domain/booking.ts';

export function createReadModel(db: Db) {
  return {
    /** Upserts the booking row; an update older than the stored one is ignored. */
    syncBooking: async (state: BookingState): Promise<void> => {
      const flightCents = state.flight?.priceCents ?? null;
      const hotelCents = state.hotel?.priceCents ?? null;
      const totalCents = state.payment?.amountCents ?? null;
      await db.$executeRaw`
        INSERT INTO bookings (id, customer_id, status, current_step, failure_step, failure_type, failure_message,
                              flight_cents, hotel_cents, total_cents, currency, state, version, created_at, updated_at)
        VALUES (${state.bookingId}, ${state.customerId}, ${state.status}::"BookingStatus", ${state.currentStep},
                ${state.failure?.step ?? null}, ${state.failure?.type ?? null}, ${state.failure?.message ?? null},
                ${flightCents}, ${hotelCents}, ${totalCents}, ${state.payment?.currency ?? 'USD'},
                ${JSON.stringify(state)}::jsonb, ${state.version}, ${new Date(state.createdAt)}, ${new Date(state.updatedAt)})
        ON CONFLICT (id) DO UPDATE SET
          status = EXCLUDED.status, current_step = EXCLUDED.current_step,
          failure_step = EXCLUDED.failure_step, failure_type = EXCLUDED.failure_type,
          failure_message = EXCLUDED.failure_message, flight_cents = EXCLUDED.flight_cents,
          hotel_cents = EXCLUDED.hotel_cents, total_cents = EXCLUDED.total_cents, currency = EXCLUDED.currency,
          state = EXCLUDED.state, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
        WHERE bookings.version < EXCLUDED.version`;
    },
  };
}
