// The trip's saga: the step table (src/booking/steps.ts) run by @trip-saga/saga, with what this
// demo adds to every activity call. Every trip activity gets the saga's start (an injected outage
// counts from it) and its injected fault (FAULT_INJECTION=on); every result says the attempt that
// produced it, and every undo's result whether it found anything to undo. Each step and its undo
// run on its service, the way the booking's route says (./service-call.ts).
import { workflowInfo } from '@temporalio/workflow';
import { Saga } from '@trip-saga/saga';
import type { BookTripInput, BookingState, UndoOutcome } from '../booking/booking.ts';
import { routeTo } from '../booking/service-routes.ts';
import { STEP_BY_NAME, TRIP_STEPS, type StepName } from '../booking/steps.ts';
import { callService } from './service-call.ts';

/** What every trip activity answers with: the attempt that produced it (an undo: what it found, too). */
interface TripResult {
  attempt: number;
  outcome?: Exclude<UndoOutcome, 'FAILED'>;
}

export interface TripSagaOptions {
  /** When the saga started (ISO): an injected outage counts from here. */
  startedAt: string;
  /** Injected faults per activity name (FAULT_INJECTION=on). */
  faults?: Partial<Record<string, string>>;
  /** Called after every change of the ledger. */
  changed: () => void;
  /** Awaited before each step (a hold's wait for its confirm). */
  before?: (step: string) => Promise<void>;
}

/** A trip's saga, as tripSaga makes it. */
export type TripSaga = ReturnType<typeof tripSaga>;

/** The trip's steps as a saga over the booking's state. */
export function tripSaga(input: BookTripInput, state: BookingState, options: TripSagaOptions) {
  const { startedAt, faults } = options;
  const bookingTaskQueue = workflowInfo().taskQueue;
  return new Saga(TRIP_STEPS, input, state, {
    changed: options.changed,
    ...(options.before ? { before: options.before } : {}),
    callArgs: ({ activity, args }) => ({ ...(args as object), sagaStartedAt: startedAt, fault: faults?.[activity] }),
    execute: (call) => {
      const { service } = STEP_BY_NAME[call.step as StepName];
      return callService(service, routeTo(service, bookingTaskQueue, input.services), call);
    },
    attemptsOf: (result) => (result as TripResult).attempt,
    undoOutcomeOf: (result) => (result as TripResult).outcome!,
  });
}
