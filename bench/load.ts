// The shapes of load the measurements drive: a closed pool, an open loop at a fixed rate, and
// rounds in which the saga and the bare workflow take turns.
import { setTimeout as delay } from 'node:timers/promises';
import type { LatencyWithErrors } from './result.ts';
import { latencyOf } from './stats.ts';

/** The saga and the bare workflow take turns in this many rounds (throughput, end to end). */
export const ROUNDS = 4;

/**
 * Splits `total` into ROUNDS shares (the first ones one larger when it does not divide) and runs
 * `round` for each share in turn: a machine whose speed drifts during the run (a shared host)
 * slows both sides of a round alike, and the ratio stays the ratio.
 */
export async function inRounds(total: number, round: (share: number, index: number) => Promise<void>) {
  for (let index = 0; index < ROUNDS; index++) {
    await round(Math.floor(total / ROUNDS) + (index < total % ROUNDS ? 1 : 0), index);
  }
}

/** Runs `count` jobs, `concurrency` at a time. */
export async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

/**
 * Starts `job` at a fixed rate for `seconds`, whether or not earlier ones have answered (an open
 * loop, like autocannon's overallRate), and returns each one's latency from its start.
 */
export async function fixedRate(
  perSecond: number,
  seconds: number,
  job: () => Promise<unknown>,
): Promise<LatencyWithErrors> {
  const total = Math.max(1, Math.round(perSecond * seconds));
  const latencies: number[] = [];
  let errors = 0;
  const runs: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / perSecond - performance.now();
    if (wait > 0) await delay(wait);
    const started = performance.now();
    runs.push(
      job().then(
        () => void latencies.push(performance.now() - started),
        () => void errors++,
      ),
    );
  }
  await Promise.all(runs);
  return { ...latencyOf(latencies), errors };
}
