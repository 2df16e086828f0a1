// The flight team's data, in memory: the reservations its activity and its undo write, and a log
// of what happened to each booking, in order, for the tests to read.
import type {
  CancelFlightRequest,
  CancelFlightResult,
  FlightReservation,
  ReserveFlightRequest,
} from './flight-service.ts';

export type SeatEvent =
  | { event: 'start'; bookingId: string; headers: Record<string, string> }
  | { event: 'attempt'; bookingId: string; attempt: number; namespace: string }
  | { event: 'hold'; bookingId: string; reservationId: string }
  | { event: 'late-write'; bookingId: string; reservationId: string }
  | { event: 'undo-refused'; bookingId: string }
  | { event: 'undo'; bookingId: string; outcome: CancelFlightResult['outcome'] };

export class SeatStore {
  readonly reservations = new Map<string, FlightReservation>();
  readonly log: SeatEvent[] = [];
  readonly #undoCalls = new Map<string, number>();

  record(event: SeatEvent): void {
    this.log.push(event);
  }

  /** What happened to one booking, in order. */
  eventsOf(bookingId: string): SeatEvent[] {
    return this.log.filter((e) => e.bookingId === bookingId);
  }

  /** Holds the seats: the write a reserve makes. Idempotent per booking. */
  hold(request: ReserveFlightRequest, attempt: number, event: 'hold' | 'late-write' = 'hold'): FlightReservation {
    const reservation = this.reservations.get(request.bookingId) ?? {
      reservationId: `FR-${request.bookingId}`,
      seatNumbers: Array.from({ length: request.seats }, (_, i) => `${i + 1}A`),
      attempt,
    };
    this.reservations.set(request.bookingId, reservation);
    this.record({ event, bookingId: request.bookingId, reservationId: reservation.reservationId });
    return reservation;
  }

  /** Undoes a booking's reservation; fails `failTimes` times first (a database that is briefly away). */
  undo(request: CancelFlightRequest): CancelFlightResult {
    const calls = (this.#undoCalls.get(request.bookingId) ?? 0) + 1;
    this.#undoCalls.set(request.bookingId, calls);
    if (calls <= (request.failTimes ?? 0)) {
      this.record({ event: 'undo-refused', bookingId: request.bookingId });
      throw new Error(`the reservations database is unavailable (call ${calls})`);
    }
    const reservation = this.reservations.get(request.bookingId);
    this.reservations.delete(request.bookingId);
    const outcome = reservation ? 'UNDONE' : 'NOTHING_TO_UNDO';
    this.record({ event: 'undo', bookingId: request.bookingId, outcome });
    return reservation ? { outcome, reservationId: reservation.reservationId } : { outcome };
  }
}
