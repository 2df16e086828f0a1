// GET /hotels in zod: its query string and its answer. They validate the query, type the answer,
// and are the OpenAPI document's parameters and schemas (the route: routes.ts).
import { z } from 'zod';
import { calendarDate, queryIntIn } from '../../api/http/query.ts';
import { MAX_NIGHTS } from './schema.ts';

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

export const hotelListSchema = z
  .object({
    stay: z.object({ checkIn: z.string(), nights: z.int(), checkOut: z.string() }).meta({
      description: 'The stay roomsAvailable counts for: its nights run from checkIn to the night before checkOut.',
    }),
    items: z.array(hotelSchema),
  })
  .meta({ id: 'HotelList' });
