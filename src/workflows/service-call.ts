// How the workflow calls a step's service, by the booking's route (src/booking/service-routes.ts):
// an activity on the service's task queue, or an operation on the service's Nexus endpoint, which
// its own namespace runs as a workflow with the service's own retry policy. The saga runner's
// `execute` and the reconciler both call through here.
import type { StepCall } from '@trip-saga/saga';
import { executeActivity } from '@trip-saga/saga';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { createNexusServiceClient, type ActivityOptions } from '@temporalio/workflow';
import { SERVICE_CONTRACTS } from '../booking/service-contracts.ts';
import type { ServiceName, ServiceRoute } from '../booking/service-routes.ts';

/**
 * A Nexus operation's end-to-end budget when its row sets none (a reserve: three 5 s attempts and
 * their backoff, run by the service's workflow): ample, so that the service's own retries decide,
 * and this only catches a service that never answers.
 */
export const NEXUS_DEFAULT_BUDGET_MS = 120_000;

/** Runs one call of a step (or its undo) on its service, the route's way. */
export function callService(service: ServiceName, route: ServiceRoute, call: StepCall): Promise<unknown> {
  if (route.via === 'activity')
    return executeActivity({ ...call, options: { ...call.options, taskQueue: route.taskQueue } });
  const client = createNexusServiceClient({ endpoint: route.endpoint, service: SERVICE_CONTRACTS[service] });
  // The default cancellation type (WAIT_CANCELLATION_COMPLETED): a cancel reaches the service's
  // workflow, and the saga's undo runs only once that has stopped.
  return client.executeOperation(call.activity, call.args as never, {
    summary: call.summary,
    scheduleToCloseTimeout: budgetOf(call.options),
  });
}

/** The row's own end-to-end budget (a payment's three hours, an undo's day), in ms; else the default. */
function budgetOf(options: ActivityOptions): number {
  return options.scheduleToCloseTimeout === undefined
    ? NEXUS_DEFAULT_BUDGET_MS
    : msToNumber(options.scheduleToCloseTimeout);
}
