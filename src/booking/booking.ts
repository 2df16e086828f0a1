// The names and types of the domain: the booking, its statuses, its per-step ledger, and the
// workflow's input. Imported by workflow code, so it stays deterministic and free of Node
// builtins and free of the SDK: the page bundles it too.
import {
  STEP_NAMES,
  initialTripDetails,
  type StepName,
  type TripDetails,
  type TripRequest,
  type UndoActivity,
} from './steps.ts';
import type { FaultPlan } from './faults.ts';
import type { ServiceRoutes } from './service-routes.ts';
import type { LedgerEntry, StepError, StepState as SagaStepState, UndoOutcome } from '@trip-saga/saga';

export type { StepName };

export const TASK_QUEUE = 'trip-booking';
export const WORKFLOW_TYPE = 'bookTrip';

/** The workflow ID comes from the booking ID, so a booking can only ever have one saga. */
export function workflowIdFor(bookingId: string): string {
  return `booking-${bookingId}`;
}

export const BOOKING_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A customer: a token's `sub` (e.g. `auth0|123`, `user@example.com`), everywhere the API takes one. */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9_.@:|-]{1,64}$/;
export const CUSTOMER_ID_RULE = 'must be 1–64 letters, digits or _ . @ : | -';

// ---------- Statuses ----------

export const STEP_STATES = [
  'PENDING',
  'RUNNING',
  'DONE',
  'FAILED',
  'COMPENSATING',
  'COMPENSATED',
  'COMPENSATION_FAILED',
  'SKIPPED',
] as const satisfies readonly SagaStepState[];
/** The runner's step states (@trip-saga/saga), listed here for the API's schemas and the page. */
export type StepState = (typeof STEP_STATES)[number];
/** Fails to compile if the runner has a state that STEP_STATES lacks. */
const _everyStepState: readonly StepState[] = [] as SagaStepState[];

export const BOOKING_STATUSES = [
  'PENDING',
  'HELD',
  'CONFIRMED',
  'COMPENSATING',
  'FAILED',
  'CANCELLED',
  'COMPENSATION_FAILED',
  'EXPIRED',
  'TERMINATED',
] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/**
 * Statuses after which the saga does nothing more on its own. TERMINATED is never the workflow's:
 * its workflow was closed without unwinding (terminated, timed out, or gone), and the reconciler
 * (src/workflows/reconcile.ts) gave back what it held.
 */
export const TERMINAL_STATUSES: readonly BookingStatus[] = [
  'CONFIRMED',
  'FAILED',
  'CANCELLED',
  'EXPIRED',
  'TERMINATED',
];

/**
 * Statuses at which a caller that waits (Prefer: wait) gets its answer: the end, or a point where
 * the saga waits for a person (the customer's confirm of a hold, an operator).
 */
export function isSettled(status: BookingStatus): boolean {
  return isTerminal(status) || status === 'HELD' || status === 'COMPENSATION_FAILED';
}

export function isTerminal(status: BookingStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

// ---------- The ledger ----------

// The ledger's types are the saga runner's (@trip-saga/saga), narrowed to the trip's step and undo
// names. A StepError's type is e.g. CardExpired, FlightSoldOut, StartToCloseTimeout, Cancelled.
export type { StepError, UndoOutcome };

export interface StepLedgerEntry extends LedgerEntry {
  name: StepName;
  /** Attempts of the forward activity, once it has finished (the API adds live attempts). */
  attempts: number;
  /** The service's reference: reservation or payment ID. */
  reference?: string;
  undo?: NonNullable<LedgerEntry['undo']> & { activity: UndoActivity };
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

export interface BookingState extends TripDetails {
  bookingId: string;
  customerId: string;
  status: BookingStatus;
  currentStep: StepName | null;
  steps: StepLedgerEntry[];
  /** Every compensation that ran, in the order it ran. */
  compensations: CompensationRecord[];
  failure?: BookingFailure;
  cancelRequested: boolean;
  /** Operator notes: a resolve of a failed compensation, and who resolved it (the caller's `sub`). */
  resolution?: { note: string; at: string; by?: string };
  /** Who asked for the cancel (the caller's `sub`). */
  cancelledBy?: string;
  /** Who asked for each retry of the failed compensations, in order. */
  retriedBy?: string[];
  /** A hold (hold-now-pay-later): until when the flight and hotel are held without a payment. */
  holdExpiresAt?: string;
  /** The hold's one extension: by how much, when, and by whom. */
  holdExtended?: { minutes: number; at: string; by?: string };
  /** Who confirmed the hold with a card (the caller's `sub`), and when. */
  confirmed?: { at: string; by?: string };
  /** While the booking waits for an operator (COMPENSATION_FAILED): since when, and the reminders logged. */
  operatorWait?: { since: string; reminders: number; lastReminderAt?: string };
  /**
   * The read model refused a write of this booking (PostgreSQL said the data is invalid, e.g. a
   * control character that bypassed the API): since when, the version it refused, and why. Lists
   * and closed bookings read from it show an older state until a later write succeeds.
   */
  readModelLag?: { since: string; version: number; reason: string };
  /**
   * Its workflow closed without unwinding and the reconciler's pass could not give everything back:
   * the workflow that goes on giving it back (src/workflows/give-back.ts), and since when. The read
   * model then has the newest state, not the closed workflow.
   */
  givingBack?: {
    workflowId: string;
    since: string;
    /** The booking as the reconciler found it: its status, step and failure then. */
    found: { status: BookingStatus; currentStep: StepName | null; failure?: BookingFailure };
  };
  createdAt: string;
  updatedAt: string;
  /**
   * Grows with every change, and across runs: at least the workflow time (epoch ms) of the
   * change, so a reset's new run, whose counter starts again, still writes newer versions than the
   * run it replaced. The read model keeps only the newest.
   */
  version: number;
}

// ---------- Workflow input ----------

/** A hold: reserve flight and hotel now, pay within `minutes` (1–1440), or the hold expires. */
export interface HoldRequest {
  minutes: number;
}

export const MAX_HOLD_MINUTES = 1440;

/** The step a hold waits before: every step ahead of it runs, and the confirm brings what it needs (the card). */
export const HOLD_BEFORE_STEP: StepName = 'payment';

/**
 * What the workflow starts from: who books, what each step needs (see TripRequest), and faults.
 * With a `hold`, `payment` is absent until a confirm (an Update) brings the card's token.
 */
export interface BookTripInput extends TripRequest {
  bookingId: string;
  customerId: string;
  hold?: HoldRequest;
  faults?: FaultPlan;
  /** Where each step's service runs (src/booking/service-routes.ts); absent: beside the booking's task queue. */
  services?: ServiceRoutes;
}

/** A booking as it stands before its first step: what the workflow starts from. */
export function initialBookingState(input: BookTripInput, now: string): BookingState {
  return {
    bookingId: input.bookingId,
    customerId: input.customerId,
    status: 'PENDING',
    currentStep: null,
    steps: STEP_NAMES.map((name) => ({ name, state: 'PENDING', attempts: 0 })),
    compensations: [],
    ...initialTripDetails(input),
    cancelRequested: false,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}
