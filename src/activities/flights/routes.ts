// The flight service's router: GET /flights, with its OpenAPI operation: what may be booked, from
// the flight service's own database alone (no token needed). The API mounts it (src/api/routes.ts).
import { fromDbDate, toDbDate } from '../../common/dates.ts';
import { money } from '../../common/money.ts';
import { parse } from '../../api/http/errors.ts';
import { commonErrors, json } from '../../api/http/openapi-parts.ts';
import { queryParameters } from '../../api/http/query.ts';
import type { Route } from '../../api/http/route.ts';
import type { FlightsDb } from './db.ts';
import { flightListSchema, flightsQuerySchema } from './inventory.ts';

export interface FlightRouteDeps {
  /** The flight service's database. */
  flights: FlightsDb;
}

export const flightRoutes: readonly Route<FlightRouteDeps>[] = [
  {
    method: 'get',
    path: '/flights',
    operation: {
      operationId: 'listFlights',
      summary: 'Flights with seats available',
      parameters: queryParameters(flightsQuerySchema),
      responses: { '200': json(flightListSchema, 'Flights.'), ...commonErrors },
    },
    handlers: ({ flights: db }) => [
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
];
