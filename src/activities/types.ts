import type { UndoOutcome } from '../domain/booking.ts';
import type { FaultMode } from '../domain/faults.ts';
import type { SeatPreference } from '../workflows/steps.ts';

export interface Attempted {
  /** The attempt that produced this result (1 for the first). */
  attempt: number;
}

export interface StepInput {
  bookingId: string;
  /** Failure injection for this call; ignored unless FAULT_INJECTION=on. */
  fault?: FaultMode;
  /** When the saga started (ISO): an injected outage counts from here. */
  sagaStartedAt?: string;
}

export interface ReserveFlightInput extends StepInput {
  flightNumber: string;
  date: string;
  seats: number;
  /** Which seats to assign (default: any). */
  seatPreference?: SeatPreference;
}

export interface ReserveHotelInput extends StepInput {
  hotelId: string;
  checkIn: string;
  checkOut: string;
  rooms: number;
}

export interface ChargePaymentInput extends StepInput {
  token: string;
  amountCents: number;
  currency: string;
}

export interface ReservationResult {
  reservationId: string;
  priceCents: number;
  currency: string;
}

export interface FlightReservationResult extends ReservationResult {
  /** Assigned with the reservation, in its transaction (e.g. 12A). */
  seatNumbers: string[];
}

export interface HotelReservationResult extends ReservationResult {
  nights: number;
}

export interface PaymentResult {
  paymentId: string;
  amountCents: number;
  currency: string;
}

export interface UndoResult {
  outcome: Exclude<UndoOutcome, 'FAILED'>;
  /** The reservation or payment that was undone, if any. */
  reference?: string;
}
