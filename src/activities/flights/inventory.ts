// GET /flights in zod: its query string and its answer. They validate the query, type the answer,
// and are the OpenAPI document's parameters and schemas (the route: routes.ts).
import { z } from 'zod';
import { calendarDate, queryInt } from '../../api/http/query.ts';
import { FLIGHT_NUMBER_PATTERN } from './schema.ts';

export const flightsQuerySchema = z.strictObject({
  date: calendarDate.optional(),
  flightNumber: z.string().regex(FLIGHT_NUMBER_PATTERN).optional(),
  limit: queryInt(1, 500, 100),
});

export const flightSchema = z
  .object({
    flightNumber: z.string(),
    date: z.string(),
    origin: z.string(),
    destination: z.string(),
    capacity: z.int(),
    seatsAvailable: z.int(),
    price: z.string(),
    currency: z.string(),
  })
  .meta({ id: 'Flight' });

export const flightListSchema = z.object({ items: z.array(flightSchema) }).meta({ id: 'FlightList' });
