// A booking as the API shows it: its schema, and the workflow's state (or the read model's copy)
// in it: each service's block (amounts as money strings), live attempts of a running step, links.
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { z } from 'zod';
import { BOOKING_STATUSES, STEP_STATES, workflowIdFor, type BookingState } from '../../booking/booking.ts';
import { STEP_NAMES, stepOfActivity, type StepName } from '../../booking/steps.ts';
import { serviceViewShape, serviceViews } from './services.ts';

const stepError = z.object({ type: z.string(), message: z.string() });

export const bookingViewSchema = z
  .object({
    bookingId: z.string(),
    customerId: z.string(),
    status: z.enum(BOOKING_STATUSES),
    currentStep: z.enum(STEP_NAMES).nullable(),
    steps: z.array(
      z.object({
        name: z.enum(STEP_NAMES),
        state: z.enum(STEP_STATES),
        attempts: z.int(),
        error: stepError.optional(),
        reference: z.string().optional(),
        /** Live, while the step's activity runs: its attempt and the last failure. */
        live: z
          .object({ attempt: z.int(), lastFailure: z.string().optional(), nextAttemptAt: z.string().optional() })
          .optional(),
        undo: z
          .object({
            activity: z.string(),
            attempts: z.int(),
            outcome: z.enum(['UNDONE', 'NOTHING_TO_UNDO', 'FAILED']).optional(),
            error: stepError.optional(),
          })
          .optional(),
      }),
    ),
    compensations: z.array(
      z.object({ step: z.enum(STEP_NAMES), activity: z.string(), outcome: z.string(), error: stepError.optional() }),
    ),
    ...serviceViewShape,
    failure: z
      .object({ step: z.enum(STEP_NAMES), type: z.string(), message: z.string() })
      .optional()
      .meta({
        description:
          'Why the booking failed, was cancelled or expired. TERMINATED: its workflow closed without unwinding (type WorkflowTerminated, WorkflowTimedOut or WorkflowGone), and the message says what the reconciler gave back.',
      }),
    resolution: z.object({ note: z.string(), at: z.string(), by: z.string().optional() }).optional(),
    cancelledBy: z.string().optional().meta({ description: "Who cancelled (the caller's sub)." }),
    retriedBy: z.array(z.string()).optional().meta({ description: 'Who retried the failed compensations, in order.' }),
    holdExpiresAt: z.string().optional().meta({
      description: 'A hold: until when flight and hotel are held without a payment (HELD), after which it EXPIRES.',
    }),
    holdExtended: z
      .object({ minutes: z.int(), at: z.string(), by: z.string().optional() })
      .optional()
      .meta({ description: 'A hold may be extended once: by how much, when and by whom.' }),
    confirmed: z
      .object({ at: z.string(), by: z.string().optional() })
      .optional()
      .meta({ description: 'When, and by whom, a hold was confirmed with a card.' }),
    operatorWait: z
      .object({ since: z.string(), reminders: z.int(), lastReminderAt: z.string().optional() })
      .optional()
      .meta({
        description:
          'COMPENSATION_FAILED: since when the booking waits for an operator, and the weekly reminders logged.',
      }),
    readModelLag: z
      .object({ since: z.string(), version: z.int(), reason: z.string() })
      .optional()
      .meta({
        description:
          "The read model refused this booking's state (PostgreSQL found its data invalid): since when, the version it refused, and why. " +
          'The saga went on regardless; lists show an older state of the booking until a later write succeeds.',
      }),
    cancelRequested: z.boolean(),
    version: z.int().meta({
      description:
        "Grows with every change of the saga, across the runs of a reset too (at least the change's time in epoch ms).",
    }),
    source: z.enum(['workflow', 'read-model']).meta({ description: 'Live from the workflow, or from the read model.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    links: z.object({
      self: z.string(),
      events: z.string(),
      history: z.string().optional().meta({
        description:
          "The booking's history in the Temporal Web UI: operators' views only (the Web UI shows every booking and can terminate any).",
      }),
    }),
  })
  .meta({ id: 'Booking' });
export type BookingView = z.infer<typeof bookingViewSchema>;

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
    live[step] = liveAttempt(pending);
  }
  return live;
}

/** A pending activity's attempt, last failure and next attempt's time, as a step's live facts. */
export function liveAttempt(pending: NonNullable<WorkflowExecutionDescription['raw']['pendingActivities']>[number]) {
  const next = pending.nextAttemptScheduleTime?.seconds;
  return {
    attempt: pending.attempt ?? 1,
    ...(pending.lastFailure?.message ? { lastFailure: pending.lastFailure.message } : {}),
    ...(next ? { nextAttemptAt: new Date(Number(next) * 1000).toISOString() } : {}),
  };
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
export const isRunning = (step: { state: string }): boolean =>
  step.state === 'RUNNING' || step.state === 'COMPENSATING';

export function toView(
  state: BookingState,
  source: BookingView['source'],
  historyUrlOf: (workflowId: string) => string,
  live: LiveSteps = {},
): BookingView {
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
