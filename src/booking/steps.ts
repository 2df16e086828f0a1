// The trip's steps, in order: one row per step, each declared by its service
// (src/activities/<service>/step.ts): its forward activity and its undo, their timeouts and retry
// policies, the summary the Web UI shows, the activity's input, and what its result adds to the
// booking. The saga runner (@trip-saga/saga, through src/workflows/saga.ts) runs this table in
// order; everything else that lists steps or their activities (fault targets, the ledger, the
// API's view, the page, the invariants) derives from it. To add a step: the README's "Add a step".
//
// Imported by the workflow, the API and the page: type imports and plain data only.
import type { SagaLedger } from '@trip-saga/saga';
import type { Intersection } from '../common/types.ts';
import { flightStep } from '../activities/flights/step.ts';
import { hotelStep } from '../activities/hotels/step.ts';
import { paymentStep } from '../activities/payments/step.ts';

export const TRIP_STEPS = [flightStep, hotelStep, paymentStep] as const;

// ---------- What the table's rows add up to ----------

export type TripStepDefinition = (typeof TRIP_STEPS)[number];
export type StepName = TripStepDefinition['name'];
export type StepActivity = TripStepDefinition['activity'];
/** The undos of the steps that have one (a read-only step has none). */
export type UndoActivity = Extract<TripStepDefinition, { undo: string }>['undo'];

type RowContext<R> = R extends { args: (ctx: infer C) => unknown } ? C : never;
type RowInput<R> = R extends unknown ? (RowContext<R> extends { input: infer I } ? I : never) : never;
type RowDetails<R> = R extends unknown
  ? RowContext<R> extends { state: infer S }
    ? Omit<S, keyof SagaLedger>
    : never
  : never;

/** The workflow input's part that belongs to the steps: every row's request. */
export type TripRequest = Omit<Intersection<RowInput<TripStepDefinition>>, 'bookingId'>;
/** The booking state's part that belongs to the steps: every row's details. */
export type TripDetails = Intersection<RowDetails<TripStepDefinition>>;

/**
 * Fails to compile when a step's details are not kept under its name (the payment charges the sum
 * of `state[<step>].priceCents`, and the view and the page read a step's details by its name).
 */
const _everyStepKeepsItsDetailsUnderItsName: readonly (keyof TripDetails)[] = [] as StepName[];

export const STEP_NAMES: readonly StepName[] = TRIP_STEPS.map((s) => s.name);

/** Each step's row by its name. */
export const STEP_BY_NAME = Object.fromEntries(TRIP_STEPS.map((s) => [s.name, s])) as {
  [N in StepName]: Extract<TripStepDefinition, { name: N }>;
};

/** Every step's forward activity and undo, forward ones first, then the undos in unwind order. */
export const STEP_ACTIVITY_NAMES: readonly (StepActivity | UndoActivity)[] = [
  ...TRIP_STEPS.map((s) => s.activity),
  ...TRIP_STEPS.flatMap((s): UndoActivity[] => ('undo' in s ? [s.undo] : [])).reverse(),
];

/** The step a forward or undo activity belongs to. */
export function stepOfActivity(activity: string): StepName | undefined {
  return TRIP_STEPS.find((s) => s.activity === activity || ('undo' in s && s.undo === activity))?.name;
}

/** The booking's details before its first step. */
export function initialTripDetails(input: TripRequest & { bookingId: string }): TripDetails {
  return Object.assign({}, ...TRIP_STEPS.map((s) => s.initialDetails(input as never))) as TripDetails;
}
