// @trip-saga/saga: a saga runner for Temporal TypeScript workflows. See README.md.
export {
  Saga,
  SAGA_DEADLINE_EXCEEDED,
  groupsOf,
  type SagaContext,
  type SagaOptions,
  type SagaStep,
  type StepUndo,
} from './saga.ts';
export { executeActivity, type ActivityCall, type StepCall } from './step-call.ts';
export {
  CompensationStack,
  type Compensation,
  type StackOptions,
  type UnwindHooks,
  type UnwindResult,
} from './compensation-stack.ts';
export { describeFailure, type DescribedFailure } from './failure.ts';
export {
  initialLedger,
  type CompensationRecord,
  type LedgerEntry,
  type SagaLedger,
  type StepError,
  type StepState,
  type UndoOutcome,
} from './ledger.ts';
