// Names, IDs, types and message definitions shared by the API, the client, the workflow and the
// activities. It is imported by workflow code, so it must stay deterministic and free of Node
// builtins: only type imports and @temporalio/workflow's pure definition helpers.
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export const TASK_QUEUE = 'trip-booking';
export const WORKFLOW_TYPE = 'bookTrip';

/** The workflow ID comes from the booking ID, so a booking can only ever have one saga. */
export function workflowIdFor(bookingId: string): string {
  return `booking-${bookingId}`;
}

export const BOOKING_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

// ---------- Steps, states and statuses ----------

export const STEPS = ['flight', 'hotel', 'payment'] as const;
export type StepName = (typeof STEPS)[number];

/** The forward activity of each step, and the compensation that undoes it. */
export const STEP_ACTIVITIES = {
  flight: { run: 'reserveFlight', undo: 'cancelFlight' },
  hotel: { run: 'reserveHotel', undo: 'cancelHotel' },
  payment: { run: 'chargePayment', undo: 'refundPayment' },
} as const satisfies Record<StepName, { run: string; undo: string }>;

export type StepActivity = (typeof STEP_ACTIVITIES)[StepName]['run'];
export type UndoActivity = (typeof STEP_ACTIVITIES)[StepName]['undo'];

export const STEP_STATES = [
  'PENDING',
  'RUNNING',
  'DONE',
  'FAILED',
  'COMPENSATING',
  'COMPENSATED',
  'COMPENSATION_FAILED',
  'SKIPPED',
] as const;
export type StepState = (typeof STEP_STATES)[number];

export const BOOKING_STATUSES = [
  'PENDING',
  'CONFIRMED',
  'COMPENSATING',
  'FAILED',
  'CANCELLED',
  'COMPENSATION_FAILED',
] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/**
 * The booking's status as a search attribute (Keyword), so the Web UI and `temporal workflow list`
 * can find bookings by status: `BookingStatus = "COMPENSATION_FAILED"`. The server must know it
 * (`npm run dev` registers it; elsewhere `temporal operator search-attribute create`).
 */
export const BOOKING_STATUS_SEARCH_ATTRIBUTE = defineSearchAttributeKey('BookingStatus', SearchAttributeType.KEYWORD);

/** Statuses after which the saga does nothing more on its own. */
export const TERMINAL_STATUSES: readonly BookingStatus[] = ['CONFIRMED', 'FAILED', 'CANCELLED'];

export function isTerminal(status: BookingStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export interface StepError {
  /** The failure type, e.g. CardExpired, FlightSoldOut, StartToCloseTimeout, Cancelled. */
  type: string;
  message: string;
}

/** What the compensation of a step did. */
export type UndoOutcome = 'UNDONE' | 'NOTHING_TO_UNDO' | 'FAILED';

export interface StepLedgerEntry {
  name: StepName;
  state: StepState;
  /** Attempts of the forward activity, once it has finished (the API adds live attempts). */
  attempts: number;
  error?: StepError;
  /** The service's reference: reservation or payment ID. */
  reference?: string;
  undo?: {
    activity: UndoActivity;
    attempts: number;
    outcome?: UndoOutcome;
    error?: StepError;
  };
}

export interface CompensationRecord {
  step: StepName;
  activity: UndoActivity;
  outcome: UndoOutcome;
  error?: StepError;
}

export interface BookingFailure {
  step: StepName;
  type: string;
  message: string;
}

export interface BookingState {
  bookingId: string;
  customerId: string;
  status: BookingStatus;
  currentStep: StepName | null;
  steps: StepLedgerEntry[];
  /** Every compensation that ran, in the order it ran. */
  compensations: CompensationRecord[];
  flight?: {
    flightNumber: string;
    date: string;
    seats: number;
    seatPreference?: SeatPreference;
    priceCents?: number;
    reservationId?: string;
    /** Chosen by the seat-selection step (workflows started before it have none). */
    seatNumbers?: string[];
  };
  hotel?: {
    hotelId: string;
    checkIn: string;
    checkOut: string;
    rooms: number;
    nights?: number;
    priceCents?: number;
    reservationId?: string;
  };
  payment?: { amountCents?: number; currency: string; last4: string; brand: string; paymentId?: string };
  failure?: BookingFailure;
  cancelRequested: boolean;
  /** Operator notes: a resolve of a failed compensation. */
  resolution?: { note: string; at: string };
  createdAt: string;
  updatedAt: string;
  /** Bumped on every change; the read model keeps only the newest. */
  version: number;
}

// ---------- Workflow input ----------

export const SEAT_PREFERENCES = ['window', 'aisle', 'any'] as const;
export type SeatPreference = (typeof SEAT_PREFERENCES)[number];

export interface FlightRequest {
  flightNumber: string;
  /** YYYY-MM-DD */
  date: string;
  seats: number;
  /** For the seat-selection step (default: any). */
  seatPreference?: SeatPreference;
}

export interface HotelRequest {
  hotelId: string;
  checkIn: string;
  checkOut: string;
  rooms: number;
}

/** A tokenized card: the number and the CVC never reach the workflow. */
export interface PaymentMethodRef {
  token: string;
  brand: string;
  last4: string;
}

export interface BookTripInput {
  bookingId: string;
  customerId: string;
  flight: FlightRequest;
  hotel: HotelRequest;
  payment: PaymentMethodRef;
  faults?: FaultPlan;
}

/** A booking as it stands before its first step: what the workflow starts from. */
export function initialBookingState(input: BookTripInput, now: string): BookingState {
  return {
    bookingId: input.bookingId,
    customerId: input.customerId,
    status: 'PENDING',
    currentStep: null,
    steps: STEPS.map((name) => ({ name, state: 'PENDING', attempts: 0 })),
    compensations: [],
    flight: { ...input.flight },
    hotel: { ...input.hotel },
    payment: { currency: 'USD', last4: input.payment.last4, brand: input.payment.brand },
    cancelRequested: false,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}

// ---------- Failure injection ----------

export const FAULT_TARGETS = [
  'reserveFlight',
  'reserveHotel',
  'chargePayment',
  'refundPayment',
  'cancelHotel',
  'cancelFlight',
] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];

/**
 * - `fail`: a non-retryable failure.
 * - `transient:N`: fails N times, then succeeds.
 * - `timeout` or `timeout:N`: does its work, then answers after its start-to-close timeout has
 *   passed, on the first N attempts (default 1); a retry then finds the work already done.
 * - `outage:DURATION` (e.g. `outage:2h`): the service is down for that long, counted in server
 *   time from the start of the booking, then it works.
 */
export type FaultMode = string;
export type FaultPlan = Partial<Record<FaultTarget, FaultMode>>;

export type ParsedFault =
  | { kind: 'fail' }
  | { kind: 'transient'; failures: number }
  | { kind: 'timeout'; times: number }
  | { kind: 'outage'; ms: number };

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a fault mode; returns undefined when it is not one. */
export function parseFault(mode: string): ParsedFault | undefined {
  if (mode === 'fail') return { kind: 'fail' };
  if (mode === 'timeout') return { kind: 'timeout', times: 1 };
  const counted = /^(transient|timeout):([1-9]\d?)$/.exec(mode);
  if (counted?.[1] === 'transient') return { kind: 'transient', failures: Number(counted[2]) };
  if (counted?.[1] === 'timeout') return { kind: 'timeout', times: Number(counted[2]) };
  const outage = /^outage:([1-9]\d{0,4})(ms|s|m|h|d)$/.exec(mode);
  if (outage) {
    const ms = Number(outage[1]) * (DURATION_UNITS[outage[2]!] ?? 0);
    if (ms <= 30 * 86_400_000) return { kind: 'outage', ms };
  }
  return undefined;
}

// ---------- Queries and updates ----------

export const getBookingStateQuery = defineQuery<BookingState>('getBookingState');

/** The user's cancel. Refused once the booking is terminal or already unwinding. */
export const cancelBookingUpdate = defineUpdate<BookingState, [{ reason?: string }]>('cancelBooking');

/** Operator: re-run the compensations that failed. Refused unless COMPENSATION_FAILED. */
export const retryCompensationUpdate = defineUpdate<BookingState>('retryCompensation');

/** Operator: a person fixed it by hand. Refused unless COMPENSATION_FAILED. */
export const resolveCompensationUpdate = defineUpdate<BookingState, [{ note: string }]>('resolveCompensation');
