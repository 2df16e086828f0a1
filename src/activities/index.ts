// The activity factory: every service's activities (src/activities/services.ts), each over its own
// database and wrapped by what the trip adds to every call (./attempts.ts), and the booking
// service's own over the booking database, all closed over their dependencies, so tests hand in
// their own databases and clock. Workflows import only its type (`import type`).
import { TRIP_STEPS, type StepActivity, type UndoActivity } from '../booking/steps.ts';
import type { ServiceName } from '../booking/service-routes.ts';
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
 * What is wrong between the step table and the services, if anything: the service each row names,
 * and no activity name twice. Otherwise a step's service would have no worker, or one service's
 * activity would silently replace another's.
 */
export function servicesMismatch(
  stepServices: readonly string[],
  served: readonly string[],
  activityNames: readonly string[],
): string | undefined {
  const problems = [
    ...stepServices
      .filter((service) => !served.includes(service))
      .map((service) => `no service ${service}, which a step names`),
    ...served
      .filter((service) => !stepServices.includes(service))
      .map((service) => `a service ${service} no step names`),
    ...activityNames
      .filter((name, i) => activityNames.indexOf(name) !== i)
      .map((name) => `activity ${name} named twice`),
  ];
  return problems.length > 0
    ? `the services (src/activities/services.ts) do not match the step table (src/booking/steps.ts): ${problems.join('; ')}`
    : undefined;
}

/** The name of a service of the trip (the `service` of a step's row). */
export type TripServiceName = (typeof TRIP_SERVICES)[number]['name'];

/** Fails to compile when a row of the step table names a service that is not in TRIP_SERVICES. */
const _everyStepServiceIsAService: readonly TripServiceName[] = [] as ServiceName[];

/** A service's activities, as its worker runs them: each wrapped by {@link attempted}. */
export type ServiceActivitiesAsRun = { [K in keyof TripServiceActivities]: Stepped<TripServiceActivities[K]> };

/**
 * Some services' activities (default: every service's), each over its own database and wrapped by
 * {@link attempted}. Checks every service against the step table first, whichever it builds.
 */
export function createServiceActivities(
  deps: ActivityDeps,
  only: readonly TripServiceName[] = TRIP_SERVICES.map((s) => s.name),
): Partial<ServiceActivitiesAsRun> {
  const now = deps.now ?? (() => new Date());
  // Each service's activities over its own database, and no other's. (The services differ in their
  // client's type; the table below is checked against the step table by name.)
  const all = TRIP_SERVICES.map((service) => ({
    service,
    entries: Object.entries(
      (service.activities as (d: { db: unknown; now: () => Date }) => object)({
        db: deps.dbs[service.database.name],
        now,
      }),
    ),
  }));
  const mismatch = servicesMismatch(
    TRIP_STEPS.map((s) => s.service),
    TRIP_SERVICES.map((s) => s.name),
    all.flatMap(({ entries }) => entries.map(([name]) => name)),
  );
  if (mismatch) throw new Error(mismatch);
  return Object.fromEntries(
    all
      .filter(({ service }) => only.includes(service.name))
      .flatMap(({ entries }) => entries)
      .map(([name, call]) => [
        name,
        attempted(name, deps.faultInjection, call as (input: StepInput) => Promise<object>),
      ]),
  );
}

/** The booking service's own activities, over the booking database: its read model and the reconciler's. */
export function createBookingActivities(deps: ActivityDeps) {
  const readModel = createReadModel(deps.dbs.booking);
  const reconciler = createReconciler({ db: deps.dbs.booking, ...deps.reconcile });
  return {
    syncBooking: readModel.syncBooking,
    findUnwoundBookings: reconciler.findUnwoundBookings,
    markTerminated: reconciler.markTerminated,
    recordGiveBack: reconciler.recordGiveBack,
  };
}

/** Every activity of the trip: the booking's and every service's (what the workflows' types name). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...(createServiceActivities(deps) as ServiceActivitiesAsRun),
    ...createBookingActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
