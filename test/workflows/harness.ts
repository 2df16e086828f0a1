// One test file's Temporal and PostgreSQL: a time-skipping environment (or a dev server), one
// workflow bundle, one set of databases; a fresh task queue and booking per run.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { workflowIdFor, type BookTripInput, type BookingState } from '../../src/booking/booking.ts';
import { getBookingStateQuery } from '../../src/booking/messages.ts';
import { WORKFLOWS_PATH, createTripWorkers } from '../../src/temporal/worker-factory.ts';
import { bookingInput, type BookingOverrides } from '../helpers/booking.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { compensationOrder, createDevServerEnv, createTimeSkippingEnv, quietLogger } from '../helpers/temporal.ts';
import type { bookTrip } from '../../src/workflows/book-trip.ts';

export interface Harness {
  env: TestWorkflowEnvironment;
  /** A real dev server (createHarness's `devServer`): its workers must be versioned, as bookTrip is PINNED. */
  devServer: boolean;
  bundle: WorkflowBundleWithSourceMap;
  tdb: TestDatabase;
  close(): Promise<void>;
}

/**
 * The file's environment: the time-skipping test server, or with `devServer` a real dev server
 * (what the test server does not do as a real one does: a long poll of a workflow's history).
 */
export async function createHarness(label: string, { devServer = false } = {}): Promise<Harness> {
  const [env, bundle, tdb] = await Promise.all([
    devServer ? createDevServerEnv() : createTimeSkippingEnv(),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger }),
    createTestDatabase(label),
  ]);
  return {
    env,
    devServer,
    bundle,
    tdb,
    async close() {
      await env.teardown();
      await tdb.close();
    },
  };
}

export interface BookingRun {
  input: BookTripInput;
  handle: WorkflowHandle<typeof bookTrip>;
  /** The workflow's result, when it completed. */
  result?: BookingState;
  /** The workflow's failure, when it failed. */
  error?: unknown;
  /** getBookingState after the workflow closed. */
  state: BookingState;
  /** Compensation activities in the order they were scheduled, from the history. */
  compensations: string[];
}

export interface RunOptions extends BookingOverrides {
  /** Runs while the workflow runs, before its result is awaited. */
  during?: (handle: WorkflowHandle<typeof bookTrip>) => Promise<void>;
  now?: () => Date;
}

export interface StartedBooking {
  input: BookTripInput;
  handle: WorkflowHandle<typeof bookTrip>;
}

/**
 * Starts one booking on a fresh task queue with a worker running the real activities, and runs
 * `body` while that worker runs.
 */
export async function withBooking<T>(
  h: Harness,
  options: BookingOverrides & { now?: () => Date },
  body: (booking: StartedBooking) => Promise<T>,
): Promise<T> {
  const taskQueue = `test-${randomUUID()}`;
  const input = await bookingInput(h.tdb.dbs, options);
  const worker = await createTripWorkers({
    connection: h.env.nativeConnection,
    taskQueue,
    workflowBundle: h.bundle,
    dbs: h.tdb.dbs,
    faultInjection: true,
    ...(options.now ? { now: options.now } : {}),
    worker: { shutdownGraceTime: '1s' },
  });
  return worker.runUntil(async () => {
    const handle = await h.env.client.workflow.start<typeof bookTrip>('bookTrip', {
      taskQueue,
      workflowId: workflowIdFor(input.bookingId),
      args: [input],
    });
    return body({ input, handle });
  });
}

/** Runs one booking to its end on a fresh task queue with the real activities. */
export async function runBooking(h: Harness, options: RunOptions = {}): Promise<BookingRun> {
  return withBooking(h, options, async ({ input, handle }) => {
    await options.during?.(handle);
    let result: BookingState | undefined;
    let error: unknown;
    try {
      result = await handle.result();
    } catch (e) {
      error = e;
    }
    const state = await handle.query(getBookingStateQuery);
    const compensations = compensationOrder(await handle.fetchHistory());
    return { input, handle, result, error, state, compensations };
  });
}

/** The failure chain's types, outermost first: BookingFailed → (ActivityFailure) → CardExpired. */
export function failureTypes(error: unknown): string[] {
  const types: string[] = [];
  let current = (error as { cause?: unknown } | undefined)?.cause; // WorkflowFailedError → its cause
  while (current) {
    const c = current as { type?: string; name?: string; cause?: unknown };
    types.push(c.type ?? c.name ?? 'unknown');
    current = c.cause;
  }
  return types;
}

/** An Update the workflow refused: the refusal's failure types (e.g. ['NoFailedCompensation']); fails unless refused. */
export async function refusalOf(update: Promise<unknown>): Promise<string[]> {
  const error = await update.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WorkflowUpdateFailedError))
    throw new Error(`expected the Update to be refused, got ${String(error)}`);
  return failureTypes(error);
}
