// GET /flights and GET /hotels, each with its OpenAPI operation: what may be booked, from the
// database alone (no token needed).
import type { Db } from '../../db/client.ts';
import { freeRoomsForStay } from '../../activities/hotels/room-nights.ts';
import { checkOutFor } from '../../activities/hotels/schema.ts';
import { fromDbDate, toDbDate, utcDay } from '../../common/dates.ts';
import { money } from '../../common/money.ts';
import { parse } from '../http/errors.ts';
import { commonErrors, json } from '../http/openapi-parts.ts';
import { queryParameters } from '../http/query.ts';
import type { Route } from '../http/route.ts';
import { flightListSchema, flightsQuerySchema, hotelListSchema, hotelsQuerySchema } from './schemas.ts';

export interface InventoryRouteDeps {
  db: Db;
}

export const inventoryRoutes: readonly Route<InventoryRouteDeps>[] = [
  {
    method: 'get',
    path: '/flights',
    operation: {
      operationId: 'listFlights',
      summary: 'Flights with seats available',
      parameters: queryParameters(flightsQuerySchema),
      responses: { '200': json(flightListSchema, 'Flights.'), ...commonErrors },
    },
    handlers: ({ db }) => [
      async (req, res) => {
        const query = parse(flightsQuerySchema, req.query, 'query');
        const today = fromDbDate(new Date());
        const flights = await db.flight.findMany({
          where: {
            ...(query.flightNumber ? { flightNumber: query.flightNumber } : {}),
            ...(query.date ? { date: toDbDate(query.date) } : { date: { gte: toDbDate(today) } }),
          },
          orderBy: [{ date: 'asc' }, { flightNumber: 'asc' }],
          take: query.limit,
        });
        res.json({
          items: flights.map((f) => ({
            flightNumber: f.flightNumber,
            date: fromDbDate(f.date),
            origin: f.origin,
            destination: f.destination,
            capacity: f.capacity,
            seatsAvailable: f.seatsAvailable,
            price: money(f.priceCents)!,
            currency: f.currency,
          })),
        });
      },
    ],
  },
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
    handlers: ({ db }) => [
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
