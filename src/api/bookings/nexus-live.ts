// A step called over Nexus (SERVICES_VIA=nexus) runs in its service's namespace: its attempts are
// those of the service's own workflow, not of the booking's. The booking's describe names the
// operation and its token; a workflow-run operation's token names that workflow (base64url JSON
// with its namespace and workflow ID), whose pending activity has the attempts, the last failure
// and the next attempt's time.
import { Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { stepOfActivity } from '../../booking/steps.ts';
import { liveAttempt, type LiveSteps } from './view.ts';

/** The service's workflow behind a workflow-run operation's token; undefined for any other token. */
export function handlerOfToken(token: string): { namespace: string; workflowId: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { ns?: unknown; wid?: unknown };
    return typeof parsed.ns === 'string' && typeof parsed.wid === 'string'
      ? { namespace: parsed.ns, workflowId: parsed.wid }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The live attempts of each step that runs as a Nexus operation, read from its service's workflow. */
export async function nexusLiveSteps(client: Client, description: WorkflowExecutionDescription): Promise<LiveSteps> {
  const live: LiveSteps = {};
  for (const pending of description.raw.pendingNexusOperations ?? []) {
    const step = stepOfActivity(pending.operation ?? '');
    const handler = handlerOfToken(pending.operationToken ?? '');
    if (!step || !handler) continue;
    const service = new Client({ connection: client.connection, namespace: handler.namespace });
    const described = await service.workflow.getHandle(handler.workflowId).describe();
    const activity = described.raw.pendingActivities?.[0];
    if (!activity) continue;
    live[step] = liveAttempt(activity);
  }
  return live;
}
