// The flight team's activity: reserves seats in the team's own store. It runs in the team's
// namespace, with the retry policy the team's workflow gives it.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { FlightReservation, ReserveFlightRequest } from './flight-service.ts';
import type { SeatStore } from './seat-store.ts';

/** How long a cancelled slow reserve still takes to finish: its write lands after the cancel. */
export const LATE_WRITE_MS = 1_500;

export function createFlightActivities(store: SeatStore) {
  return {
    async reserveSeats(request: ReserveFlightRequest): Promise<FlightReservation> {
      const { attempt, activityNamespace } = Context.current().info;
      store.record({ event: 'attempt', bookingId: request.bookingId, attempt, namespace: activityNamespace });
      if (request.fault === 'transient-once' && attempt === 1) {
        throw ApplicationFailure.retryable('the airline did not answer', 'AirlineUnavailable');
      }
      if (request.fault === 'sold-out') {
        throw ApplicationFailure.nonRetryable(`${request.flightNumber} is sold out`, 'FlightSoldOut');
      }
      const reservation = store.hold(request, attempt);
      if (request.fault === 'slow') await waitForTheAirline(store, request, attempt);
      return reservation;
    },
  };
}

export type FlightActivities = ReturnType<typeof createFlightActivities>;

/**
 * Heartbeats until the activity is cancelled; then, as a request already sent to the airline
 * would, its answer still lands LATE_WRITE_MS later (the seats held again) before the cancel is
 * acknowledged.
 */
async function waitForTheAirline(store: SeatStore, request: ReserveFlightRequest, attempt: number): Promise<never> {
  const context = Context.current();
  try {
    for (;;) {
      context.heartbeat();
      await context.sleep(200);
    }
  } catch (error) {
    await sleep(LATE_WRITE_MS);
    store.hold(request, attempt, 'late-write');
    throw error;
  }
}
