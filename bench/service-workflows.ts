// Over Nexus, each operation a booking calls runs as a serviceOperation workflow in its service's
// namespace (src/temporal/service-nexus.ts). Which ones a booking ran, read from its history: each
// NEXUS_OPERATION_SCHEDULED names the endpoint (so the service, so its namespace), the operation
// and the request ID the handler names its workflow after.
import { Client } from '@temporalio/client';
import { workflowIdFor } from '../src/booking/booking.ts';
import type { ServiceName } from '../src/booking/service-routes.ts';
import { operationWorkflowId } from '../src/temporal/service-nexus.ts';
import type { Stack } from './stack.ts';

export interface ServiceWorkflow {
  service: ServiceName;
  namespace: string;
  workflowId: string;
  /** A client of the service's namespace, on the stack's connection. */
  client: Client;
}

/** The serviceOperation workflows the booking's Nexus operations started, in the order it called them (none: activities). */
export async function serviceWorkflowsOf({ client, services }: Stack, bookingId: string): Promise<ServiceWorkflow[]> {
  if (!services.nexus) return [];
  const nexus = services.nexus;
  const serviceOf = new Map(Object.entries(nexus).map(([service, t]) => [t.endpoint, service as ServiceName]));
  const { events } = await client.workflow.getHandle(workflowIdFor(bookingId)).fetchHistory();
  return (events ?? []).flatMap((e) => {
    const scheduled = e.nexusOperationScheduledEventAttributes;
    const service = scheduled?.endpoint ? serviceOf.get(scheduled.endpoint) : undefined;
    if (!scheduled || !service) return [];
    const { namespace } = nexus[service];
    return [
      {
        service,
        namespace,
        workflowId: operationWorkflowId(scheduled.operation!, { bookingId }, scheduled.requestId!),
        client: new Client({ connection: client.connection, namespace }),
      },
    ];
  });
}
