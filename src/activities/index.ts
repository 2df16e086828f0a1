// The activity factory: every service's activities (src/activities/services.ts), each over its own
// database and wrapped by what the trip adds to every call (./attempts.ts), and the booking
// service's own over the booking database, all closed over their dependencies, so tests hand in
// their own databases and clock. Workflows import only its type (`import type`).
import { TRIP_STEPS, type StepActivity, type UndoActivity } from '../booking/steps.ts';
import type { Intersection } from '../common/types.ts';
import { attempted } from './attempts.ts';
import type { Databases } from './databases.ts';
import { createReadModel } from './read-model.ts';
import { createReconciler, type ReconcileDeps } from './reconcile.ts';
import { TRIP_SERVICES } from './services.ts';
import type { Attempted, StepInput } from './shared/contract.ts';

export interface ActivityDeps {
  /** Every database's client: each service's activities get their own's, the booking service's the booking's. */
  dbs: Databases;
  /** Honour the `fault` of each call (FAULT_INJECTION=on). Off in production. */
  faultInjection: boolean;
  /** The clock for card expiry. */
  now?: () => Date;
  /**
   * The reconciler's Temporal client (visibility, describe) and its tuning: the worker and the dev
   * stack hand in one; a worker without it fails the reconciler's activities (ReconcilerNotConfigured).
   */
  reconcile?: Omit<ReconcileDeps, 'db'>;
}

/** Every service's activities, as the services declare them. */
type ServiceActivitiesOf<T> = T extends { activities: (deps: never) => infer A } ? A : never;
type TripServiceActivities = Intersection<ServiceActivitiesOf<(typeof TRIP_SERVICES)[number]>>;
/** A service's activity as the worker runs it: with failure injection, and the attempt in its result. */
type Stepped<F> = F extends (input: infer I) => Promise<infer R> ? (input: I) => Promise<R & Attempted> : never;

/** Fails to compile when a row of the step table names an activity no service has. */
const _everyStepActivityHasItsService: readonly (keyof TripServiceActivities)[] = [] as (StepActivity | UndoActivity)[];

/**
 * What is wrong between the step table and the services, if anything: one service per step, and no
 * activity name twice. Otherwise the worker would lack a step's activities, or one service's would
 * silently replace another's.
 */
export function servicesMismatch(
  steps: readonly string[],
  served: readonly string[],
  activityNames: readonly string[],
): string | undefined {
  const problems = [
    ...steps.filter((step) => !served.includes(step)).map((step) => `no service for step ${step}`),
    ...served.filter((step) => !steps.includes(step)).map((step) => `a service for ${step}, which is no step`),
    ...activityNames
      .filter((name, i) => activityNames.indexOf(name) !== i)
      .map((name) => `activity ${name} named twice`),
  ];
  return problems.length > 0
    ? `the services (src/activities/services.ts) do not match the step table (src/booking/steps.ts): ${problems.join('; ')}`
    : undefined;
}

/** Every service's activities, each wrapped by {@link attempted}. */
function serviceActivities(deps: ActivityDeps): {
  [K in keyof TripServiceActivities]: Stepped<TripServiceActivities[K]>;
} {
  const now = deps.now ?? (() => new Date());
  // Each service's activities over its own database, and no other's. (The services differ in their
  // client's type; the table below is checked against the step table by name.)
  const entries = TRIP_SERVICES.flatMap((service) =>
    Object.entries(
      (service.activities as (d: { db: unknown; now: () => Date }) => object)({
        db: deps.dbs[service.database.name],
        now,
      }),
    ),
  );
  const mismatch = servicesMismatch(
    TRIP_STEPS.map((s) => s.name),
    TRIP_SERVICES.map((s) => s.step),
    entries.map(([name]) => name),
  );
  if (mismatch) throw new Error(mismatch);
  return Object.fromEntries(
    entries.map(([name, call]) => [
      name,
      attempted(name, deps.faultInjection, call as (input: StepInput) => Promise<object>),
    ]),
  ) as never;
}

export function createActivities(deps: ActivityDeps) {
  const readModel = createReadModel(deps.dbs.booking);
  const reconciler = createReconciler({ db: deps.dbs.booking, ...deps.reconcile });
  return {
    ...serviceActivities(deps),
    syncBooking: readModel.syncBooking,
    findUnwoundBookings: reconciler.findUnwoundBookings,
    markTerminated: reconciler.markTerminated,
  };
}

export type Activities = ReturnType<typeof createActivities>;
