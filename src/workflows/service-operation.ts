// serviceOperation: how a service runs one of its operations when the booking calls it over Nexus
// (src/temporal/service-nexus.ts starts it, in the service's own namespace): its activity, with the
// timeouts and retry policy of its row, so the service owns its retries. A cancel of the booking's
// step cancels this workflow; it closes only once its activity has stopped, so the booking's undo
// never runs beside a reserve still in flight. It sets no versioning behavior of its own: the
// service's worker, versioned in the service's own deployment, runs it AUTO_UPGRADE
// (serviceWorkerDeploymentOptions in src/temporal/versioning.ts): each call is a short workflow,
// so the service's current build takes the in-flight ones too, and no old build waits for them.
import { ActivityCancellationType, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { operationRow, type OperationInput } from '../booking/service-contracts.ts';
import type { ServiceName } from '../booking/service-routes.ts';

export interface ServiceOperationInput {
  service: ServiceName;
  operation: string;
  input: OperationInput;
}

export async function serviceOperation({ service, operation, input }: ServiceOperationInput): Promise<unknown> {
  const found = operationRow(service, operation);
  if (!found) {
    throw ApplicationFailure.create({
      type: 'UnknownOperation',
      message: `the ${service} service has no operation ${operation}`,
      nonRetryable: true,
    });
  }
  const activity = proxyActivities<Record<string, (input: OperationInput) => Promise<unknown>>>({
    ...found.options,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  })[operation]!;
  return activity.executeWithOptions({ summary: `${operation} for booking ${input.bookingId}` }, [input]);
}
