// The fault-injection grammar: which activities a booking may ask to fail, and how. Honoured only
// with FAULT_INJECTION=on. Pure: imported by the workflow, the activities, the API and the page.
import { STEP_ACTIVITY_NAMES, type StepActivity, type UndoActivity } from './steps.ts';

/** Every step's forward activity and its undo, from the step table. */
export const FAULT_TARGETS: readonly FaultTarget[] = STEP_ACTIVITY_NAMES;
export type FaultTarget = StepActivity | UndoActivity;

/**
 * - `fail`: a non-retryable failure.
 * - `transient:N`: fails N times, then succeeds.
 * - `timeout` or `timeout:N`: does its work, then answers after its start-to-close timeout has
 *   passed, on the first N attempts (default 1); a retry then finds the work already done.
 * - `outage:DURATION` (e.g. `outage:2h`): the service is down for that long, counted in server
 *   time from the start of the booking, then it works.
 */
export type FaultMode = string;
export type FaultPlan = Partial<Record<FaultTarget, FaultMode>>;

export type ParsedFault =
  | { kind: 'fail' }
  | { kind: 'transient'; failures: number }
  | { kind: 'timeout'; times: number }
  | { kind: 'outage'; ms: number };

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a fault mode; returns undefined when it is not one. */
export function parseFault(mode: string): ParsedFault | undefined {
  if (mode === 'fail') return { kind: 'fail' };
  if (mode === 'timeout') return { kind: 'timeout', times: 1 };
  const counted = /^(transient|timeout):([1-9]\d?)$/.exec(mode);
  if (counted?.[1] === 'transient') return { kind: 'transient', failures: Number(counted[2]) };
  if (counted?.[1] === 'timeout') return { kind: 'timeout', times: Number(counted[2]) };
  const outage = /^outage:([1-9]\d{0,4})(ms|s|m|h|d)$/.exec(mode);
  if (outage) {
    const ms = Number(outage[1]) * (DURATION_UNITS[outage[2]!] ?? 0);
    if (ms <= 30 * DURATION_UNITS.d!) return { kind: 'outage', ms };
  }
  return undefined;
}
