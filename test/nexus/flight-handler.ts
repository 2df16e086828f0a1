// The flight team's Nexus service handler: reserveFlight starts the team's workflow, cancelFlight
// undoes synchronously. Registered on the team's worker (nexusServices).
import { ApplicationFailure } from '@temporalio/common';
import { startWorkflow, WorkflowRunOperationHandler } from '@temporalio/nexus';
import * as nexus from 'nexus-rpc';
import {
  flightService,
  reserveWorkflowId,
  type FlightReservation,
  type ReserveFlightRequest,
} from './flight-service.ts';
import type { reserveFlightWorkflow } from './handler-workflows.ts';
import type { SeatStore } from './seat-store.ts';

/**
 * What is left of the caller's end-to-end timeout, from the `operation-timeout` header the server
 * sends with a start (e.g. "59973ms"); undefined when the caller set none.
 */
export function operationTimeoutMs(headers: Record<string, string>): number | undefined {
  const match = /^(\d+)ms$/.exec(headers['operation-timeout'] ?? '');
  return match ? Number(match[1]) : undefined;
}

export function flightServiceHandler(store: SeatStore) {
  return nexus.serviceHandler(flightService, {
    reserveFlight: new WorkflowRunOperationHandler<ReserveFlightRequest, FlightReservation>(async (ctx, request) => {
      store.record({ event: 'start', bookingId: request.bookingId, headers: { ...ctx.headers } });
      if (request.fault === 'sold-out-at-start') {
        throw ApplicationFailure.nonRetryable(`${request.flightNumber} is sold out`, 'FlightSoldOut');
      }
      // Task queue: the one this operation is handled on (the endpoint's target).
      const deadline = operationTimeoutMs(ctx.headers);
      return await startWorkflow<typeof reserveFlightWorkflow>(ctx, 'reserveFlightWorkflow', {
        args: [request],
        workflowId: reserveWorkflowId(request.bookingId),
        // The caller's timeout does not end this workflow: the server only fails the caller's operation.
        ...(deadline ? { workflowExecutionTimeout: deadline } : {}),
      });
    }),
    // A promise, as the SDK wants; what undo() throws rejects it.
    cancelFlight: (_ctx, request) => new Promise((resolve) => resolve(store.undo(request))),
  });
}
