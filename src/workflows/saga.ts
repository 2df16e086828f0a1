// A small saga runner for any table of steps: for each step it pushes the undo, runs the step and
// records it in the ledger; on failure or cancel it unwinds the stack in reverse, recording each
// undo. What a saga does around that (statuses, an operator's wait, the read model) is its own.
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  log,
  patched,
  proxyActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { StepError, StepState, UndoOutcome } from '../domain/booking.ts';
import { CompensationStack, type UnwindHooks } from './compensation-stack.ts';

/** What every step's activity answers with: the attempt that produced it. */
interface Attempted {
  attempt: number;
}

export interface SagaContext<I, S> {
  input: I;
  state: S;
}

/** A step's undo, pushed before the step runs, with its own retry policy; a read-only step has none and the unwind skips it. */
type StepUndo<A> = { undo: keyof A & string; undoOptions: ActivityOptions } | { undo?: undefined; undoOptions?: undefined };

/** One row of a step table. `A` is the activities' interface; activities are named, never imported. */
export type SagaStep<A, I, S> = StepUndo<A> & {
  name: string;
  /** How the page and the docs name it. */
  label: string;
  /** The forward activity, and its timeouts and retry policy. */
  activity: keyof A & string;
  options: ActivityOptions;
  /** A step added after the first release: sagas whose history has not recorded this patch skip it. */
  patch?: string;
  /** Before the step: what it needs from the steps before it (e.g. an amount from their prices). */
  prepare?: (ctx: SagaContext<I, S>) => void;
  /** The activity's summary in the Web UI. */
  summary: (ctx: SagaContext<I, S>) => string;
  /** The activity's input (the runner adds the saga's start and the step's injected fault). */
  args: (ctx: SagaContext<I, S>) => object;
  /** What the result adds to the state; returns the service's reference for the ledger. */
  record: (ctx: SagaContext<I, S>, result: unknown) => string | undefined;
};

/** A step's line in the ledger, as the runner keeps it. */
export interface LedgerEntry {
  name: string;
  state: StepState;
  attempts: number;
  error?: StepError;
  reference?: string;
  undo?: { activity: string; attempts: number; outcome?: UndoOutcome; error?: StepError };
}

/** What the runner reads and writes of a saga's state. */
export interface SagaLedger {
  currentStep: string | null;
  steps: LedgerEntry[];
  compensations: { step: string; activity: string; outcome: UndoOutcome; error?: StepError }[];
  failure?: { step: string; type: string; message: string };
  cancelRequested: boolean;
}

export interface SagaOptions {
  /** The saga's ID, passed to every activity (their idempotency key). */
  sagaId: string;
  /** When the saga started (ISO): an injected outage counts from here. */
  startedAt: string;
  /** Injected faults per activity name (FAULT_INJECTION=on). */
  faults?: Partial<Record<string, string>>;
  /** Called after every change of the ledger. */
  changed: () => void;
  /**
   * Awaited before each step starts (e.g. a hold that waits for the customer's confirm before the
   * payment). What it throws ends the forward run, as a failing step does, without touching the
   * step's entry. Without it, the runner issues exactly the commands it always did.
   */
  before?: (step: string) => Promise<void>;
}

interface DescribedFailure extends StepError {
  attempts?: number;
}

/** A failure as the ledger shows it: its type, its message, and the attempts it took. */
export function describeFailure(error: unknown, options: ActivityOptions): DescribedFailure {
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    const maxAttempts = error.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED ? options.retry?.maximumAttempts : undefined;
    if (cause instanceof ApplicationFailure) {
      const details = cause.details?.[0] as { attempt?: number } | undefined;
      // Out of retry budget while the service kept failing: the last error says why.
      const message = error.retryState === RetryState.TIMEOUT ? `retry budget ran out; last error: ${cause.message}` : cause.message;
      return { type: cause.type ?? 'Error', message, attempts: details?.attempt ?? maxAttempts };
    }
    if (cause instanceof TimeoutFailure) {
      const type = cause.timeoutType === 'SCHEDULE_TO_CLOSE' ? 'ScheduleToCloseTimeout' : 'StartToCloseTimeout';
      const message =
        type === 'ScheduleToCloseTimeout'
          ? 'gave up: the retry budget ran out before the service answered'
          : 'the service did not answer within its start-to-close timeout';
      return { type, message, attempts: maxAttempts };
    }
    if (cause instanceof CancelledFailure) return { type: 'Cancelled', message: 'cancelled while running' };
    return { type: cause?.name ?? 'ActivityFailure', message: cause?.message ?? error.message, attempts: maxAttempts };
  }
  if (error instanceof CancelledFailure) return { type: 'Cancelled', message: 'cancelled while running' };
  if (error instanceof Error) return { type: error.name, message: error.message };
  return { type: 'Error', message: String(error) };
}

type ActivityCall = (...args: unknown[]) => Promise<unknown>;

/** Runs one activity by name with its options and a summary for the Web UI. */
function execute(name: string, options: ActivityOptions, summary: string, args: object): Promise<unknown> {
  const activity = proxyActivities<Record<string, ActivityCall>>(options)[name]!;
  return activity.executeWithOptions({ summary }, [args]);
}

/**
 * Runs a table of steps forward, and unwinds what ran. Call it inside the workflow; run
 * {@link unwind} and {@link retryFailed} in a non-cancellable scope so a cancelled saga still undoes.
 */
export class Saga<A, I, S extends SagaLedger> {
  readonly steps: readonly SagaStep<A, I, S>[];
  readonly #stack = new CompensationStack<SagaStep<A, I, S>>();
  readonly #ctx: SagaContext<I, S>;
  readonly #options: SagaOptions;
  #failedBefore = new Set<string>();

  constructor(steps: readonly SagaStep<A, I, S>[], input: I, state: S, options: SagaOptions) {
    this.steps = steps;
    this.#ctx = { input, state };
    this.#options = options;
  }

  #entry(name: string): LedgerEntry {
    return this.#ctx.state.steps.find((s) => s.name === name)!;
  }

  #args(activity: string, args: object): object {
    return { ...args, sagaStartedAt: this.#options.startedAt, fault: this.#options.faults?.[activity] };
  }

  /** Runs every step in order; throws the first failure, or a CancelledFailure once a cancel came in. */
  async forward(): Promise<void> {
    const before = this.#options.before;
    for (const step of this.steps) {
      if (before) await before(step.name);
      await this.#run(step);
    }
  }

  async #run(step: SagaStep<A, I, S>): Promise<void> {
    const { state } = this.#ctx;
    const entry = this.#entry(step.name);
    // A step added later: a saga that started before it replays without it.
    if (step.patch && !patched(step.patch)) {
      entry.state = 'SKIPPED';
      return;
    }
    step.prepare?.(this.#ctx);
    // A cancel that came in between steps: the next step never starts.
    if (state.cancelRequested) throw new CancelledFailure('cancelled before this step started');
    // Register the undo *before* the call: a call that timed out may still have done its work.
    const undo = step.undo;
    if (undo) {
      const options = step.undoOptions!; // a row with an undo has its options (StepUndo)
      this.#stack.push(step, () => execute(undo, options, `Undo ${step.name}: ${undo}`, this.#args(undo, { bookingId: this.#options.sagaId })));
    }
    state.currentStep = step.name;
    entry.state = 'RUNNING';
    this.#options.changed();
    const summary = step.summary(this.#ctx);
    log.info(`step ${step.name}: ${summary}`);
    try {
      const result = await execute(step.activity, step.options, summary, this.#args(step.activity, step.args(this.#ctx)));
      entry.state = 'DONE';
      entry.attempts = (result as Attempted).attempt;
      const reference = step.record(this.#ctx, result);
      if (reference !== undefined) entry.reference = reference;
      this.#options.changed();
    } catch (error) {
      const failure = describeFailure(error, step.options);
      entry.state = 'FAILED';
      entry.attempts = failure.attempts ?? Math.max(entry.attempts, 1);
      entry.error = { type: failure.type, message: failure.message };
      if (!state.cancelRequested) state.failure = { step: step.name, type: failure.type, message: failure.message };
      this.#options.changed();
      throw error;
    }
  }

  /** The forward run is over: steps that never started are SKIPPED. Call it before {@link unwind}. */
  stop(): void {
    for (const entry of this.#ctx.state.steps) if (entry.state === 'PENDING') entry.state = 'SKIPPED';
    this.#failedBefore = new Set(this.#ctx.state.steps.filter((s) => s.state === 'FAILED').map((s) => s.name));
  }

  /** Undoes every step that ran or was running, last first. A failing undo does not stop the others. */
  async unwind(): Promise<void> {
    await this.#stack.unwind(this.#hooks);
  }

  /** Runs the undos that failed again, in their original order. */
  async retryFailed(): Promise<void> {
    await this.#stack.retryFailed(this.#hooks);
  }

  /** Steps whose undo failed and waits for a retry. */
  get failed(): string[] {
    return this.#stack.failed.map((step) => step.name);
  }

  readonly #hooks: UnwindHooks<SagaStep<A, I, S>> = {
    onStart: (step) => {
      const entry = this.#entry(step.name);
      entry.state = 'COMPENSATING';
      entry.undo = { activity: step.undo!, attempts: entry.undo?.attempts ?? 0 };
      this.#ctx.state.currentStep = step.name;
      this.#options.changed();
    },
    onSuccess: (step, result) => {
      const entry = this.#entry(step.name);
      const { outcome, attempt } = result as { outcome: Exclude<UndoOutcome, 'FAILED'> } & Attempted;
      entry.undo = { activity: step.undo!, attempts: attempt, outcome };
      // A step that failed and left nothing behind stays FAILED; anything undone is COMPENSATED.
      entry.state = this.#failedBefore.has(step.name) && outcome === 'NOTHING_TO_UNDO' ? 'FAILED' : 'COMPENSATED';
      this.#ctx.state.compensations.push({ step: step.name, activity: step.undo!, outcome });
      this.#options.changed();
    },
    onFailure: (step, undoError) => {
      const entry = this.#entry(step.name);
      const failure = describeFailure(undoError, step.undoOptions!);
      const error = { type: failure.type, message: failure.message };
      entry.state = 'COMPENSATION_FAILED';
      entry.undo = { activity: step.undo!, attempts: failure.attempts ?? 1, outcome: 'FAILED', error };
      this.#ctx.state.compensations.push({ step: step.name, activity: step.undo!, outcome: 'FAILED', error });
      log.warn(`compensation of ${step.name} failed: ${failure.type}: ${failure.message}`);
      this.#options.changed();
    },
  };
}
