// The ledger: what the runner writes into the saga's state, step by step, so that a query, a page
// or a person can see where the saga stands and what each undo did.

/** Where a step stands. */
export type StepState =
  'PENDING' | 'RUNNING' | 'DONE' | 'FAILED' | 'COMPENSATING' | 'COMPENSATED' | 'COMPENSATION_FAILED' | 'SKIPPED';

/** What an undo found: it undid the step, the step had left nothing to undo, or the undo failed. */
export type UndoOutcome = 'UNDONE' | 'NOTHING_TO_UNDO' | 'FAILED';

/** A failure as the ledger shows it. */
export interface StepError {
  type: string;
  message: string;
}

/** A step's line in the ledger. */
export interface LedgerEntry {
  name: string;
  state: StepState;
  attempts: number;
  error?: StepError;
  /** The service's reference for what the step did (a reservation's ID), from the step's `record`. */
  reference?: string;
  undo?: { activity: string; attempts: number; outcome?: UndoOutcome; error?: StepError };
}

/** One undo that ran, in the order they finished. */
export interface CompensationRecord {
  step: string;
  activity: string;
  outcome: UndoOutcome;
  error?: StepError;
}

/** What the runner reads and writes of a saga's state; the state may carry anything else besides. */
export interface SagaLedger {
  /** The step running now (forward or undo), or null. */
  currentStep: string | null;
  /** One entry per step of the table, in its order, created by the caller as PENDING. */
  steps: LedgerEntry[];
  compensations: CompensationRecord[];
  /** The failure that ended the forward run (not set for a cancel the caller requested). */
  failure?: { step: string; type: string; message: string };
  /** Set by the caller when its user asked to cancel: no further step starts. */
  cancelRequested: boolean;
}

/** A fresh ledger for a table: every step PENDING. */
export function initialLedger(steps: readonly { name: string }[]): SagaLedger {
  return {
    currentStep: null,
    steps: steps.map((s) => ({ name: s.name, state: 'PENDING', attempts: 0 })),
    compensations: [],
    cancelRequested: false,
  };
}
