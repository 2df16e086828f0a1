// The hotel step's row in the trip's table (src/booking/steps.ts). Pure: the workflow imports it.
import type { StepRow } from '../shared/contract.ts';
import { RESERVE_OPTIONS, UNDO_OPTIONS, undoByBookingId } from '../shared/step-options.ts';
import type { createHotelService } from './activities.ts';
import type { HotelDetails, HotelRequest, HotelReservationResult } from './types.ts';

type HotelActivities = ReturnType<typeof createHotelService>;

export const hotelStep = {
  name: 'hotel',
  service: 'hotels',
  label: 'Hotel',
  activity: 'reserveHotel',
  options: RESERVE_OPTIONS,
  undo: 'cancelHotel',
  undoOptions: UNDO_OPTIONS,
  undoArgs: undoByBookingId,
  initialDetails: (input) => ({ hotel: { ...input.hotel } }),
  summary: ({ input: { hotel } }) =>
    `Reserve ${hotel.rooms} room(s) at ${hotel.hotelId}, ${hotel.checkIn} → ${hotel.checkOut}`,
  args: ({ input }) => ({ bookingId: input.bookingId, ...input.hotel }),
  record: ({ input, state }, result) => {
    const { nights, priceCents, reservationId } = result as HotelReservationResult;
    state.hotel = { ...input.hotel, nights, priceCents, reservationId };
    return reservationId;
  },
} as const satisfies StepRow<HotelActivities, { bookingId: string; hotel: HotelRequest }, { hotel?: HotelDetails }>;
