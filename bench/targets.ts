// The targets ("Fast by design", section 1), and whether a figure meets its target.

export const TARGETS = {
  ratios: {
    throughput: { min: 0.8 },
    events: { max: 1.3 },
    serverCpu: { max: 1.3 },
    workerCpu: { max: 1.5 },
    e2eP50: { max: 1.5 },
    postP99: { max: 2 },
    watchers: { max: 1.2 },
  },
  absolutes: {
    getP99Ms: { below: 20 },
    workerRssMbOpenSagas: { below: 600 },
    /** A slow safety poll: at most one read of query + describe per watched booking every 10 s. */
    idleWatchedCallsPerSecondPerBooking: { max: 0.2 },
  },
} as const;

export type Target = { min?: number; max?: number; below?: number };

export const meets = (value: number, t: Target) =>
  Number.isFinite(value) &&
  (t.min === undefined || value >= t.min) &&
  (t.max === undefined || value <= t.max) &&
  (t.below === undefined || value < t.below);

/** The target as the report writes it: `≥ 0.8`, `≤ 1.3`, `< 20`. */
export const targetText = (t: Target) =>
  t.min !== undefined ? `≥ ${t.min}` : t.max !== undefined ? `≤ ${t.max}` : `< ${t.below}`;
