// What one customer may hold at once. A hold takes seats and rooms with no card, for up to a day,
// and can be extended: without a cap one account could take a hotel from everybody. The cap counts
// the customer's active holds in the read model (a hold booking that is PENDING or HELD, not yet
// confirmed) and the seats and rooms they hold, and admits a new hold only under every limit.
//
// Race-free across API processes: one transaction per admission takes a per-customer advisory
// lock, counts, and writes the new hold's PENDING row before its workflow starts. A concurrent
// admission for the same customer waits for the lock and then counts that row.
import type { HoldLimits } from '../../config.ts';
import type { BookingDb, BookingTx } from '../../db/booking-db.ts';
import { isTransactionTimeout, sqlStateOf } from '../../db/client.ts';
import { writeBookingRow } from '../../db/read-model.ts';
import type { BookingState } from '../../booking/booking.ts';
import { ApiError } from '../http/errors.ts';

/** A shop's defaults (HOLD_MAX_*, docs/configuration.md). */
export const DEFAULT_HOLD_LIMITS: HoldLimits = { active: 3, seats: 9, rooms: 6 };

/** The first key of this module's advisory locks (a constant of its own); the second is the customer's hash. */
const LOCK_SPACE = 0x686f6c64;

/** How long an admission waits for the customer's lock (another admission of theirs) and its connection. */
const LOCK_WAIT_MS = 5_000;

interface Held {
  holds: number;
  seats: number;
  rooms: number;
}

/**
 * The customer's active holds, other than `bookingId` (a concurrent first request with the same
 * Idempotency-Key is the same booking). A hold is a booking without a payment while it is PENDING
 * (before HELD), or HELD; its confirm brings the payment, and its end any other status.
 */
async function heldBy(tx: BookingTx, customerId: string, bookingId: string): Promise<Held> {
  const [held] = await tx.$queryRaw<Held[]>`
    SELECT count(*)::int AS holds,
           coalesce(sum((state #>> '{flight,seats}')::int), 0)::int AS seats,
           coalesce(sum((state #>> '{hotel,rooms}')::int), 0)::int AS rooms
      FROM bookings
     WHERE customer_id = ${customerId} AND id <> ${bookingId}
       AND (status = 'HELD' OR (status = 'PENDING' AND state -> 'payment' IS NULL))`;
  return held!;
}

interface PassedLimit {
  limit: 'holds' | 'seats' | 'rooms';
  max: number;
  current: number;
  /** What the new hold adds. */
  asks: number;
}

/** The first limit the new hold would pass, or undefined. */
function limitPassed(
  limits: HoldLimits,
  held: Held,
  wanted: { seats: number; rooms: number },
): PassedLimit | undefined {
  const checks: PassedLimit[] = [
    { limit: 'holds', max: limits.active, current: held.holds, asks: 1 },
    { limit: 'seats', max: limits.seats, current: held.seats, asks: wanted.seats },
    { limit: 'rooms', max: limits.rooms, current: held.rooms, asks: wanted.rooms },
  ];
  return checks.find((c) => c.current + c.asks > c.max);
}

const WHAT: Record<PassedLimit['limit'], string> = { holds: 'active holds', seats: 'seats held', rooms: 'rooms held' };

function holdLimitReached(customerId: string, { limit, max, current, asks }: PassedLimit): ApiError {
  return new ApiError(
    409,
    'hold_limit_reached',
    `customer ${customerId} already has ${current} ${WHAT[limit]}, at most ${max} at once, and this hold asks ${asks} more: confirm, cancel or let one expire first`,
    [{ path: `limits.${limit}`, message: `${current} of ${max}` }],
  );
}

/**
 * Admits the hold of `state` (its PENDING row, before the start) or throws 409 hold_limit_reached
 * with nothing written. The row is written only where there is none (a concurrent repeat's).
 */
export async function admitHold(db: BookingDb, limits: HoldLimits, state: BookingState): Promise<void> {
  const { customerId, bookingId } = state;
  const wanted = { seats: state.flight?.seats ?? 0, rooms: state.hotel?.rooms ?? 0 };
  try {
    await db.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT set_config('lock_timeout', ${`${LOCK_WAIT_MS}ms`}, true)`;
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_SPACE}::int, hashtext(${customerId}))`;
        const passed = limitPassed(limits, await heldBy(tx, customerId, bookingId), wanted);
        if (passed) throw holdLimitReached(customerId, passed);
        await writeBookingRow(tx, state, { ifAbsent: true });
      },
      { maxWait: LOCK_WAIT_MS, timeout: 2 * LOCK_WAIT_MS },
    );
  } catch (error) {
    if (!timedOut(error)) throw error;
    throw new ApiError(
      503,
      'temporarily_unavailable',
      'the hold could not be admitted in time; retry (with the same Idempotency-Key)',
    );
  }
}

/** The lock's wait (lock_timeout, SQLSTATE 55P03) or the transaction's ran out. */
function timedOut(error: unknown): boolean {
  return isTransactionTimeout(error) || sqlStateOf(error) === '55P03';
}

/**
 * Takes back the PENDING row of a booking whose workflow was never started (an admitted hold's
 * place with it), as written: a row the workflow has written since is newer, and stays.
 */
export async function withdrawPendingRow(db: BookingDb, bookingId: string): Promise<void> {
  await db.$executeRaw`DELETE FROM bookings WHERE id = ${bookingId} AND version = 1 AND status = 'PENDING'`;
}
