// What the services' Nexus way needs of a Temporal server, made sure of: a namespace per service,
// and an endpoint per service that targets the service's namespace and task queue. `npm run dev`
// and the tests run it against their dev server; a deployment makes the same once with the CLI
// (`temporal operator namespace create`, `temporal operator nexus endpoint create`: docs/deploy.md).
import { setTimeout as delay } from 'node:timers/promises';
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';

/** A service's side of an endpoint: where its operations are handled. */
export interface NexusTarget {
  /** The endpoint's name (letters, digits and dashes). */
  endpoint: string;
  namespace: string;
  taskQueue: string;
  /** What the Web UI says of the endpoint. */
  description: string;
}

/** gRPC's ALREADY_EXISTS. */
const ALREADY_EXISTS = 6;
const isAlreadyExists = (error: unknown) => (error as { code?: number }).code === ALREADY_EXISTS;

/** Registers the namespace unless it exists, then waits until the frontend answers for it. */
export async function ensureNamespace(connection: Connection, namespace: string, retentionDays = 1): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(retentionDays * 86_400_000),
    });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  for (let i = 0; ; i++) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (error) {
      if (i >= 50) throw error;
      await delay(100);
    }
  }
}

/** Creates the endpoint, or points the existing one of that name at the target. */
export async function ensureEndpoint(connection: Connection, target: NexusTarget): Promise<void> {
  const spec = {
    name: target.endpoint,
    target: { worker: { namespace: target.namespace, taskQueue: target.taskQueue } },
    description: {
      metadata: { encoding: Buffer.from('json/plain') },
      data: Buffer.from(JSON.stringify(target.description)),
    },
  };
  const { endpoints } = await connection.operatorService.listNexusEndpoints({ name: target.endpoint });
  const existing = endpoints?.[0];
  if (!existing) {
    try {
      await connection.operatorService.createNexusEndpoint({ spec });
      return;
    } catch (error) {
      if (!isAlreadyExists(error)) throw error; // another starter made it first: fine as it is
      return;
    }
  }
  const current = existing.spec?.target?.worker;
  if (current?.namespace === target.namespace && current.taskQueue === target.taskQueue) return;
  await connection.operatorService.updateNexusEndpoint({ id: existing.id, version: existing.version, spec });
}

/** Every service's namespace and endpoint (the Nexus way), made sure of in turn. */
export async function ensureServiceEndpoints(
  connection: Connection,
  targets: Record<string, { namespace: string; taskQueue: string; endpoint: string }>,
): Promise<void> {
  for (const [service, target] of Object.entries(targets)) {
    await ensureNamespace(connection, target.namespace);
    await ensureEndpoint(connection, { ...target, description: `The trip's ${service} service` });
  }
}
