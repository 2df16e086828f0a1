// The saga runner for a table of steps: for each step it pushes the undo, runs the step and
// records it in the ledger; on failure or cancel it unwinds the stack in reverse, recording each
// undo. What a saga does around that (statuses, an operator's wait, a read model) is the caller's.
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  log,
  patched,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { CompensationStack, type UnwindHooks } from './compensation-stack.ts';
import { describeFailure } from './failure.ts';
import type { LedgerEntry, SagaLedger, UndoOutcome } from './ledger.ts';
import { executeActivity, type ActivityCall, type StepCall } from './step-call.ts';

/** What a step's functions see: the saga's input and its state (which holds the ledger). */
export interface SagaContext<I, S> {
  input: I;
  state: S;
}

/**
 * A step's undo, pushed before the step runs, with its own retry policy and its own argument; a
 * step with none (a read-only check) is skipped by the unwind.
 */
export type StepUndo<A, I, S> =
  | {
      undo: keyof A & string;
      undoOptions: ActivityOptions;
      /** The undo's argument. Called when the undo runs, so it may read what the step recorded. */
      undoArgs: (ctx: SagaContext<I, S>) => unknown;
      /** The undo's summary in the Web UI (default: "Undo <step>: <activity>"). */
      undoSummary?: (ctx: SagaContext<I, S>) => string;
      /** This undo may run at the same time as the independent undos next to it in the unwind. */
      independentUndo?: boolean;
    }
  | {
      undo?: undefined;
      undoOptions?: undefined;
      undoArgs?: undefined;
      undoSummary?: undefined;
      independentUndo?: undefined;
    };

/** One row of a step table. `A` is the activities' interface; activities are named, never imported. */
export type SagaStep<A, I, S> = StepUndo<A, I, S> & {
  name: string;
  /** The forward activity, and its timeouts and retry policy. */
  activity: keyof A & string;
  options: ActivityOptions;
  /** The activity's argument (one object, as Temporal recommends). */
  args: (ctx: SagaContext<I, S>) => unknown;
  /** The activity's summary in the Web UI (default: the step's name). */
  summary?: (ctx: SagaContext<I, S>) => string;
  /**
   * Rows next to each other with the same group run together: all their undos are pushed, then
   * all their activities start, and the run waits for all of them. The unwind undoes them together.
   */
  group?: string;
  /** A step added after the first release: sagas whose history has not recorded this patch skip it. */
  patch?: string;
  /** Before the step: what it needs from the steps before it (e.g. an amount from their prices). */
  prepare?: (ctx: SagaContext<I, S>) => void;
  /** What the result adds to the state; returns the service's reference for the ledger. */
  record?: (ctx: SagaContext<I, S>, result: unknown) => string | undefined;
};

export interface SagaOptions {
  /** Called after every change of the ledger. */
  changed?: () => void;
  /**
   * Awaited before each step starts (e.g. a hold that waits for a customer's confirm). What it
   * throws ends the forward run, as a failing step does, without touching the step's entry.
   */
  before?: (step: string) => Promise<void>;
  /** Rewrites every activity's argument before the call: a decorator the caller adds to each. */
  callArgs?: (call: ActivityCall) => unknown;
  /**
   * Runs every call, forward and undo (default: {@link executeActivity}). A saga may run some calls
   * elsewhere (another task queue, a Nexus operation) and hand the rest to executeActivity; the
   * runner around the call (the undo pushed first, the ledger, the unwind) stays the same.
   */
  execute?: (call: StepCall) => Promise<unknown>;
  /** How many attempts a result took, if the activity says (default: 1). */
  attemptsOf?: (result: unknown) => number | undefined;
  /** What an undo's result says it found (default: UNDONE). */
  undoOutcomeOf?: (result: unknown) => Exclude<UndoOutcome, 'FAILED'>;
  /** A failing undo stops the unwind until {@link Saga.retryFailed} (default: the others still run). */
  stopOnUndoFailure?: boolean;
  /** The whole forward run's deadline: then the running step is cancelled and the saga fails with SagaDeadlineExceeded. */
  deadline?: Duration;
}

/** The failure type of a forward run that outlived {@link SagaOptions.deadline}. */
export const SAGA_DEADLINE_EXCEEDED = 'SagaDeadlineExceeded';

const INDEPENDENT = 'independent undos';

/**
 * Runs a table of steps forward, and unwinds what ran. Call it inside the workflow. {@link unwind}
 * and {@link retryFailed} run in a non-cancellable scope of their own, so a cancelled saga still
 * undoes; what the workflow does around them (statuses, an operator's wait) needs one too.
 */
export class Saga<A, I, S extends SagaLedger> {
  readonly steps: readonly SagaStep<A, I, S>[];
  readonly #stack: CompensationStack<SagaStep<A, I, S>>;
  readonly #ctx: SagaContext<I, S>;
  readonly #options: SagaOptions;
  #failedBefore = new Set<string>();

  constructor(steps: readonly SagaStep<A, I, S>[], input: I, state: S, options: SagaOptions = {}) {
    this.steps = steps;
    this.#ctx = { input, state };
    this.#options = options;
    this.#stack = new CompensationStack({ stopOnFailure: options.stopOnUndoFailure ?? false });
  }

  #entry(name: string): LedgerEntry {
    return this.#ctx.state.steps.find((s) => s.name === name)!;
  }

  #changed(): void {
    this.#options.changed?.();
  }

  /** Runs one call: its argument through `callArgs`, then the executor. */
  #call(call: StepCall): Promise<unknown> {
    const { callArgs, execute = executeActivity } = this.#options;
    const { step, kind, activity, args } = call;
    return execute(callArgs ? { ...call, args: callArgs({ step, kind, activity, args }) } : call);
  }

  /** Runs every step in order (a group together); throws the first failure, or a CancelledFailure once a cancel came in. */
  async forward(): Promise<void> {
    if (this.#options.deadline === undefined) return this.#forwardAll();
    return this.#forwardWithin(this.#options.deadline);
  }

  async #forwardAll(): Promise<void> {
    for (const group of groupsOf(this.steps)) await this.#runGroup(group);
  }

  /** The forward run in a scope that a timer cancels at the deadline. */
  async #forwardWithin(deadline: Duration): Promise<void> {
    const scope = new CancellationScope();
    let finished = false;
    let expired = false;
    const watchdog = condition(() => finished, deadline, { summary: 'Saga deadline' }).then(
      (met) => {
        if (!met) {
          expired = true;
          scope.cancel();
        }
      },
      () => undefined, // the workflow was cancelled: the forward run sees it too
    );
    try {
      await scope.run(() => this.#forwardAll());
    } catch (error) {
      if (!expired) throw error;
      const { state } = this.#ctx;
      const message = `the saga did not finish within its deadline (${String(deadline)})`;
      // The step the deadline stopped: the one running (now failed), or the next to run.
      const stopped =
        state.steps.find((s) => s.state !== 'DONE' && s.state !== 'SKIPPED')?.name ?? state.currentStep ?? '';
      state.failure = { step: stopped, type: SAGA_DEADLINE_EXCEEDED, message };
      this.#changed();
      throw ApplicationFailure.create({
        type: SAGA_DEADLINE_EXCEEDED,
        message,
        nonRetryable: true,
        cause: error instanceof Error ? error : undefined,
      });
    } finally {
      finished = true;
      await watchdog;
    }
  }

  async #runGroup(group: SagaStep<A, I, S>[]): Promise<void> {
    const before = this.#options.before;
    if (before) for (const step of group) await before(step.name);
    if (group.length === 1) return this.#run(group[0]!);
    const results = await Promise.allSettled(group.map((step) => this.#run(step)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
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
    this.#pushUndo(step);
    state.currentStep = step.name;
    entry.state = 'RUNNING';
    this.#changed();
    const summary = step.summary?.(this.#ctx) ?? step.name;
    log.info(`step ${step.name}: ${summary}`);
    try {
      const result = await this.#call({
        step: step.name,
        kind: 'step',
        activity: step.activity,
        options: step.options,
        summary,
        args: step.args(this.#ctx),
      });
      entry.state = 'DONE';
      entry.attempts = this.#options.attemptsOf ? (this.#options.attemptsOf(result) as number) : 1;
      const reference = step.record?.(this.#ctx, result);
      if (reference !== undefined) entry.reference = reference;
      this.#changed();
    } catch (error) {
      const failure = describeFailure(error, step.options);
      entry.state = 'FAILED';
      entry.attempts = failure.attempts ?? Math.max(entry.attempts, 1);
      entry.error = { type: failure.type, message: failure.message };
      // The first failure ends the run (in a group, the first to fail); a requested cancel is the caller's.
      if (!state.cancelRequested && !state.failure)
        state.failure = { step: step.name, type: failure.type, message: failure.message };
      this.#changed();
      throw error;
    }
  }

  #pushUndo(step: SagaStep<A, I, S>): void {
    if (!step.undo) return;
    const { undo, undoSummary } = step;
    // A row with an undo has its options and its argument (StepUndo); TypeScript cannot narrow a generic row.
    const undoOptions = step.undoOptions!;
    const undoArgs = step.undoArgs!;
    const batch = step.group !== undefined ? `group ${step.group}` : step.independentUndo ? INDEPENDENT : undefined;
    const summary = () => undoSummary?.(this.#ctx) ?? `Undo ${step.name}: ${undo}`;
    // The summary and the argument are read when the undo runs: they may use what the step recorded.
    const run = () =>
      this.#call({
        step: step.name,
        kind: 'undo',
        activity: undo,
        options: undoOptions,
        summary: summary(),
        args: undoArgs(this.#ctx),
      });
    this.#stack.push(step, run, batch);
  }

  /** The forward run is over: steps that never started are SKIPPED. Call it before {@link unwind}. */
  stop(): void {
    for (const entry of this.#ctx.state.steps) if (entry.state === 'PENDING') entry.state = 'SKIPPED';
    this.#failedBefore = new Set(this.#ctx.state.steps.filter((s) => s.state === 'FAILED').map((s) => s.name));
  }

  /** Undoes every step that ran or was running, last first. A failing undo does not stop the others unless `stopOnUndoFailure`. */
  async unwind(): Promise<void> {
    // Non-cancellable by itself: a cancelled workflow must still undo what it did.
    await CancellationScope.nonCancellable(() => this.#stack.unwind(this.#hooks));
  }

  /** Runs the undos that failed again, in the order they failed (with `stopOnUndoFailure`, then the rest). */
  async retryFailed(): Promise<void> {
    await CancellationScope.nonCancellable(() => this.#stack.retryFailed(this.#hooks));
  }

  /** Steps whose undo failed and waits for a retry. */
  get failed(): string[] {
    return this.#stack.failed.map((step) => step.name);
  }

  /** Steps whose undo has not run yet: after an unwind that a failure stopped. */
  get pending(): string[] {
    return this.#stack.pending.map((step) => step.name);
  }

  readonly #hooks: UnwindHooks<SagaStep<A, I, S>> = {
    onStart: (step) => {
      const entry = this.#entry(step.name);
      entry.state = 'COMPENSATING';
      entry.undo = { activity: step.undo!, attempts: entry.undo?.attempts ?? 0 };
      this.#ctx.state.currentStep = step.name;
      this.#changed();
    },
    onSuccess: (step, result) => {
      const entry = this.#entry(step.name);
      const outcome = this.#options.undoOutcomeOf?.(result) ?? 'UNDONE';
      const attempts = this.#options.attemptsOf ? (this.#options.attemptsOf(result) as number) : 1;
      entry.undo = { activity: step.undo!, attempts, outcome };
      // A step that failed and left nothing behind stays FAILED; anything undone is COMPENSATED.
      entry.state = this.#failedBefore.has(step.name) && outcome === 'NOTHING_TO_UNDO' ? 'FAILED' : 'COMPENSATED';
      this.#ctx.state.compensations.push({ step: step.name, activity: step.undo!, outcome });
      this.#changed();
    },
    onFailure: (step, undoError) => {
      const entry = this.#entry(step.name);
      const failure = describeFailure(undoError, step.undoOptions!);
      const error = { type: failure.type, message: failure.message };
      entry.state = 'COMPENSATION_FAILED';
      entry.undo = { activity: step.undo!, attempts: failure.attempts ?? 1, outcome: 'FAILED', error };
      this.#ctx.state.compensations.push({ step: step.name, activity: step.undo!, outcome: 'FAILED', error });
      log.warn(`compensation of ${step.name} failed: ${failure.type}: ${failure.message}`);
      this.#changed();
    },
  };
}

/** The table as the forward run takes it: consecutive rows of one group together, every other row alone. */
export function groupsOf<T extends { group?: string | undefined }>(steps: readonly T[]): T[][] {
  const groups: T[][] = [];
  for (const step of steps) {
    const last = groups.at(-1);
    if (last && step.group !== undefined && last[0]!.group === step.group) last.push(step);
    else groups.push([step]);
  }
  return groups;
}
