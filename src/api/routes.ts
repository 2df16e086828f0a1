// The API's documented routes, in the document's order: the app serves this list
// (src/api/http/app.ts) and the OpenAPI document's paths are this list's operations
// (src/api/http/openapi.ts). A new route joins its router's list; a new router joins this one.
// The inventory's routers are the flight and hotel services' own, over their own databases
// (src/activities/<service>/routes.ts): the API mounts them, as it does its own.
// Not in the document, and mounted by the app as plain Express routers: the document itself and
// its page (/openapi.json, /docs), the dev issuer's POST /dev/token (development only), and the
// Web UI's codec endpoint (/codec/*, for the Temporal Web UI, not for API clients).
import { bookingActionRoutes, type BookingActionRouteDeps } from './bookings/action-routes.ts';
import { bookingRoutes, type BookingRouteDeps } from './bookings/routes.ts';
import { eventRoutes, type EventRouteDeps } from './events/routes.ts';
import { healthRoutes, type HealthRouteDeps } from './http/health.ts';
import type { Route } from './http/route.ts';
// Last, as the inventory was: the document's schemas are registered in the order their modules load.
import { flightRoutes, type FlightRouteDeps } from '../activities/flights/routes.ts';
import { hotelRoutes, type HotelRouteDeps } from '../activities/hotels/routes.ts';

/** What the routers need, all together: the app builds it once. */
export type RouteDeps = BookingRouteDeps &
  EventRouteDeps &
  BookingActionRouteDeps &
  FlightRouteDeps &
  HotelRouteDeps &
  HealthRouteDeps;

export const API_ROUTES: readonly Route<RouteDeps>[] = [
  ...bookingRoutes,
  ...eventRoutes,
  ...bookingActionRoutes,
  ...flightRoutes,
  ...hotelRoutes,
  ...healthRoutes,
];
