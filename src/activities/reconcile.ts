// The reconciler's service side: which bookings hold inventory or money although their workflow
// closed without unwinding (an operator terminated it, it timed out, or it is gone), and the read
// model's word on them: TERMINATED, or, while a giveBackBooking workflow goes on with what a pass
// could not give back, where that stands. The undos themselves are the saga's own activities (each
// step's undo, from the step table), which those workflows run.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { BookingDb } from '../db/booking-db.ts';
import { writeBookingRow } from '../db/read-model.ts';
import {
  HOLD_BEFORE_STEP,
  TERMINAL_STATUSES,
  WORKFLOW_TYPE,
  workflowIdFor,
  type BookingState,
  type BookingStatus,
} from '../booking/booking.ts';
import { BOOKING_STATUS_SEARCH_ATTRIBUTE, getBookingStateQuery } from '../booking/messages.ts';
import { STEP_NAMES } from '../booking/steps.ts';
import {
  failuresInWords,
  giveBackWorkflowIdFor,
  undosInWords,
  type ReconciledUndo,
  type UndoFailure,
  type UnwoundBooking,
  type UnwoundCause,
} from '../booking/unwound.ts';

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

  /** Whether a giveBackBooking workflow runs for the booking: it, not a pass, gives it back. */
  async function givenBackElsewhere(client: Client, bookingId: string): Promise<boolean> {
    try {
      const { status } = await client.workflow.getHandle(giveBackWorkflowIdFor(bookingId)).describe();
      return status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  /** The read model's status of each of `ids` that has a row. */
  async function rowStatuses(ids: string[]): Promise<Map<string, BookingStatus>> {
    if (ids.length === 0) return new Map();
    const rows = await db.booking.findMany({ where: { id: { in: ids } }, select: { id: true, status: true } });
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
    // Each booking's status as its workflow last published it.
    const published = new Map<string, BookingStatus>();
    for await (const execution of client.workflow.list({ query, pageSize: batch * SCAN_FACTOR })) {
      if (!execution.workflowId.startsWith('booking-')) continue;
      const status = execution.typedSearchAttributes.get(BOOKING_STATUS_SEARCH_ATTRIBUTE) as BookingStatus;
      published.set(execution.workflowId.slice('booking-'.length), status);
      if (published.size >= batch * SCAN_FACTOR) break;
    }
    const rows = await rowStatuses([...published.keys()]);
    const found: UnwoundBooking[] = [];
    for (const [bookingId, publishedStatus] of published) {
      if (found.length >= batch) break;
      // A booking started past the API and closed before its first write has no row: it is ours too.
      const status = rows.get(bookingId) ?? publishedStatus;
      if (!(OPEN_STATUSES as readonly BookingStatus[]).includes(status)) continue;
      if (await givenBackElsewhere(client, bookingId)) continue;
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
      if (skip.has(row.id) || (await givenBackElsewhere(client, row.id))) continue;
      if ((await latestRun(client, row.id)) === 'WorkflowGone')
        found.push({ bookingId: row.id, cause: 'WorkflowGone', status: row.status });
    }
    return found;
  }

  /** The closed workflow's own last state (a worker of its build replays it), if it answers in time. */
  async function queriedState(client: Client, bookingId: string): Promise<BookingState | undefined> {
    return client
      .withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
        client.workflow.getHandle(workflowIdFor(bookingId)).query(getBookingStateQuery),
      )
      .catch(() => undefined);
  }

  /**
   * The newest state of an open booking: a give-back's write, else the closed workflow's own, else
   * the read model's; with `row` false when the read model has none (started past the API, closed
   * before its first write: the closed workflow's state is all there is). Undefined once the row
   * has ended, or when nothing knows the booking.
   */
  async function lastKnown(
    client: Client,
    bookingId: string,
    cause: UnwoundCause,
  ): Promise<{ state: BookingState; row: boolean } | undefined> {
    const found = await db.booking.findUnique({ where: { id: bookingId }, select: { state: true, version: true } });
    if (!found) {
      const queried = cause === 'WorkflowGone' ? undefined : await queriedState(client, bookingId);
      return queried ? { state: queried, row: false } : undefined;
    }
    const stored = { ...(found.state as unknown as BookingState), version: Number(found.version) };
    if (TERMINAL_STATUSES.includes(stored.status)) return undefined;
    if (cause === 'WorkflowGone' || stored.givingBack) return { state: stored, row: true };
    const queried = await queriedState(client, bookingId);
    return { state: queried && queried.version > stored.version ? queried : stored, row: true };
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
     * Writes the booking's row TERMINATED with what the undos did (and, after a give-back's
     * resolve, what a person fixed by hand); false when the row is no longer open (another pass, or
     * another reconciler, was first). Never over an ended booking.
     */
    markTerminated: async ({
      bookingId,
      cause,
      undos,
      resolution,
    }: {
      bookingId: string;
      cause: UnwoundCause;
      undos: ReconciledUndo[];
      resolution?: HandResolution;
    }): Promise<boolean> => {
      const known = await lastKnown(requireClient(deps.client), bookingId, cause);
      if (!known) return false;
      const state = terminatedState(known.state, cause, undos, new Date(), resolution);
      if (!known.row) return (await writeBookingRow(db, state, { ifAbsent: true })) === 1;
      const written = await db.$executeRaw`
        UPDATE bookings SET status = 'TERMINATED'::"BookingStatus", current_step = NULL,
          failure_step = ${state.failure!.step}, failure_type = ${state.failure!.type}, failure_message = ${state.failure!.message},
          state = ${JSON.stringify(state)}::jsonb, version = ${state.version}, updated_at = ${new Date(state.updatedAt)}
        WHERE id = ${bookingId} AND version < ${state.version} AND status::text <> ALL(${[...TERMINAL_STATUSES]})`;
      return written === 1;
    },

    /**
     * Writes what a giveBackBooking workflow stands at (COMPENSATING while its undos retry,
     * COMPENSATION_FAILED while it waits for an operator) and returns that state; undefined when the
     * row has ended meanwhile (there is nothing left to give back).
     */
    recordGiveBack: async (record: GiveBackRecord): Promise<BookingState | undefined> => {
      const known = await lastKnown(requireClient(deps.client), record.booking.bookingId, record.booking.cause);
      if (!known) return undefined;
      const state = givingBackState(known.state, record, new Date());
      await writeBookingRow(db, state);
      return state;
    },
  };
}

const CAUSE_IN_WORDS: Record<UnwoundCause, string> = {
  WorkflowTerminated: 'its workflow was terminated',
  WorkflowTimedOut: 'its workflow timed out',
  WorkflowGone: 'its workflow is gone',
};

/** A person fixed the failed undos by hand (a give-back's resolveCompensation): what they wrote. */
export interface HandResolution {
  note: string;
  at: string;
  by?: string;
  /** The undos that still failed. */
  failed: UndoFailure[];
}

/** Where a giveBackBooking workflow stands, for the read model (recordGiveBack). */
export interface GiveBackRecord {
  booking: UnwoundBooking;
  workflowId: string;
  since: string;
  /** The undos that succeeded so far, and those that failed last. */
  undos: ReconciledUndo[];
  failed: UndoFailure[];
  /** While it waits for an operator: since when, and the reminders logged. */
  operatorWait?: BookingState['operatorWait'];
  retriedBy?: string[];
}

type Found = NonNullable<BookingState['givingBack']>['found'];

/** The booking as the reconciler found it: what a give-back kept of it, else the state itself. */
function foundAs(before: BookingState): Found {
  return (
    before.givingBack?.found ?? {
      status: before.status,
      currentStep: before.currentStep,
      ...(before.failure ? { failure: before.failure } : {}),
    }
  );
}

/** Each step that had an undo shows what it did (once: a give-back applies its undos again). */
function applyUndos(state: BookingState, undos: readonly ReconciledUndo[]): void {
  for (const undo of undos) {
    const entry = state.steps.find((s) => s.name === undo.step);
    if (!entry || (entry.undo?.activity === undo.activity && entry.undo.outcome === undo.outcome)) continue;
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
}

/** A failed undo as the ledger shows its error. */
const undoError = (failure: UndoFailure) => ({ type: 'UndoFailed', message: failure.error });

/**
 * Each step whose undo failed shows it: COMPENSATING while it is retried, COMPENSATION_FAILED (its
 * undo FAILED) once it failed for good.
 */
function applyFailedUndos(state: BookingState, failed: readonly UndoFailure[], { forGood }: { forGood: boolean }) {
  for (const failure of failed) {
    const entry = state.steps.find((s) => s.name === failure.step);
    if (!entry) continue;
    entry.state = forGood ? 'COMPENSATION_FAILED' : 'COMPENSATING';
    entry.undo = {
      activity: failure.activity,
      attempts: entry.undo?.attempts ?? 0,
      ...(forGood ? { outcome: 'FAILED' as const } : {}),
      error: undoError(failure),
    };
  }
}

/** "; before that, payment: Cancelled: …": the failure the booking had when it was found. */
const earlierFailure = ({ failure }: Found) =>
  failure ? `; before that, ${failure.step}: ${failure.type}: ${failure.message}` : '';

/** A state's next version, as the workflow counts (src/booking/booking.ts). */
function nextVersion(state: BookingState, now: Date): Pick<BookingState, 'version' | 'updatedAt'> {
  return { version: Math.max(state.version + 1, now.getTime()), updatedAt: now.toISOString() };
}

/**
 * The booking as the reconciler leaves it: TERMINATED, each step that had an undo showing what it
 * did (a step that never ran and left nothing is SKIPPED; a failed one that left nothing stays
 * FAILED; anything undone is COMPENSATED; an undo a person fixed by hand stays
 * COMPENSATION_FAILED), and a failure that says what happened and what was given back. Still a
 * BookingState: the API serves it as it serves any other.
 */
export function terminatedState(
  before: BookingState,
  cause: UnwoundCause,
  undos: readonly ReconciledUndo[],
  now: Date,
  resolution?: HandResolution,
): BookingState {
  const found = foundAs(before);
  const state: BookingState = structuredClone(before);
  applyUndos(state, undos);
  const fixedByHand = resolution?.failed ?? [];
  applyFailedUndos(state, fixedByHand, { forGood: true });
  for (const failure of fixedByHand)
    state.compensations.push({
      step: failure.step,
      activity: failure.activity,
      outcome: 'FAILED',
      error: undoError(failure),
    });
  for (const entry of state.steps) if (entry.state === 'PENDING') entry.state = 'SKIPPED';
  const held = undos.filter((u) => u.outcome === 'UNDONE').map((u) => u.step);
  const step =
    found.currentStep ??
    (found.status === 'HELD' ? HOLD_BEFORE_STEP : undefined) ??
    found.failure?.step ??
    held.at(0) ??
    STEP_NAMES[0]!;
  const byHand = resolution
    ? `; ${failuresInWords(resolution.failed)}: resolved by hand by ${resolution.by ?? 'an operator'}: ${resolution.note}`
    : '';
  state.failure = {
    step,
    type: cause,
    message: `${CAUSE_IN_WORDS[cause]} while the booking was ${found.status}; the reconciler gave back what it held (${undosInWords(undos)})${byHand}${earlierFailure(found)}`,
  };
  if (resolution)
    state.resolution = { note: resolution.note, at: resolution.at, ...(resolution.by ? { by: resolution.by } : {}) };
  state.status = 'TERMINATED';
  state.currentStep = null;
  delete state.operatorWait;
  return Object.assign(state, nextVersion(before, now));
}

/**
 * The booking while a giveBackBooking workflow gives it back: COMPENSATING while the failed undos
 * retry, COMPENSATION_FAILED while it waits for an operator, with what was given back so far, what
 * failed, and which workflow to act on.
 */
export function givingBackState(before: BookingState, record: GiveBackRecord, now: Date): BookingState {
  const { booking, workflowId, since, undos, failed, operatorWait, retriedBy } = record;
  const found = foundAs(before);
  const waits = operatorWait !== undefined;
  const state: BookingState = structuredClone(before);
  applyUndos(state, undos);
  applyFailedUndos(state, failed, { forGood: waits });
  const gaveBack = undos.length ? ` (it gave back: ${undosInWords(undos)})` : '';
  const next = waits
    ? 'waits for an operator to retry or resolve it'
    : "retries with each undo's own patience, then waits for an operator";
  state.status = waits ? 'COMPENSATION_FAILED' : 'COMPENSATING';
  state.currentStep = null;
  state.givingBack = { workflowId, since, found };
  state.failure = {
    step: failed[0]?.step ?? found.currentStep ?? STEP_NAMES[0]!,
    type: booking.cause,
    message: `${CAUSE_IN_WORDS[booking.cause]} while the booking was ${found.status}; the reconciler could not give back ${failuresInWords(failed)}${gaveBack}; ${workflowId} ${next}${earlierFailure(found)}`,
  };
  if (operatorWait) state.operatorWait = operatorWait;
  else delete state.operatorWait;
  if (retriedBy) state.retriedBy = retriedBy;
  return Object.assign(state, nextVersion(before, now));
}
