// GET /flights and GET /hotels, in zod: their query strings and answers. They validate the
// queries, type the answers, and are the OpenAPI document's parameters and schemas.
import { z } from 'zod';
import { fromDbDate } from '../../common/dates.ts';
import { FLIGHT_NUMBER_PATTERN } from '../../activities/flights/schema.ts';
import { MAX_NIGHTS } from '../../activities/hotels/schema.ts';
import { queryInt, queryIntIn } from '../http/query.ts';

const isoDay = (ms: number) => fromDbDate(new Date(ms));

/** A real calendar date, YYYY-MM-DD, from 0001-01-01 on: JSON Schema's `format: date` (RFC 3339 full-date). */
export const calendarDate = z
  .string()
  .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'must be a date as YYYY-MM-DD')
  .refine(
    (s) =>
      !s.startsWith('0000') &&
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) &&
      isoDay(Date.parse(`${s}T00:00:00Z`)) === s,
    'must be a real calendar date',
  )
  .meta({ format: 'date' });

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

/** The stay GET /hotels answers for; each part has a default, so any combination is one. */
export const hotelsQuerySchema = z.strictObject({
  checkIn: calendarDate.optional().meta({ description: 'The first night of the stay (UTC); tonight when absent.' }),
  nights: queryIntIn(1, MAX_NIGHTS)
    .optional()
    .meta({ description: `Nights of the stay (1–${MAX_NIGHTS}); one when absent.` }),
});

export const hotelSchema = z
  .object({
    hotelId: z.string(),
    name: z.string(),
    city: z.string(),
    capacity: z.int(),
    roomsAvailable: z
      .int()
      .meta({ description: 'Rooms free on every night of the stay: the fewest free on any of its nights.' }),
    nightlyPrice: z.string(),
    currency: z.string(),
  })
  .meta({ id: 'Hotel' });

export const flightListSchema = z.object({ items: z.array(flightSchema) }).meta({ id: 'FlightList' });
export const hotelListSchema = z
  .object({
    stay: z.object({ checkIn: z.string(), nights: z.int(), checkOut: z.string() }).meta({
      description: 'The stay roomsAvailable counts for: its nights run from checkIn to the night before checkOut.',
    }),
    items: z.array(hotelSchema),
  })
  .meta({ id: 'HotelList' });
