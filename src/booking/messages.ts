// What the workflow says and hears: the query the API reads live state with, the Updates (with
// validators in the workflow) for the user's cancel and the operator's actions, and the search
// attribute it keeps.
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { BookingState } from './booking.ts';
import type { PaymentMethodRef } from '../activities/payments/types.ts';

export const getBookingStateQuery = defineQuery<BookingState>('getBookingState');

/**
 * Who asked, as the API verified it: the bearer token's `sub`. Optional: histories recorded before
 * the API had identities carry none.
 */
export interface Caller {
  by?: string;
}

/** The user's cancel. Refused once the booking is terminal or already unwinding. */
export const cancelBookingUpdate = defineUpdate<BookingState, [{ reason?: string } & Caller]>('cancelBooking');

/** Operator: re-run the compensations that failed. Refused unless COMPENSATION_FAILED. Histories from before identities carry no argument. */
export const retryCompensationUpdate = defineUpdate<BookingState, [Caller]>('retryCompensation');

/** Operator: a person fixed it by hand. Refused unless COMPENSATION_FAILED. */
export const resolveCompensationUpdate = defineUpdate<BookingState, [{ note: string } & Caller]>('resolveCompensation');

/**
 * The customer confirms a hold with a card (its token: the number never reaches the workflow); the
 * payment step then runs. Refused unless HELD, and once the hold's expiry has begun.
 */
export const confirmHoldUpdate = defineUpdate<BookingState, [{ payment: PaymentMethodRef } & Caller]>('confirmHold');

/** The customer moves a HELD booking's deadline `minutes` later, once. Refused once the deadline has passed. */
export const extendHoldUpdate = defineUpdate<BookingState, [{ minutes: number } & Caller]>('extendHold');

/**
 * Answers once the booking is settled: ended, HELD (waiting for its confirm) or waiting for an
 * operator. The API's `Prefer: wait` sends it with the start (Update-with-Start), and after a confirm.
 */
export const awaitSettledUpdate = defineUpdate<BookingState, []>('awaitSettled');

/**
 * The booking's status as a search attribute (Keyword), so the Web UI and `temporal workflow list`
 * can find bookings by status: `BookingStatus = "COMPENSATION_FAILED"`. The server must know it
 * (`npm run dev` registers it; elsewhere `temporal operator search-attribute create`).
 */
export const BOOKING_STATUS_SEARCH_ATTRIBUTE = defineSearchAttributeKey('BookingStatus', SearchAttributeType.KEYWORD);
