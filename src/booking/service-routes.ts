// How the booking reaches each step's service: deployment configuration, never code in a step. A
// step's row names its service (`service`) and that service's operations (`activity`, `undo`);
// the route says how they are called:
// - `activity`: the service's activities, on a task queue of its own in the booking's namespace,
//   polled only by that service's worker (`npm run worker -- <service>`);
// - `nexus`: the service's operations on a Nexus endpoint, handled in the service's own namespace
//   by its worker, which runs each as a workflow of its own with its own retry policy.
// A booking's input names its routes (the API sets them from its configuration, so a running
// booking keeps the way it started with); a service it does not name runs as activities on the
// booking's task queue followed by `-<service>` (trip-booking-flights), so a test's fresh task
// queue brings fresh service queues with it.
//
// Imported by the workflow, the worker and the API: plain data only.
import type { TripStepDefinition } from './steps.ts';

/** A service of the trip: the `service` of a step's row. */
export type ServiceName = TripStepDefinition['service'];

/** Where a service's operations run: its activities on a task queue of the booking's namespace, or a Nexus endpoint. */
export type ServiceRoute = { via: 'activity'; taskQueue: string } | { via: 'nexus'; endpoint: string };

/** How the services are called: every service the same way. */
export type ServiceTransport = ServiceRoute['via'];

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

/**
 * A service's Nexus endpoint by its name: `<prefix>-<service>` (trip-flights). Endpoint names take
 * letters, digits and dashes only (the server refuses an underscore).
 */
export function serviceEndpoint(prefix: string, service: ServiceName): string {
  return `${prefix}-${service}`;
}

/** Every service's route, the one way: Nexus endpoints named from `endpointPrefix`, or the queues beside the booking's. */
export function routesFor(
  services: readonly ServiceName[],
  transport: ServiceTransport,
  names: { bookingTaskQueue: string; endpointPrefix: string },
): Record<ServiceName, ServiceRoute> {
  return Object.fromEntries(
    services.map((service) => [
      service,
      transport === 'nexus'
        ? { via: 'nexus', endpoint: serviceEndpoint(names.endpointPrefix, service) }
        : { via: 'activity', taskQueue: serviceTaskQueue(names.bookingTaskQueue, service) },
    ]),
  ) as Record<ServiceName, ServiceRoute>;
}
