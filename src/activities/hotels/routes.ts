// The hotel service's router: GET /hotels, with its OpenAPI operation: the rooms free for a stay,
// from the hotel service's own database alone (no token needed). The API mounts it
// (src/api/routes.ts).
import { utcDay } from '../../common/dates.ts';
import { money } from '../../common/money.ts';
import { parse } from '../../api/http/errors.ts';
import { commonErrors, json } from '../../api/http/openapi-parts.ts';
import { queryParameters } from '../../api/http/query.ts';
import type { Route } from '../../api/http/route.ts';
import type { HotelsDb } from './db.ts';
import { hotelListSchema, hotelsQuerySchema } from './inventory.ts';
import { freeRoomsForStay } from './room-nights.ts';
import { checkOutFor } from './schema.ts';

export interface HotelRouteDeps {
  /** The hotel service's database. */
  hotels: HotelsDb;
}

export const hotelRoutes: readonly Route<HotelRouteDeps>[] = [
  {
    method: 'get',
    path: '/hotels',
    operation: {
      operationId: 'listHotels',
      summary: 'Hotels with the rooms free for a stay',
      description:
        'Rooms are sold per night: a stay takes a room on each night from checkIn to the night before check-out. roomsAvailable is the fewest rooms free on any night of the stay (checkIn, tonight in UTC when absent; nights, one when absent); the stay in the answer says which.',
      parameters: queryParameters(hotelsQuerySchema),
      responses: { '200': json(hotelListSchema, 'Hotels, with the stay they answer for.'), ...commonErrors },
    },
    handlers: ({ hotels: db }) => [
      async (req, res) => {
        const query = parse(hotelsQuerySchema, req.query, 'query');
        const stay = { checkIn: query.checkIn ?? utcDay(0), nights: query.nights ?? 1 };
        const [hotels, free] = await Promise.all([
          db.hotel.findMany({ orderBy: { id: 'asc' } }),
          freeRoomsForStay(db, stay.checkIn, stay.nights),
        ]);
        res.json({
          stay: { ...stay, checkOut: checkOutFor(stay.checkIn, stay.nights) },
          items: hotels.map((h) => ({
            hotelId: h.id,
            name: h.name,
            city: h.city,
            capacity: h.capacity,
            // A hotel added between the two reads has nothing taken yet.
            roomsAvailable: free.get(h.id) ?? h.capacity,
            nightlyPrice: money(h.nightlyPriceCents)!,
            currency: h.currency,
          })),
        });
      },
    ],
  },
];
