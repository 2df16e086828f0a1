// The saga's compensation stack: push an undo before its step runs, unwind in LIFO order.
// Workflow-side but free of Temporal APIs, so it is deterministic and unit-testable on its own.

export interface Compensation<K> {
  /** What this undo is for, e.g. the step name. */
  readonly key: K;
  readonly run: () => Promise<unknown>;
}

export interface UnwindHooks<K> {
  onStart?: (key: K) => void;
  onSuccess?: (key: K, result: unknown) => void;
  onFailure?: (key: K, error: unknown) => void;
}

export interface UnwindResult<K> {
  /** Keys in the order their undo ran. */
  ran: K[];
  /** Keys whose undo failed in this run, in the order they ran; they stay on record for a retry. */
  failed: K[];
}

export class CompensationStack<K> {
  #stack: Compensation<K>[] = [];
  #failed: Compensation<K>[] = [];

  /** Registers an undo. Call it *before* the step runs: a step that timed out may still have worked. */
  push(key: K, run: () => Promise<unknown>): void {
    this.#stack.push({ key, run });
  }

  /** Undos that failed and wait for a retry, in the order they ran. */
  get failed(): K[] {
    return this.#failed.map((c) => c.key);
  }

  /**
   * Runs every registered undo, last pushed first. A failing undo does not stop the others: it is
   * recorded and kept for {@link retryFailed}.
   */
  async unwind(hooks: UnwindHooks<K> = {}): Promise<UnwindResult<K>> {
    const order: Compensation<K>[] = [];
    while (this.#stack.length > 0) order.push(this.#stack.pop()!);
    return this.#runAll(order, hooks);
  }

  /** Runs the undos that failed again, in their original order. */
  async retryFailed(hooks: UnwindHooks<K> = {}): Promise<UnwindResult<K>> {
    const order = this.#failed;
    this.#failed = [];
    return this.#runAll(order, hooks);
  }

  async #runAll(order: Compensation<K>[], hooks: UnwindHooks<K>): Promise<UnwindResult<K>> {
    const ran: K[] = [];
    const failed: K[] = [];
    for (const compensation of order) {
      ran.push(compensation.key);
      hooks.onStart?.(compensation.key);
      let result: unknown;
      try {
        result = await compensation.run();
      } catch (error) {
        this.#failed.push(compensation);
        failed.push(compensation.key);
        hooks.onFailure?.(compensation.key, error);
        continue;
      }
      // Outside the try: a hook that throws is a bug to surface, not a failed undo.
      hooks.onSuccess?.(compensation.key, result);
    }
    return { ran, failed };
  }
}
