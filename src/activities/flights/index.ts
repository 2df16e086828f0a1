// The flight service as the worker and the checks take it: its database, its activities, its
// books and its seed data.
import type { TripService } from '../shared/service.ts';
import { createFlightService } from './activities.ts';
import { flightBooks } from './books.ts';
import { createFlightsDb, type FlightsDb } from './db.ts';
import { seedFlights } from './seed.ts';

export const flights = {
  name: 'flights' as const,
  database: { name: 'flights', connect: createFlightsDb },
  activities: ({ db }) => createFlightService(db),
  books: flightBooks,
  seed: seedFlights,
} satisfies TripService<'flights', FlightsDb>;
