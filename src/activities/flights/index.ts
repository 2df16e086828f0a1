// The flight service as the worker and the checks take it: its activities and its books.
import type { TripService } from '../shared/service.ts';
import { createFlightService } from './activities.ts';
import { flightBooks } from './books.ts';

export const flights = {
  name: 'flights' as const,
  activities: ({ db }) => createFlightService(db),
  books: flightBooks,
} satisfies TripService;
