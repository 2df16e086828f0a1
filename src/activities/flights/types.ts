// The flight service's contract: what its step asks for, and what its activities answer.
import type { ReservationResult, StepInput } from '../shared/contract.ts';

export const SEAT_PREFERENCES = ['window', 'aisle', 'any'] as const;
export type SeatPreference = (typeof SEAT_PREFERENCES)[number];

/** The booking request's flight. */
export interface FlightRequest {
  flightNumber: string;
  /** YYYY-MM-DD */
  date: string;
  seats: number;
  /** Which seats the reservation assigns (default: any). */
  seatPreference?: SeatPreference;
}

export interface ReserveFlightInput extends StepInput, FlightRequest {}

export interface FlightReservationResult extends ReservationResult {
  /** Assigned with the reservation, in its transaction (e.g. 12A). */
  seatNumbers: string[];
}

/** The booking's flight: the request, and what the reservation added. */
export interface FlightDetails extends FlightRequest {
  priceCents?: number;
  reservationId?: string;
  /** Assigned with the reservation (sagas of builds before seat selection have none). */
  seatNumbers?: string[];
  /** A hold's trip currency, until its confirm brings the payment. */
  currency?: string;
}
