// The hotel service as the worker and the checks take it: its database, its activities, its books
// and its seed data.
import type { TripService } from '../shared/service.ts';
import { createHotelService } from './activities.ts';
import { hotelBooks } from './books.ts';
import { createHotelsDb, type HotelsDb } from './db.ts';
import { seedHotels } from './seed.ts';

export const hotels = {
  name: 'hotels' as const,
  database: { name: 'hotels', connect: createHotelsDb },
  activities: ({ db }) => createHotelService(db),
  books: hotelBooks,
  seed: seedHotels,
} satisfies TripService<'hotels', HotelsDb>;
