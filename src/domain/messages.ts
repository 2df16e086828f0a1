// The workflow's messages: the query the API reads live state with, and the Updates (with
// validators in the workflow) for the user's cancel and the operator's actions.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { BookingState } from './booking.ts';

export const getBookingStateQuery = defineQuery<BookingState>('getBookingState');

/** The user's cancel. Refused once the booking is terminal or already unwinding. */
export const cancelBookingUpdate = defineUpdate<BookingState, [{ reason?: string }]>('cancelBooking');

/** Operator: re-run the compensations that failed. Refused unless COMPENSATION_FAILED. */
export const retryCompensationUpdate = defineUpdate<BookingState>('retryCompensation');

/** Operator: a person fixed it by hand. Refused unless COMPENSATION_FAILED. */
export const resolveCompensationUpdate = defineUpdate<BookingState, [{ note: string }]>('resolveCompensation');
