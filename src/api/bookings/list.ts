// GET /bookings: its query and its page, in zod, and the page itself: the read model, newest
// first, with a keyset cursor. It reads PostgreSQL only: listing never asks Temporal.
import { z } from 'zod';
import type { BookingDb } from '../../db/booking-db.ts';
import {
  BOOKING_STATUSES,
  CUSTOMER_ID_PATTERN,
  CUSTOMER_ID_RULE,
  type BookingState,
  type BookingStatus,
} from '../../booking/booking.ts';
import { CURSOR_PATTERN, decodeCursor, encodeCursor } from './cursor.ts';
import { ApiError } from '../http/errors.ts';
import { queryInt } from '../http/query.ts';
import { money } from '../../common/money.ts';

export const bookingListQuerySchema = z.strictObject({
  status: z.enum(BOOKING_STATUSES).optional(),
  customerId: z.string().regex(CUSTOMER_ID_PATTERN, CUSTOMER_ID_RULE).optional(),
  limit: queryInt(1, 100, 20),
  cursor: z.string().regex(CURSOR_PATTERN, 'is not a cursor: use nextCursor from a page').optional().meta({
    description:
      'nextCursor of the page before; a cursor no page handed out answers with the bookings after its position.',
  }),
});

export const bookingSummarySchema = z
  .object({
    bookingId: z.string(),
    customerId: z.string(),
    status: z.enum(BOOKING_STATUSES),
    currentStep: z.string().nullable(),
    failure: z.object({ step: z.string(), type: z.string(), message: z.string() }).optional(),
    total: z.string().optional(),
    holdExpiresAt: z.string().optional().meta({ description: 'HELD: until when the hold lasts.' }),
    operatorWaitSince: z
      .string()
      .optional()
      .meta({ description: 'COMPENSATION_FAILED: since when the booking waits for an operator.' }),
    currency: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'BookingSummary' });

export const bookingListSchema = z
  .object({ items: z.array(bookingSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'BookingList' });

export interface BookingListQuery {
  status?: BookingStatus;
  customerId?: string;
  limit: number;
  cursor?: string;
}

/** A page of the read model, newest first, with a keyset cursor. */
export async function listBookings(db: BookingDb, query: BookingListQuery) {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (query.cursor !== undefined && !after) {
    throw new ApiError(400, 'validation_failed', 'invalid cursor', [
      { path: 'query.cursor', message: 'is not a cursor from this API' },
    ]);
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
function waitsOf(
  status: BookingStatus,
  state: BookingState | null,
): { holdExpiresAt?: string; operatorWaitSince?: string } {
  return {
    ...(status === 'HELD' && state?.holdExpiresAt ? { holdExpiresAt: state.holdExpiresAt } : {}),
    ...(status === 'COMPENSATION_FAILED' && state?.operatorWait ? { operatorWaitSince: state.operatorWait.since } : {}),
  };
}
