// The flight service's Nexus contract, as both sides import it: the caller's workflow (to call it)
// and the flight team's worker (to implement it). Pure: it runs in the workflow sandbox.
import * as nexus from 'nexus-rpc';

/**
 * What the flight team's reserve does, for the spike's scenarios (the app's `fault` field plays
 * this part): fail its first attempt transiently, hold the seats until it is cancelled, or find the
 * flight sold out.
 */
export type FlightFault = 'transient-once' | 'slow' | 'sold-out' | 'sold-out-at-start';

export interface ReserveFlightRequest {
  bookingId: string;
  flightNumber: string;
  seats: number;
  fault?: FlightFault;
}

export interface FlightReservation {
  reservationId: string;
  seatNumbers: string[];
  /** The attempt of the handler's activity that made it. */
  attempt: number;
}

export interface CancelFlightRequest {
  bookingId: string;
  /** The undo fails this many times (retryably) before it runs: the server retries a sync operation. */
  failTimes?: number;
}

export interface CancelFlightResult {
  outcome: 'UNDONE' | 'NOTHING_TO_UNDO';
  reservationId?: string;
}

export const FLIGHT_SERVICE_NAME = 'flights';

export const flightService = nexus.service(FLIGHT_SERVICE_NAME, {
  /** Reserves seats: a workflow of the flight team's own (its activity, its retry policy). */
  reserveFlight: nexus.operation<ReserveFlightRequest, FlightReservation>(),
  /** Undoes a booking's reservation: a sync operation, idempotent. */
  cancelFlight: nexus.operation<CancelFlightRequest, CancelFlightResult>(),
});

/** The handler's workflow ID for a booking's reserve: business-meaningful, so a retried start dedupes. */
export const reserveWorkflowId = (bookingId: string) => `reserve-flight-${bookingId}`;
