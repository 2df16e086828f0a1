// The hotel service's contract: what its step asks for, and what its activities answer.
import type { ReservationResult, StepInput } from '../shared/contract.ts';

/** The booking request's hotel stay. */
export interface HotelRequest {
  hotelId: string;
  /** YYYY-MM-DD */
  checkIn: string;
  /** YYYY-MM-DD, after checkIn */
  checkOut: string;
  rooms: number;
}

export interface ReserveHotelInput extends StepInput, HotelRequest {}

export interface HotelReservationResult extends ReservationResult {
  nights: number;
}

/** The booking's hotel stay: the request, and what the reservation added. */
export interface HotelDetails extends HotelRequest {
  nights?: number;
  priceCents?: number;
  reservationId?: string;
}
