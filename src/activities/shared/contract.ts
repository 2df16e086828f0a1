// What every service's step has in common: the input each activity takes, what an attempt and an
// undo answer, and a step's row in the trip's table. Each service's own types (its request, its
// input and result) live in its folder (src/activities/<service>/types.ts).
import type { SagaLedger, SagaStep, UndoOutcome } from '@trip-saga/saga';

export interface Attempted {
  /** The attempt that produced this result (1 for the first). */
  attempt: number;
}

export interface StepInput {
  bookingId: string;
  /** Failure injection for this call (src/booking/faults.ts); ignored unless FAULT_INJECTION=on. */
  fault?: string;
  /** When the saga started (ISO): an injected outage counts from here. */
  sagaStartedAt?: string;
}

export interface ReservationResult {
  reservationId: string;
  priceCents: number;
  currency: string;
}

export interface UndoResult {
  outcome: Exclude<UndoOutcome, 'FAILED'>;
  /** The reservation or payment that was undone, if any. */
  reference?: string;
}

/** What every step's row sees of the workflow's input; each row's own input type adds the request it reads. */
export interface StepRowInput {
  bookingId: string;
}

/**
 * A row of the trip's step table (src/booking/steps.ts), as its service declares it: `A` is the
 * service's activities, `I` the part of the workflow's input it reads, `S` the part of the booking
 * it writes. The table's input and state are the intersections of its rows'.
 */
export type StepRow<A, I extends StepRowInput, S> = SagaStep<A, I, S & SagaLedger> & {
  /**
   * The service that runs the step: its `activity` and `undo` are that service's operations. How the
   * booking reaches it (its task queue) is deployment configuration (src/booking/service-routes.ts).
   */
  service: string;
  /** How the page and the docs name the step. */
  label: string;
  /** The step's details in a new booking, before the step runs. */
  initialDetails: (input: I) => Partial<S>;
};
