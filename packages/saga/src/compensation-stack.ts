// The compensation stack: push an undo before its step runs, unwind last pushed first. Free of
// Temporal APIs, so it is deterministic and testable on its own.

export interface Compensation<K> {
  /** What this undo is for, e.g. the step name. */
  readonly key: K;
  readonly run: () => Promise<unknown>;
  /**
   * Undos next to each other on the stack with the same batch run together (concurrently), and
   * the unwind waits for all of them before it goes on. Without one, an undo runs alone.
   */
  readonly batch?: string | undefined;
}

export interface UnwindHooks<K> {
  onStart?: (key: K) => void;
  onSuccess?: (key: K, result: unknown) => void;
  onFailure?: (key: K, error: unknown) => void;
}

export interface UnwindResult<K> {
  /** Keys in the order their undo started. */
  ran: K[];
  /** Keys whose undo failed in this run, in the order they failed; they stay on record for a retry. */
  failed: K[];
}

export interface StackOptions {
  /**
   * A failing undo stops the unwind (Java's `continueWithError: false`): the undos below it stay on
   * the stack, and {@link CompensationStack.retryFailed} runs the failed ones, then goes on. By
   * default a failing undo does not stop the others.
   */
  stopOnFailure?: boolean;
}

export class CompensationStack<K> {
  #stack: Compensation<K>[] = [];
  #failed: Compensation<K>[] = [];
  readonly #stopOnFailure: boolean;

  constructor(options: StackOptions = {}) {
    this.#stopOnFailure = options.stopOnFailure ?? false;
  }

  /** Registers an undo. Call it *before* the step runs: a step that timed out may still have worked. */
  push(key: K, run: () => Promise<unknown>, batch?: string): void {
    this.#stack.push({ key, run, batch });
  }

  /** Undos that failed and wait for a retry, in the order they failed. */
  get failed(): K[] {
    return this.#failed.map((c) => c.key);
  }

  /** Undos not run yet: an unwind stopped by a failure leaves them (last pushed last). */
  get pending(): K[] {
    return this.#stack.map((c) => c.key);
  }

  /**
   * Runs every registered undo, last pushed first, a batch together. A failing undo is recorded
   * and kept for {@link retryFailed}; unless `stopOnFailure`, the others still run.
   */
  async unwind(hooks: UnwindHooks<K> = {}): Promise<UnwindResult<K>> {
    return this.#drain(hooks, { ran: [], failed: [] });
  }

  /** Runs the undos that failed again, in the order they failed; with `stopOnFailure`, then the rest. */
  async retryFailed(hooks: UnwindHooks<K> = {}): Promise<UnwindResult<K>> {
    const order = this.#failed;
    this.#failed = [];
    const result: UnwindResult<K> = { ran: [], failed: [] };
    for (const batch of batches(order)) {
      await this.#runBatch(batch, hooks, result);
      if (this.#stopOnFailure && result.failed.length > 0) return result;
    }
    return this.#stopOnFailure ? this.#drain(hooks, result) : result;
  }

  async #drain(hooks: UnwindHooks<K>, result: UnwindResult<K>): Promise<UnwindResult<K>> {
    while (this.#stack.length > 0) {
      await this.#runBatch(this.#popBatch(), hooks, result);
      if (this.#stopOnFailure && result.failed.length > 0) break;
    }
    return result;
  }

  /** The top of the stack, and every undo under it of the same batch. */
  #popBatch(): Compensation<K>[] {
    const top = this.#stack.pop()!;
    const batch = [top];
    while (top.batch !== undefined && this.#stack.at(-1)?.batch === top.batch) batch.push(this.#stack.pop()!);
    return batch;
  }

  async #runBatch(batch: Compensation<K>[], hooks: UnwindHooks<K>, result: UnwindResult<K>): Promise<void> {
    for (const compensation of batch) {
      result.ran.push(compensation.key);
      hooks.onStart?.(compensation.key);
    }
    await Promise.all(batch.map((compensation) => this.#runOne(compensation, hooks, result)));
  }

  async #runOne(compensation: Compensation<K>, hooks: UnwindHooks<K>, result: UnwindResult<K>): Promise<void> {
    let outcome: unknown;
    try {
      outcome = await compensation.run();
    } catch (error) {
      this.#failed.push(compensation);
      result.failed.push(compensation.key);
      hooks.onFailure?.(compensation.key, error);
      return;
    }
    // Outside the try: a hook that throws is a bug to surface, not a failed undo.
    hooks.onSuccess?.(compensation.key, outcome);
  }
}

/** Consecutive compensations of the same batch, grouped; one without a batch stands alone. */
function batches<K>(order: Compensation<K>[]): Compensation<K>[][] {
  const groups: Compensation<K>[][] = [];
  for (const compensation of order) {
    const last = groups.at(-1);
    if (last && compensation.batch !== undefined && last[0]!.batch === compensation.batch) last.push(compensation);
    else groups.push([compensation]);
  }
  return groups;
}
