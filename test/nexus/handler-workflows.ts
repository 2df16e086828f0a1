// The flight team's workflow behind reserveFlight: it runs the reserve activity with the team's
// own timeouts and retry policy, in the team's namespace.
import { ActivityCancellationType, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { FlightActivities } from './flight-activities.ts';
import type { FlightReservation, ReserveFlightRequest } from './flight-service.ts';

/** The service's own policy: the caller no longer sets it. */
export const RESERVE_SEATS_OPTIONS = {
  startToCloseTimeout: '30s',
  heartbeatTimeout: '2s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumAttempts: 3 },
  // The workflow closes only once the activity has stopped: a cancelled reserve is over when it says so.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} satisfies ActivityOptions;

const { reserveSeats } = proxyActivities<FlightActivities>(RESERVE_SEATS_OPTIONS);

export async function reserveFlightWorkflow(request: ReserveFlightRequest): Promise<FlightReservation> {
  return await reserveSeats(request);
}
