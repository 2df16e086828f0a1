// The services a booking is made of, in the trip's order: each one's part of the request
// (src/activities/<service>/schema.ts) and its block of the booking's view (…/view.ts). The
// booking request (request.ts) and the booking view (view.ts) are composed from this list: a new
// service is one more entry here.
import type { z } from 'zod';
import { flightRequestPart } from '../../activities/flights/schema.ts';
import { flightViewPart } from '../../activities/flights/view.ts';
import { hotelRequestPart } from '../../activities/hotels/schema.ts';
import { hotelViewPart } from '../../activities/hotels/view.ts';
import { paymentRequestPart } from '../../activities/payments/schema.ts';
import { paymentViewPart } from '../../activities/payments/view.ts';
import type { BookingState } from '../../booking/booking.ts';

export const SERVICES = [
  { request: flightRequestPart, view: flightViewPart },
  { request: hotelRequestPart, view: hotelViewPart },
  { request: paymentRequestPart, view: paymentViewPart },
] as const;

type Service = (typeof SERVICES)[number];

/** The booking request's fields that are the services': each one's part, by its field. */
export const serviceRequestShape = Object.fromEntries(
  SERVICES.map(({ request }) => [request.field, request.schema]),
) as {
  [S in Service as S['request']['field']]: S['request']['schema'];
};

/** The booking view's blocks that are the services': each one there once the booking has its details. */
export const serviceViewShape = Object.fromEntries(
  SERVICES.map(({ view }) => [view.field, view.schema.optional()]),
) as {
  [S in Service as S['view']['field']]: z.ZodOptional<S['view']['schema']>;
};

export type ServiceViews = { [S in Service as S['view']['field']]?: z.infer<S['view']['schema']> };

/** The services' blocks of the view of `state`, in the list's order: one for each service whose details it has. */
export function serviceViews(state: BookingState): ServiceViews {
  const blocks = SERVICES.flatMap(({ view }) => {
    const details = state[view.field];
    // The list pairs each block with its own service's details (by field); TypeScript cannot follow the pairing.
    return details ? [[view.field, view.show(details as never)] as const] : [];
  });
  return Object.fromEntries(blocks);
}
