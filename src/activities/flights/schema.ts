// The flight's part of the booking request (POST /bookings' `flight`), in zod: the API composes
// the request from each service's part (src/api/bookings/services.ts).
import { z } from 'zod';
import { smallCount, travelDate } from '../shared/request-fields.ts';
import { SEAT_PREFERENCES, type FlightRequest } from './types.ts';

/** A flight number: 2–8 capital letters or digits. */
export const FLIGHT_NUMBER_PATTERN = /^[A-Z0-9]{2,8}$/;

export const flightRequestSchema = z.strictObject({
  flightNumber: z.string().regex(FLIGHT_NUMBER_PATTERN, 'must be 2–8 capital letters or digits'),
  date: travelDate,
  seats: smallCount('seat'),
  seatPreference: z
    .enum(SEAT_PREFERENCES)
    .optional()
    .meta({ description: 'Which seats the flight reservation assigns (default any).' }),
}) satisfies z.ZodType<FlightRequest>;

/** The request's field that is the flight's, and what it takes. */
export const flightRequestPart = { field: 'flight', schema: flightRequestSchema } as const;
