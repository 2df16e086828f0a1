// The flight's block of the booking as the API shows it (GET /bookings/{id}'s `flight`): its
// schema and how the booking's flight details read in it. The API composes the view from each
// service's block (src/api/bookings/services.ts).
import { z } from 'zod';
import { money } from '../../common/money.ts';
import type { FlightDetails } from './types.ts';

export const flightViewSchema = z.object({
  flightNumber: z.string(),
  date: z.string(),
  seats: z.int(),
  seatNumbers: z.array(z.string()).optional(),
  price: z.string().optional(),
  reservationId: z.string().optional(),
});

export type FlightView = z.infer<typeof flightViewSchema>;

export function flightView(flight: FlightDetails): FlightView {
  return {
    flightNumber: flight.flightNumber,
    date: flight.date,
    seats: flight.seats,
    ...(flight.seatNumbers ? { seatNumbers: flight.seatNumbers } : {}),
    ...(flight.priceCents === undefined ? {} : { price: money(flight.priceCents) }),
    ...(flight.reservationId ? { reservationId: flight.reservationId } : {}),
  };
}

/** The view's field that is the flight's, its schema, and how the booking's details show in it. */
export const flightViewPart = { field: 'flight', schema: flightViewSchema, show: flightView } as const;
