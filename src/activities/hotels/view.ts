// The hotel's block of the booking as the API shows it (GET /bookings/{id}'s `hotel`): its schema
// and how the booking's stay reads in it. The API composes the view from each service's block
// (src/api/bookings/services.ts).
import { z } from 'zod';
import { money } from '../../common/money.ts';
import type { HotelDetails } from './types.ts';

export const hotelViewSchema = z.object({
  hotelId: z.string(),
  checkIn: z.string(),
  checkOut: z.string(),
  rooms: z.int(),
  nights: z.int().optional(),
  price: z.string().optional(),
  reservationId: z.string().optional(),
});

export type HotelView = z.infer<typeof hotelViewSchema>;

export function hotelView(hotel: HotelDetails): HotelView {
  return {
    hotelId: hotel.hotelId,
    checkIn: hotel.checkIn,
    checkOut: hotel.checkOut,
    rooms: hotel.rooms,
    ...(hotel.nights === undefined ? {} : { nights: hotel.nights }),
    ...(hotel.priceCents === undefined ? {} : { price: money(hotel.priceCents) }),
    ...(hotel.reservationId ? { reservationId: hotel.reservationId } : {}),
  };
}

/** The view's field that is the hotel's, its schema, and how the booking's details show in it. */
export const hotelViewPart = { field: 'hotel', schema: hotelViewSchema, show: hotelView } as const;
