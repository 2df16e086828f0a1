// Events: the history of one CONFIRMED booking started through POST /bookings (the production
// path), and of one bare workflow; over Nexus, also the history of each serviceOperation workflow
// the booking's operations ran in their services' namespaces, whose events are the saga's too.
// Deterministic: the same code gives the same counts.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { EventCounts, History } from '../result.ts';
import { serviceWorkflowsOf } from '../service-workflows.ts';
import type { Stack } from '../stack.ts';
import type { Workload } from '../workload.ts';

const EVENT_TYPES = proto.temporal.api.enums.v1.EventType;

export async function measureEvents(
  stack: Stack,
  workload: Workload,
  log: (line: string) => void,
): Promise<EventCounts> {
  log(
    `events: the history of a booking started by POST /bookings${stack.services.nexus ? " and of its services' workflows" : ''}, and of the bare workflow`,
  );
  const bookingId = await workload.postBooking(workload.bodyFor('bench-events'));
  const status = await workload.resultOf(bookingId);
  if (status !== 'CONFIRMED') throw new Error(`the events phase's booking ended ${status}, not CONFIRMED`);
  const workflowId = workload.workflowIdOf(bookingId);
  const saga = await historyOf(stack.client, workflowId);
  const services = [];
  for (const { service, namespace, workflowId: id, client } of await serviceWorkflowsOf(stack, bookingId))
    services.push({ service, namespace, workflowId: id, ...(await historyOf(client, id)) });
  const bareId = `bare-events-${randomUUID()}`;
  await (await workload.startBare(bareId)).result();
  const bare = await historyOf(stack.client, bareId);
  return {
    saga: { ...saga, workflowId },
    services,
    sagaTotal: saga.count + services.reduce((sum, s) => sum + s.count, 0),
    bare,
  };
}

/**
 * A workflow's history: how many events, and their types in order. A service's workflow has closed
 * by the time the booking has its result (its completion is what completes the booking's operation).
 */
async function historyOf(client: Client, workflowId: string): Promise<History> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const types = (history.events ?? []).map((e) =>
    (EVENT_TYPES[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, ''),
  );
  return { count: types.length, types };
}
