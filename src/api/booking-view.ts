// A booking as the API shows it: the workflow's state (or the read model's copy), amounts as
// money strings, live attempts of a running step, and links.
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { workflowIdFor, type BookingState } from '../booking/booking.ts';
import { stepOfActivity, type StepName } from '../booking/steps.ts';
import type { BookingView } from './schemas.ts';
import { serviceViews } from './services.ts';

/** Pending activity facts from DescribeWorkflowExecution, keyed by step. */
export type LiveSteps = Partial<Record<StepName, { attempt: number; lastFailure?: string; nextAttemptAt?: string }>>;

/**
 * Activities of retired builds, by the step they ran in: a saga runs to its end on the build that
 * started it (bookTrip is PINNED), so the API shows sagas of builds whose steps are gone. v4 chose
 * the seats in an activity of the flight step of its own.
 */
const RETIRED_STEP_ACTIVITIES: Readonly<Record<string, StepName>> = { selectSeats: 'flight' };

/** The attempts, last failure and next attempt of each step's running activity (or undo). */
export function liveSteps(description: WorkflowExecutionDescription): LiveSteps {
  const live: LiveSteps = {};
  for (const pending of description.raw.pendingActivities ?? []) {
    const activity = pending.activityType?.name ?? '';
    const step = stepOfActivity(activity) ?? RETIRED_STEP_ACTIVITIES[activity];
    if (!step) continue;
    const next = pending.nextAttemptScheduleTime?.seconds;
    live[step] = {
      attempt: pending.attempt ?? 1,
      ...(pending.lastFailure?.message ? { lastFailure: pending.lastFailure.message } : {}),
      ...(next ? { nextAttemptAt: new Date(Number(next) * 1000).toISOString() } : {}),
    };
  }
  return live;
}

/**
 * The view as its caller may see it: the link to the Temporal Web UI only for an operator. The Web
 * UI shows every booking and can terminate any, so a customer's view does not point there.
 */
export function viewFor(view: BookingView, operator: boolean): BookingView {
  if (operator || view.links.history === undefined) return view;
  const { history: _history, ...links } = view.links;
  return { ...view, links };
}

/** A step whose activity (or undo) runs now: only such a step has live attempts. */
export const isRunning = (step: { state: string }): boolean => step.state === 'RUNNING' || step.state === 'COMPENSATING';

export function toView(state: BookingState, source: BookingView['source'], historyUrlOf: (workflowId: string) => string, live: LiveSteps = {}): BookingView {
  const self = `/bookings/${state.bookingId}`;
  return {
    bookingId: state.bookingId,
    customerId: state.customerId,
    status: state.status,
    currentStep: state.currentStep,
    steps: state.steps.map((s) => ({
      ...s,
      ...(live[s.name] && isRunning(s) ? { live: live[s.name] } : {}),
    })),
    compensations: state.compensations,
    ...serviceViews(state),
    ...(state.failure ? { failure: state.failure } : {}),
    ...(state.resolution ? { resolution: state.resolution } : {}),
    ...(state.cancelledBy ? { cancelledBy: state.cancelledBy } : {}),
    ...(state.retriedBy?.length ? { retriedBy: state.retriedBy } : {}),
    ...(state.holdExpiresAt ? { holdExpiresAt: state.holdExpiresAt } : {}),
    ...(state.confirmed ? { confirmed: state.confirmed } : {}),
    ...(state.holdExtended ? { holdExtended: state.holdExtended } : {}),
    ...(state.operatorWait ? { operatorWait: state.operatorWait } : {}),
    ...(state.readModelLag ? { readModelLag: state.readModelLag } : {}),
    cancelRequested: state.cancelRequested,
    version: state.version,
    source,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    links: { self, events: `${self}/events`, history: historyUrlOf(workflowIdFor(state.bookingId)) },
  };
}

