// The reconciler's service side: which bookings hold inventory or money although their workflow
// closed without unwinding (an operator terminated it, it timed out, or it is gone), and the read
// model's last word on them (TERMINATED). The undos themselves are the saga's own activities (each
// step's undo, from the step table), which the reconcileBookings workflow runs.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { BookingDb } from '../db/booking-db.ts';
import {
  HOLD_BEFORE_STEP,
  TERMINAL_STATUSES,
  WORKFLOW_TYPE,
  workflowIdFor,
  type BookingState,
  type BookingStatus,
  type StepName,
  type UndoOutcome,
} from '../booking/booking.ts';
import { getBookingStateQuery } from '../booking/messages.ts';
import { STEP_NAMES, type UndoActivity } from '../booking/steps.ts';

/** Why a booking is the reconciler's: how its workflow closed without unwinding. */
export type UnwoundCause = 'WorkflowTerminated' | 'WorkflowTimedOut' | 'WorkflowGone';

export interface UnwoundBooking {
  bookingId: string;
  cause: UnwoundCause;
  /** The booking's status in the read model when it was found. */
  status: BookingStatus;
}

/** What one of the reconciler's undos did. */
export interface ReconciledUndo {
  step: StepName;
  activity: UndoActivity;
  outcome: Exclude<UndoOutcome, 'FAILED'>;
  attempts: number;
}

export interface ReconcileDeps {
  /** The booking service's database: the read model. */
  db: BookingDb;
  /** A client of the worker's namespace: visibility, describe, and the closed workflow's last state. */
  client?: Client | undefined;
  /** A read-model row is "gone" only once it has not changed for this long (ms). Default 1 minute. */
  goneAfterMs?: number;
  /** How far back the closed workflows are looked for (ms). Default 24 hours; older ones are found as gone once retention deleted them. */
  lookbackMs?: number;
}

/** Statuses of a saga that still holds, or may hold, what it reserved or charged. */
const OPEN_STATUSES = [
  'PENDING',
  'HELD',
  'COMPENSATING',
  'COMPENSATION_FAILED',
] as const satisfies readonly BookingStatus[];
const CAUSE_OF_STATUS: Partial<Record<string, UnwoundCause>> = {
  TERMINATED: 'WorkflowTerminated',
  TIMED_OUT: 'WorkflowTimedOut',
};
/** How many closed workflows one pass reads from visibility per booking it may take. */
const SCAN_FACTOR = 10;
/** How long the closed workflow's last state may take to come (a worker of its build replays it). */
const QUERY_DEADLINE_MS = 3_000;

const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

function requireClient(client: Client | undefined): Client {
  if (client) return client;
  throw ApplicationFailure.create({
    type: 'ReconcilerNotConfigured',
    message: 'this worker has no Temporal client for the reconciler',
    nonRetryable: true,
  });
}

export function createReconciler(deps: ReconcileDeps) {
  const { db } = deps;
  const goneAfterMs = deps.goneAfterMs ?? 60_000;
  const lookbackMs = deps.lookbackMs ?? 24 * 3_600_000;

  /** The latest run of a booking's workflow: how it closed, 'running', or 'gone'. */
  async function latestRun(client: Client, bookingId: string): Promise<UnwoundCause | 'open' | 'closed'> {
    try {
      const { status } = await client.workflow.getHandle(workflowIdFor(bookingId)).describe();
      return CAUSE_OF_STATUS[status.name] ?? (status.name === 'RUNNING' ? 'open' : 'closed');
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return 'WorkflowGone';
      throw error;
    }
  }

  /** Open rows of the read model among `ids`, with their status. */
  async function openRows(ids: string[]): Promise<Map<string, BookingStatus>> {
    if (ids.length === 0) return new Map();
    const rows = await db.booking.findMany({
      where: { id: { in: ids }, status: { in: [...OPEN_STATUSES] } },
      select: { id: true, status: true },
    });
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  /**
   * Terminated or timed-out sagas of this task queue, from visibility (BookingStatus is what the
   * workflow last published), that the read model still shows open; their latest run must be the
   * closed one (a reset's new run is the saga's own again).
   */
  async function closedWithoutUnwinding(client: Client, taskQueue: string, batch: number): Promise<UnwoundBooking[]> {
    const since = new Date(Date.now() - lookbackMs).toISOString();
    const query =
      `WorkflowType = '${WORKFLOW_TYPE}' AND TaskQueue = '${taskQueue}' AND ExecutionStatus IN ('Terminated', 'TimedOut')` +
      ` AND BookingStatus IN (${quoted(OPEN_STATUSES)}) AND CloseTime > '${since}'`;
    const ids = new Set<string>();
    for await (const execution of client.workflow.list({ query, pageSize: batch * SCAN_FACTOR })) {
      if (execution.workflowId.startsWith('booking-')) ids.add(execution.workflowId.slice('booking-'.length));
      if (ids.size >= batch * SCAN_FACTOR) break;
    }
    const open = await openRows([...ids]);
    const found: UnwoundBooking[] = [];
    for (const [bookingId, status] of open) {
      if (found.length >= batch) break;
      const run = await latestRun(client, bookingId);
      if (run === 'WorkflowTerminated' || run === 'WorkflowTimedOut') found.push({ bookingId, cause: run, status });
    }
    return found;
  }

  /**
   * Open rows of the read model whose workflow Temporal no longer has (retention deleted it, or
   * it was deleted), quiet for `goneAfterMs`. A pass checks `limit` of them in an order of its
   * own (`seed`), so that bookings that wait long (an operator's) do not hide the others.
   */
  async function goneWorkflows(
    client: Client,
    limit: number,
    seed: string,
    skip: Set<string>,
  ): Promise<UnwoundBooking[]> {
    if (limit <= 0) return [];
    const quietSince = new Date(Date.now() - goneAfterMs);
    const rows = await db.$queryRaw<{ id: string; status: BookingStatus }[]>`
      SELECT id, status::text AS status FROM bookings
      WHERE status::text = ANY(${[...OPEN_STATUSES]}) AND updated_at < ${quietSince}
      ORDER BY md5(id || ${seed}) LIMIT ${limit + skip.size}`;
    const found: UnwoundBooking[] = [];
    for (const row of rows) {
      if (found.length >= limit) break;
      if (skip.has(row.id)) continue;
      if ((await latestRun(client, row.id)) === 'WorkflowGone')
        found.push({ bookingId: row.id, cause: 'WorkflowGone', status: row.status });
    }
    return found;
  }

  /** The booking's last state: the closed workflow's own (a worker of its build replays it), else the read model's. */
  async function lastState(client: Client, bookingId: string, stored: BookingState): Promise<BookingState> {
    const queried = await client
      .withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
        client.workflow.getHandle(workflowIdFor(bookingId)).query(getBookingStateQuery),
      )
      .catch(() => undefined);
    return queried && queried.version > stored.version ? queried : stored;
  }

  return {
    /**
     * Up to `batch` bookings whose workflow closed without unwinding: terminated or timed out
     * (visibility, then describe), then gone (the read model, then describe). Only bookings the
     * read model shows open: a booking it does not know, or knows as ended, is not touched.
     */
    findUnwoundBookings: async ({ batch }: { batch: number }): Promise<UnwoundBooking[]> => {
      const client = requireClient(deps.client);
      const { taskQueue, workflowExecution } = Context.current().info;
      const closed = await closedWithoutUnwinding(client, taskQueue, batch);
      // Each pass checks the open rows in an order of its own (its run ID).
      const gone = await goneWorkflows(
        client,
        batch - closed.length,
        workflowExecution?.runId ?? String(Date.now()),
        new Set(closed.map((b) => b.bookingId)),
      );
      return [...closed, ...gone];
    },

    /**
     * Writes the booking's row TERMINATED with what the undos did; false when the row is no longer
     * open (another pass, or another reconciler, was first). Never over an ended booking.
     */
    markTerminated: async ({
      bookingId,
      cause,
      undos,
    }: {
      bookingId: string;
      cause: UnwoundCause;
      undos: ReconciledUndo[];
    }): Promise<boolean> => {
      const client = requireClient(deps.client);
      const row = await db.booking.findUnique({ where: { id: bookingId }, select: { state: true, version: true } });
      if (!row) return false;
      const stored = { ...(row.state as unknown as BookingState), version: Number(row.version) };
      if (TERMINAL_STATUSES.includes(stored.status)) return false;
      const state = terminatedState(
        cause === 'WorkflowGone' ? stored : await lastState(client, bookingId, stored),
        cause,
        undos,
        new Date(),
      );
      const written = await db.$executeRaw`
        UPDATE bookings SET status = 'TERMINATED'::"BookingStatus", current_step = NULL,
          failure_step = ${state.failure!.step}, failure_type = ${state.failure!.type}, failure_message = ${state.failure!.message},
          state = ${JSON.stringify(state)}::jsonb, version = ${state.version}, updated_at = ${new Date(state.updatedAt)}
        WHERE id = ${bookingId} AND version < ${state.version} AND status::text <> ALL(${[...TERMINAL_STATUSES]})`;
      return written === 1;
    },
  };
}

const CAUSE_IN_WORDS: Record<UnwoundCause, string> = {
  WorkflowTerminated: 'its workflow was terminated',
  WorkflowTimedOut: 'its workflow timed out',
  WorkflowGone: 'its workflow is gone',
};

const OUTCOME_IN_WORDS: Record<ReconciledUndo['outcome'], string> = {
  UNDONE: 'undone',
  NOTHING_TO_UNDO: 'nothing to undo',
};

/** What the reconciler gave back, in words: "cancelHotel undone, cancelFlight undone". */
export function undosInWords(undos: readonly ReconciledUndo[]): string {
  return undos.map((u) => `${u.activity} ${OUTCOME_IN_WORDS[u.outcome]}`).join(', ');
}

/**
 * The booking as the reconciler leaves it: TERMINATED, each step that had an undo showing what it
 * did (a step that never ran and left nothing is SKIPPED; a failed one that left nothing stays
 * FAILED; anything undone is COMPENSATED), and a failure that says what happened and what was given
 * back. Still a BookingState: the API serves it as it serves any other.
 */
export function terminatedState(
  before: BookingState,
  cause: UnwoundCause,
  undos: readonly ReconciledUndo[],
  now: Date,
): BookingState {
  const state: BookingState = structuredClone(before);
  for (const undo of undos) {
    const entry = state.steps.find((s) => s.name === undo.step);
    if (!entry) continue;
    const leftNothing = undo.outcome === 'NOTHING_TO_UNDO';
    entry.state =
      leftNothing && entry.state === 'PENDING'
        ? 'SKIPPED'
        : leftNothing && entry.state === 'FAILED'
          ? 'FAILED'
          : 'COMPENSATED';
    entry.undo = { activity: undo.activity, attempts: undo.attempts, outcome: undo.outcome };
    state.compensations.push({ step: undo.step, activity: undo.activity, outcome: undo.outcome });
  }
  for (const entry of state.steps) if (entry.state === 'PENDING') entry.state = 'SKIPPED';
  const held = undos.filter((u) => u.outcome === 'UNDONE').map((u) => u.step);
  const step =
    before.currentStep ??
    (before.status === 'HELD' ? HOLD_BEFORE_STEP : undefined) ??
    before.failure?.step ??
    held.at(0) ??
    STEP_NAMES[0]!;
  const earlier = before.failure
    ? `; before that, ${before.failure.step}: ${before.failure.type}: ${before.failure.message}`
    : '';
  state.failure = {
    step,
    type: cause,
    message: `${CAUSE_IN_WORDS[cause]} while the booking was ${before.status}; the reconciler gave back what it held (${undosInWords(undos)})${earlier}`,
  };
  state.status = 'TERMINATED';
  state.currentStep = null;
  delete state.operatorWait;
  state.version = Math.max(before.version + 1, now.getTime()); // as the workflow counts (src/booking/booking.ts)
  state.updatedAt = now.toISOString();
  return state;
}
