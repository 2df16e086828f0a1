// Bookings whose workflow closed without unwinding, as the reconciler sees them: why, what each of
// its undos did, and what failed. Pure: imported by the reconciler's workflows, its activities and
// the API.
import type { BookingStatus, UndoOutcome } from './booking.ts';
import type { StepName, UndoActivity } from './steps.ts';

/** Why a booking is the reconciler's: how its workflow closed without unwinding. */
export type UnwoundCause = 'WorkflowTerminated' | 'WorkflowTimedOut' | 'WorkflowGone';

export interface UnwoundBooking {
  bookingId: string;
  cause: UnwoundCause;
  /** The booking's status in the read model when it was found. */
  status: BookingStatus;
}

/** What one of the reconciler's undos did. */
export interface ReconciledUndo {
  step: StepName;
  activity: UndoActivity;
  outcome: Exclude<UndoOutcome, 'FAILED'>;
  attempts: number;
}

/** One of the reconciler's undos that failed: which, and why. */
export interface UndoFailure {
  step: StepName;
  activity: UndoActivity;
  error: string;
}

/** The workflow that gives back a booking the reconciler's pass could not: one per booking. */
export function giveBackWorkflowIdFor(bookingId: string): string {
  return `give-back-${bookingId}`;
}

const OUTCOME_IN_WORDS: Record<ReconciledUndo['outcome'], string> = {
  UNDONE: 'undone',
  NOTHING_TO_UNDO: 'nothing to undo',
};

/** What the reconciler gave back, in words: "cancelHotel undone, cancelFlight undone". */
export function undosInWords(undos: readonly ReconciledUndo[]): string {
  return undos.map((u) => `${u.activity} ${OUTCOME_IN_WORDS[u.outcome]}`).join(', ');
}

/** Failed undos in words: "refundPayment: refunds are closed". */
export function failuresInWords(failed: readonly UndoFailure[]): string {
  return failed.map((f) => `${f.activity}: ${f.error}`).join('; ');
}
