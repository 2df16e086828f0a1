// A service's side of Nexus: its handler, registered on its worker in its own namespace. Each
// operation (a reserve, a charge, an undo) starts the service's serviceOperation workflow
// (src/workflows/service-operation.ts), which runs the service's activity with its row's retry
// policy; the operation completes when that workflow does. A cancel of the booking's step cancels
// the workflow (WorkflowRunOperationHandler's default).
import { WorkflowRunOperationHandler, startWorkflow } from '@temporalio/nexus';
import * as nexus from 'nexus-rpc';
import { SERVICE_CONTRACTS, operationsOf, type OperationInput } from '../booking/service-contracts.ts';
import type { ServiceName } from '../booking/service-routes.ts';
import type { serviceOperation } from '../workflows/service-operation.ts';

/**
 * What is left of the caller's end-to-end budget, from the `operation-timeout` header a start
 * carries (e.g. "59973ms"). The caller's timeout does not end the handler's workflow by itself:
 * the workflow gets it as its own, so it never runs on after the booking gave up on it.
 */
export function operationTimeoutMs(headers: Record<string, string>): number | undefined {
  const match = /^(\d+)ms$/.exec(headers['operation-timeout'] ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * The workflow of one call: named after the operation and the booking, and the call's request ID,
 * which is the same when the server retries a start (so a retried start finds its workflow) and
 * new for a new call (a second undo of one booking, by the reconciler or an operator's retry).
 */
export function operationWorkflowId(operation: string, input: OperationInput, requestId: string): string {
  return `${operation}-${input.bookingId}-${requestId}`;
}

/** The Nexus handler of one service: one workflow-run operation per operation of its contract. */
export function serviceNexusHandler(service: ServiceName) {
  const operations = Object.fromEntries(
    operationsOf(service).map((operation) => [
      operation,
      new WorkflowRunOperationHandler<OperationInput, unknown>(async (ctx, input) => {
        const deadline = operationTimeoutMs(ctx.headers);
        return await startWorkflow<typeof serviceOperation>(ctx, 'serviceOperation', {
          args: [{ service, operation, input }],
          workflowId: operationWorkflowId(operation, input, ctx.requestId),
          ...(deadline ? { workflowExecutionTimeout: deadline } : {}),
        });
      }),
    ]),
  );
  return nexus.serviceHandler(SERVICE_CONTRACTS[service], operations as never);
}
