// The tests' words for the trip's steps, all built from the step table (src/booking/steps.ts): a
// ledger entry by its step's name, the ledger a saga should have at a point of its run, and the
// undos in the order the unwind runs them. Tests name steps; the order is always the table's, so
// a ledger compares as [name, value] pairs in that order (names, values and order all checked).
import type { StepState, UndoOutcome } from '../../src/booking/booking.ts';
import {
  STEP_BY_NAME,
  STEP_NAMES,
  TRIP_STEPS,
  stepOfActivity,
  type StepActivity,
  type StepName,
  type UndoActivity,
} from '../../src/booking/steps.ts';

/** One value per step, by name, in the table's order. */
export type ByStep<T> = [StepName, T][];
/** Each step's state, in the table's order. */
export type Ledger = ByStep<StepState>;
/** Some steps' states, by name. */
type States = Partial<Record<StepName, StepState>>;

interface Entry {
  name: StepName;
}

// ---------- A booking's ledger, read by name ----------

/** A booking's (a state's, a view's) ledger entry for a step; throws if its ledger has none. */
export function step<E extends Entry>(booking: { steps: readonly E[] }, name: StepName): E {
  const entry = booking.steps.find((s) => s.name === name);
  if (!entry)
    throw new Error(`the ledger has no ${name} step: ${booking.steps.map((s) => s.name).join(', ') || 'no steps'}`);
  return entry;
}

/** What each entry of a booking's ledger says, in the ledger's order: `byStep(state, (s) => s.attempts)`. */
export function byStep<E extends Entry, T>(booking: { steps: readonly E[] }, read: (entry: E) => T): ByStep<T> {
  return booking.steps.map((s) => [s.name, read(s)]);
}

/** Each step's state, in the ledger's order. */
export function statesOf(booking: { steps: readonly (Entry & { state: StepState })[] }): Ledger {
  return byStep(booking, (s) => s.state);
}

/** The compensations that ran, in their order, as `activity:outcome`. */
export function compensationsOf(booking: {
  compensations: readonly { activity: string; outcome: string }[];
}): string[] {
  return booking.compensations.map((c) => `${c.activity}:${c.outcome}`);
}

// ---------- Expected values, one per step of the table ----------

/** A value for every step of the table, in its order, from the step's name. */
export function perStep<T>(value: (name: StepName) => T): ByStep<T> {
  return STEP_NAMES.map((name) => [name, value(name)]);
}

/** The same value for every step but those `except` names. */
export function everyStep<T>(value: T, except: Partial<Record<StepName, T>> = {}): ByStep<T> {
  return perStep((name) => (name in except ? except[name]! : value));
}

/** The steps before a step, in the table's order. */
export function stepsBefore(name: StepName): StepName[] {
  return STEP_NAMES.slice(0, indexOf(name));
}

/** A step and the steps before it, in the table's order. */
export function stepsThrough(name: StepName): StepName[] {
  return STEP_NAMES.slice(0, indexOf(name) + 1);
}

/** A new booking's ledger entries: every step PENDING, never attempted. */
export function pendingEntries(): { name: StepName; state: 'PENDING'; attempts: 0 }[] {
  return STEP_NAMES.map((name) => ({ name, state: 'PENDING', attempts: 0 }));
}

// ---------- Ledgers ----------

/** States after which the forward run has stopped: the runner's stop() has SKIPPED what never started. */
const STOPPED: readonly StepState[] = ['FAILED', 'COMPENSATING', 'COMPENSATED', 'COMPENSATION_FAILED'];

/**
 * The whole ledger: the given steps' states, and every other step `rest`. By default that is what
 * the runner leaves them: PENDING while the forward run goes on (or waits), SKIPPED once it has
 * stopped (a given step failed or was undone).
 */
export function ledger(states: States, rest?: StepState): Ledger {
  const stopped = Object.values(states).some((s) => STOPPED.includes(s));
  return everyStep(rest ?? (stopped ? 'SKIPPED' : 'PENDING'), states);
}

/** A step runs: the steps before it DONE, those after it PENDING. */
export function runningAt(name: StepName, except: States = {}): Ledger {
  return ledger({ ...each(stepsBefore(name), 'DONE'), [name]: 'RUNNING', ...except }, 'PENDING');
}

/** The saga waits before a step (a hold waits before the payment): the steps before it DONE, it and the rest PENDING. */
export function waitingBefore(name: StepName): Ledger {
  return ledger(each(stepsBefore(name), 'DONE'), 'PENDING');
}

/** A step failed: the steps before it undone (COMPENSATED), those after it SKIPPED. */
export function failedAt(name: StepName, except: States = {}): Ledger {
  return ledger({ ...each(stepsBefore(name), 'COMPENSATED'), [name]: 'FAILED', ...except }, 'SKIPPED');
}

/** The saga stopped before a step (a hold that expired or was cancelled): the steps before it COMPENSATED, it and the rest SKIPPED. */
export function undoneBefore(name: StepName): Ledger {
  return ledger(each(stepsBefore(name), 'COMPENSATED'), 'SKIPPED');
}

/** The saga stopped while a step ran and undid it too (a cancel, a step that did its work but timed out): it and the steps before it COMPENSATED, the rest SKIPPED. */
export function undoneThrough(name: StepName): Ledger {
  return ledger(each(stepsThrough(name), 'COMPENSATED'), 'SKIPPED');
}

// ---------- Activities ----------

/** Every step's forward activity, in the table's order. */
export const FORWARD_ACTIVITIES: readonly StepActivity[] = TRIP_STEPS.map((s) => s.activity);

/** A step's forward activity. */
export function activityOf(name: StepName): StepActivity {
  return STEP_BY_NAME[name].activity;
}

/** The step a forward activity or an undo belongs to; throws for any other activity. */
export function stepOf(activity: string): StepName {
  const name = stepOfActivity(activity);
  if (!name) throw new Error(`${activity} is no step's activity or undo`);
  return name;
}

/** A step's undo; throws for a step that has none. */
export function undoOf(name: StepName): UndoActivity {
  const row = STEP_BY_NAME[name];
  if (!('undo' in row)) throw new Error(`the ${name} step has no undo`);
  return row.undo;
}

/** The undos the unwind runs after a step failed (or was cancelled): its own and those of the steps before it, last first. */
export function unwindFrom(name: StepName): UndoActivity[] {
  return stepsUnwoundFrom(name).map(undoOf);
}

/** The compensations of the unwind from a step, as `activity:outcome`: each UNDONE unless `outcomes` says otherwise for its step. */
export function compensationsFrom(name: StepName, outcomes: Partial<Record<StepName, UndoOutcome>> = {}): string[] {
  return stepsUnwoundFrom(name).map((s) => `${undoOf(s)}:${outcomes[s] ?? 'UNDONE'}`);
}

// ---------- Helpers ----------

function indexOf(name: StepName): number {
  const index = STEP_NAMES.indexOf(name);
  if (index < 0) throw new Error(`no step named ${name} in the table`);
  return index;
}

/** The steps with an undo, from a step back to the first: the order the unwind takes them. */
function stepsUnwoundFrom(name: StepName): StepName[] {
  return stepsThrough(name)
    .reverse()
    .filter((s) => 'undo' in STEP_BY_NAME[s]);
}

function each(names: readonly StepName[], state: StepState): States {
  return Object.fromEntries(names.map((name) => [name, state]));
}
