// GET /bookings: a page of the read model, newest first, with a keyset cursor. It reads PostgreSQL
// only: listing never asks Temporal.
import type { Db } from '../db/client.ts';
import type { BookingState, BookingStatus } from '../booking/booking.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { ApiError } from './errors.ts';
import { money } from '../common/money.ts';

export interface BookingListQuery {
  status?: BookingStatus;
  customerId?: string;
  limit: number;
  cursor?: string;
}

/** A page of the read model, newest first, with a keyset cursor. */
export async function listBookings(db: Db, query: BookingListQuery) {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (query.cursor !== undefined && !after) {
    throw new ApiError(400, 'validation_failed', 'invalid cursor', [{ path: 'query.cursor', message: 'is not a cursor from this API' }]);
  }
  const rows = await db.booking.findMany({
    where: {
      ...(query.status ? { status: query.status } : {}),
      ...(query.customerId ? { customerId: query.customerId } : {}),
      ...(after
        ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({
      bookingId: row.id,
      customerId: row.customerId,
      status: row.status,
      currentStep: row.currentStep,
      ...(row.failureStep && row.failureType
        ? { failure: { step: row.failureStep, type: row.failureType, message: row.failureMessage ?? '' } }
        : {}),
      ...(row.totalCents === null ? {} : { total: money(row.totalCents) }),
      // What the read model's state adds: a hold's deadline, an operator's wait.
      ...waitsOf(row.status, row.state as unknown as BookingState | null),
      currency: row.currency,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
  };
}

/** A list item's deadline of a HELD booking, and since when a COMPENSATION_FAILED one waits for an operator. */
function waitsOf(status: BookingStatus, state: BookingState | null): { holdExpiresAt?: string; operatorWaitSince?: string } {
  return {
    ...(status === 'HELD' && state?.holdExpiresAt ? { holdExpiresAt: state.holdExpiresAt } : {}),
    ...(status === 'COMPENSATION_FAILED' && state?.operatorWait ? { operatorWaitSince: state.operatorWait.since } : {}),
  };
}
