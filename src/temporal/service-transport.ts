// The services' way of being called, from the configuration: the routes every booking's input
// carries (src/booking/service-routes.ts), and, the Nexus way, where each service's worker runs and
// which endpoint reaches it. The API, the worker and `npm run dev` read the same.
import { SERVICE_NAMES } from '../booking/service-contracts.ts';
import {
  routesFor,
  serviceEndpoint,
  type ServiceName,
  type ServiceRoute,
  type ServiceTransport,
} from '../booking/service-routes.ts';
import { TASK_QUEUE } from '../booking/booking.ts';

/** A service's side of the Nexus way: its namespace, its task queue there, and its endpoint's name. */
export interface ServiceNexusTarget {
  namespace: string;
  taskQueue: string;
  endpoint: string;
}

export interface ServiceTransportPlan {
  via: ServiceTransport;
  /** What every booking's input names, per service. */
  routes: Record<ServiceName, ServiceRoute>;
  /** The Nexus way only: each service's target. */
  nexus?: Record<ServiceName, ServiceNexusTarget>;
}

/** The configuration's part (src/config.ts: SERVICES_VIA, NEXUS_ENDPOINT_PREFIX, SERVICE_NAMESPACES). */
export interface TransportConfig {
  servicesVia: ServiceTransport | undefined;
  nexusEndpointPrefix: string;
  serviceNamespaces: Record<string, string>;
}

/** The plan for `via` (default: the configuration's SERVICES_VIA, else `fallback`). */
export function serviceTransport(
  config: TransportConfig,
  options: { fallback: ServiceTransport; bookingTaskQueue?: string },
): ServiceTransportPlan {
  const via = config.servicesVia ?? options.fallback;
  const bookingTaskQueue = options.bookingTaskQueue ?? TASK_QUEUE;
  if (via !== 'nexus') {
    return {
      via,
      routes: routesFor(SERVICE_NAMES, via, { bookingTaskQueue, endpointPrefix: config.nexusEndpointPrefix }),
    };
  }
  // A booking task queue of its own (a test's) brings endpoints and service queues of its own, so
  // stacks on one server never share a service's worker.
  const prefix =
    bookingTaskQueue === TASK_QUEUE
      ? config.nexusEndpointPrefix
      : `${config.nexusEndpointPrefix}-${bookingTaskQueue.replace(/[^A-Za-z0-9-]/g, '-')}`;
  const routes = routesFor(SERVICE_NAMES, via, { bookingTaskQueue, endpointPrefix: prefix });
  const nexus = Object.fromEntries(
    SERVICE_NAMES.map((service) => [
      service,
      {
        namespace: config.serviceNamespaces[service] ?? service,
        // The endpoint targets this queue of the service's namespace: its worker polls it.
        taskQueue: serviceEndpoint(prefix, service),
        endpoint: serviceEndpoint(prefix, service),
      },
    ]),
  ) as Record<ServiceName, ServiceNexusTarget>;
  return { via, routes, nexus };
}

/** The plan in words, for a start-up line. */
export function describeServiceTransport(plan: ServiceTransportPlan): string {
  if (!plan.nexus) return 'services as activities on their own task queues';
  return `services over Nexus: ${Object.entries(plan.nexus)
    .map(([service, t]) => `${service} at endpoint ${t.endpoint} (namespace ${t.namespace})`)
    .join(', ')}`;
}
