// The hotel service as the worker and the checks take it: its activities and its books.
import type { TripService } from '../shared/service.ts';
import { createHotelService } from './activities.ts';
import { hotelBooks } from './books.ts';

export const hotels = {
  name: 'hotels' as const,
  activities: ({ db }) => createHotelService(db),
  books: hotelBooks,
} satisfies TripService;
