// The hotel's part of the booking request (POST /bookings' `hotel`), in zod: a stay as a check-in
// day and a number of nights, parsed to the check-out day the hotel step takes. The API composes
// the request from each service's part (src/api/bookings/services.ts).
import { z } from 'zod';
import { DAY_MS, fromDbDate } from '../../common/dates.ts';
import { smallCount, travelDate } from '../shared/request-fields.ts';
import type { HotelRequest } from './types.ts';

/** The longest stay a booking (or GET /hotels) may name. */
export const MAX_NIGHTS = 30;

/** checkIn + nights days, as YYYY-MM-DD. */
export function checkOutFor(checkIn: string, nights: number): string {
  return fromDbDate(new Date(Date.parse(`${checkIn}T00:00:00Z`) + nights * DAY_MS));
}

/** The stay as a client sends it: a check-in day and a number of nights (the API works out the check-out day). */
const hotelStaySchema = z.strictObject({
  hotelId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -'),
  checkIn: travelDate,
  nights: z
    .int()
    .min(1, 'at least 1 night')
    .max(MAX_NIGHTS, `a stay is at most ${MAX_NIGHTS} nights`)
    .meta({ description: 'Nights of the stay; check-out is checkIn + nights.' }),
  rooms: smallCount('room'),
});

/** The stay, parsed to the shape the workflow's input has always had (recorded histories keep replaying). */
export const hotelRequestSchema = hotelStaySchema.transform(({ hotelId, checkIn, nights, rooms }): HotelRequest => ({
  hotelId,
  checkIn,
  checkOut: checkOutFor(checkIn, nights),
  rooms,
}));

/** The request's field that is the hotel's, and what it takes. */
export const hotelRequestPart = { field: 'hotel', schema: hotelRequestSchema } as const;
