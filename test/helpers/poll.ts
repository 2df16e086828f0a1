// The tests' one polling helper: reads until a condition holds, and fails the test loudly, with
// what it last saw, when its time runs out.

export interface PollOptions {
  /** Give up after this long (real time). */
  timeoutMs?: number;
  /** Pause between reads; ignored when `between` is given. */
  intervalMs?: number;
  /** What is awaited, for the failure message. */
  what?: string;
  /** Runs between reads instead of a pause, e.g. `() => env.sleep('1 hour')` to let server time run ahead. */
  between?: () => Promise<unknown>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `read` until `until` holds and returns that value; throws with the last value (or error) when time runs out. */
export async function poll<T>(
  read: () => Promise<T> | T,
  until: (value: T) => boolean,
  options: PollOptions = {},
): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 50, what = 'condition', between } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: { value: T } | { error: unknown };
    try {
      const value = await read();
      if (until(value)) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() > deadline) {
      const seen = 'value' in last ? JSON.stringify(last.value)?.slice(0, 2000) : `an error: ${String(last.error)}`;
      throw new Error(`${what} did not hold within ${timeoutMs} ms; last seen: ${seen}`);
    }
    await (between ? between() : pause(intervalMs));
  }
}
