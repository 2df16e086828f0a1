// How the booking reaches each step's service: deployment configuration, never code in a step. A
// step's row names its service (`service`) and that service's operations (`activity`, `undo`);
// the route says where they run. Today every service runs its activities on a task queue of its
// own in the booking's namespace, polled only by that service's worker (`npm run worker --
// <service>`). A booking's input may name each service's task queue; a service it does not name
// runs on the booking's task queue followed by `-<service>` (trip-booking-flights), so a test's
// fresh task queue brings fresh service queues with it.
//
// Imported by the workflow, the worker and the API: plain data only.
import type { TripStepDefinition } from './steps.ts';

/** A service of the trip: the `service` of a step's row. */
export type ServiceName = TripStepDefinition['service'];

/** Where a service's operations run: its activities, on a task queue of the booking's namespace. */
export interface ServiceRoute {
  via: 'activity';
  taskQueue: string;
}

/** Routes a booking's input may set, per service (the rest follow the booking's task queue). */
export type ServiceRoutes = Partial<Record<ServiceName, ServiceRoute>>;

/** The task queue of a service's worker beside the booking's task queue. */
export function serviceTaskQueue(bookingTaskQueue: string, service: ServiceName): string {
  return `${bookingTaskQueue}-${service}`;
}

/** The route to one service: the booking's choice, or the queue beside the booking's. */
export function routeTo(service: ServiceName, bookingTaskQueue: string, routes: ServiceRoutes = {}): ServiceRoute {
  return routes[service] ?? { via: 'activity', taskQueue: serviceTaskQueue(bookingTaskQueue, service) };
}
