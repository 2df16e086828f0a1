// The flight team, as its worker runs it: the Nexus service handler (reserveFlight starts the team's
// workflow, cancelFlight undoes at once) and the workflow's activity, over an in-memory book of
// reservations. What a test needs to see of it is in `calls`.
import { ApplicationFailure } from '@temporalio/common';
// eslint-disable-next-line workspace/self-contained -- hoisted at the root; declaring it needs a lockfile change
import { WorkflowRunOperationHandler, startWorkflow } from '@temporalio/nexus';
// eslint-disable-next-line workspace/self-contained -- as above
import * as nexus from 'nexus-rpc';
import {
  flightService,
  reserveWorkflowId,
  type CancelFlight,
  type CancelFlightResult,
  type FlightReservation,
  type ReserveFlight,
} from './fixtures/flight-service.ts';
import type { FlightActivities, reserveFlightWorkflow } from './fixtures/flight-workflows.ts';

export class FlightTeam {
  /** The trips' reservations. */
  readonly reservations = new Map<string, string>();
  /** What the team was asked, in order: `<call> <tripId>`. */
  readonly calls: string[] = [];
  readonly #attempts = new Map<string, number>();

  /** The reserve's activity: it counts its own attempts, and says which one failed or made the reservation. */
  readonly activities: FlightActivities = {
    reserveSeat: (request) => {
      const attempt = (this.#attempts.get(request.tripId) ?? 0) + 1;
      this.#attempts.set(request.tripId, attempt);
      this.calls.push(`reserveSeat ${request.tripId} attempt ${attempt}`);
      if (request.fault === 'sold-out' && attempt === 1)
        return Promise.reject(ApplicationFailure.retryable('the airline did not answer', 'AirlineUnavailable'));
      if (request.fault === 'sold-out')
        return Promise.reject(
          ApplicationFailure.create({
            type: 'FlightSoldOut',
            message: `no seat left for ${request.tripId}`,
            nonRetryable: true,
            details: [{ attempt }],
          }),
        );
      const reservation: FlightReservation = { reservationId: `FL-${request.tripId}`, attempt };
      this.reservations.set(request.tripId, reservation.reservationId);
      return Promise.resolve(reservation);
    },
  };

  readonly handler = nexus.serviceHandler(flightService, {
    reserveFlight: new WorkflowRunOperationHandler<ReserveFlight, FlightReservation>(async (ctx, request) => {
      this.calls.push(`reserveFlight ${request.tripId}`);
      if (request.fault === 'sold-out-at-start')
        throw ApplicationFailure.create({
          type: 'FlightSoldOut',
          message: `no seat left for ${request.tripId}`,
          nonRetryable: true,
        });
      return await startWorkflow<typeof reserveFlightWorkflow>(ctx, 'reserveFlightWorkflow', {
        args: [request],
        workflowId: reserveWorkflowId(request.tripId),
      });
    }),
    cancelFlight: (_ctx, request) => this.#cancel(request),
  });

  #cancel(request: CancelFlight): Promise<CancelFlightResult> {
    this.calls.push(`cancelFlight ${request.tripId}`);
    if (request.refuse)
      return Promise.reject(
        ApplicationFailure.create({
          type: 'CancelRefused',
          message: `the fare of ${request.tripId} cannot be cancelled`,
          nonRetryable: true,
        }),
      );
    const found = this.reservations.delete(request.tripId);
    return Promise.resolve({ attempt: 1, outcome: found ? 'UNDONE' : 'NOTHING_TO_UNDO' });
  }
}
