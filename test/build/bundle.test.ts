// One prebuilt workflow bundle (WORKFLOW_BUNDLE_OPTIONS, what `npm run build:workflows` and the
// image build) for every runtime config: with tracing and encryption off, its histories are those
// of a bundle of the workflows alone (no headers, no SDK flags, failures in clear); with tracing on,
// the same bundle yields the workflow's spans; with encryption on, its failures are encrypted.
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client, WorkflowFailedError } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DECRYPTED_METADATA, ENCRYPTED_ENCODING, dataConverterFor } from '../../src/temporal/codec.ts';
import { workflowIdFor } from '../../src/booking/booking.ts';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import { clientInterceptorsFor, startTracing, type Tracing } from '../../src/temporal/telemetry.ts';
import {
  WORKFLOWS_PATH,
  WORKFLOW_BUNDLE_OPTIONS,
  createTripWorkers,
  tripWorkerOptions,
} from '../../src/temporal/worker-factory.ts';
import type { bookTrip } from '../../src/workflows/book-trip.ts';
import { CARDS, bookingInput } from '../helpers/booking.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { createTimeSkippingEnv, quietLogger } from '../helpers/temporal.ts';

type History = temporal.api.history.v1.IHistory;

let env: TestWorkflowEnvironment;
let tdb: TestDatabase;
let prebuilt: WorkflowBundleWithSourceMap;
let workflowsOnly: WorkflowBundleWithSourceMap;
let tracing: Tracing;
const spans = new InMemorySpanExporter();

beforeAll(async () => {
  [env, tdb, prebuilt, workflowsOnly] = await Promise.all([
    createTimeSkippingEnv(),
    createTestDatabase('build_bundle'),
    bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: quietLogger }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger }),
  ]);
  tracing = startTracing({ serviceName: 'bundle-test', spanProcessor: new SimpleSpanProcessor(spans) });
});
afterAll(async () => {
  await tracing?.shutdown();
  await env?.teardown();
  await tdb?.close();
});

interface Run {
  bundle: WorkflowBundleWithSourceMap;
  card?: keyof typeof CARDS;
  /** The worker's tracing (its config); the client's is `tracedClient`. */
  workerTracing?: Tracing;
  tracedClient?: boolean;
  dataConverter?: DataConverter;
}

/** One booking on a worker of its own; its raw history (as stored, read without a codec) and outcome. */
async function book(
  run: Run,
): Promise<{ history: History; workflowId: string; outcome: string; failureMessage?: string }> {
  const taskQueue = `bundle-${randomUUID()}`;
  const client = new Client({
    connection: env.connection,
    ...(run.dataConverter ? { dataConverter: run.dataConverter } : {}),
    ...(run.tracedClient ? { interceptors: clientInterceptorsFor(tracing) } : {}),
  });
  const worker = await createTripWorkers({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: run.bundle,
    dbs: tdb.dbs,
    faultInjection: true,
    ...(run.dataConverter ? { dataConverter: run.dataConverter } : {}),
    ...(run.workerTracing ? { tracing: run.workerTracing } : {}),
    worker: { shutdownGraceTime: '1s' },
  });
  const input = await bookingInput(tdb.dbs, { card: CARDS[run.card ?? 'good'] });
  const workflowId = workflowIdFor(input.bookingId);
  const { outcome, failureMessage } = await worker.runUntil(
    async (): Promise<{ outcome: string; failureMessage?: string | undefined }> => {
      const handle = await client.workflow.start<typeof bookTrip>('bookTrip', { taskQueue, workflowId, args: [input] });
      try {
        return { outcome: (await handle.result()).status };
      } catch (error) {
        if (!(error instanceof WorkflowFailedError)) throw error;
        return { outcome: 'workflow failed', failureMessage: error.cause?.message };
      }
    },
  );
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return { history, workflowId, outcome, ...(failureMessage ? { failureMessage } : {}) };
}

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/**
 * What a bundle decides in a history, without the IDs and times: each event's type, the headers of
 * every scheduled activity, the SDK flags of every workflow task, the workflow failure's message
 * and whether its attributes are encoded.
 */
/**
 * What the workflow decided: its commands in order (the events they wrote), each activity's
 * headers, the SDK flags its tasks used, and its failure. Not the events that answer a command: a
 * read-model write runs beside the saga's next activity, and which of the two completes first is
 * the machine's timing, not the bundle's.
 */
function shape(history: History) {
  const events = history.events ?? [];
  const commands = events
    .filter((e) =>
      [
        e.activityTaskScheduledEventAttributes,
        e.timerStartedEventAttributes,
        e.markerRecordedEventAttributes,
        e.upsertWorkflowSearchAttributesEventAttributes,
        e.workflowExecutionCompletedEventAttributes,
        e.workflowExecutionFailedEventAttributes,
      ].some(Boolean),
    )
    .map((e) => ({
      type: e.eventType,
      activity: e.activityTaskScheduledEventAttributes?.activityType?.name,
      headers: Object.keys(e.activityTaskScheduledEventAttributes?.header?.fields ?? {}),
      failure: e.workflowExecutionFailedEventAttributes
        ? {
            message: e.workflowExecutionFailedEventAttributes.failure?.message,
            encoded: Boolean(e.workflowExecutionFailedEventAttributes.failure?.encodedAttributes),
          }
        : undefined,
    }));
  const sdkFlags = [
    ...new Set(events.flatMap((e) => e.workflowTaskCompletedEventAttributes?.sdkMetadata?.langUsedFlags ?? [])),
  ].sort();
  return { commands, sdkFlags };
}

const headersOf = (history: History) =>
  (history.events ?? []).flatMap((e) => Object.keys(e.activityTaskScheduledEventAttributes?.header?.fields ?? {}));
const failureOf = (history: History) =>
  history.events?.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes
    ?.failure;

describe('tracing and encryption off', () => {
  test.each(['good', 'declined'] as const)(
    'a booking (%s card) writes the same history as with a bundle of the workflows alone',
    async (card) => {
      const [withEverything, alone] = await Promise.all([
        book({ bundle: prebuilt, card }),
        book({ bundle: workflowsOnly, card }),
      ]);
      expect(withEverything.outcome).toBe(card === 'good' ? 'CONFIRMED' : 'workflow failed');
      expect(shape(withEverything.history)).toEqual(shape(alone.history));
      expect(headersOf(withEverything.history)).toEqual([]);
      if (card === 'declined') {
        // The failure is in clear, as the SDK's default converter writes it.
        const failure = failureOf(withEverything.history)!;
        expect(failure.encodedAttributes).toBeFalsy();
        expect(failure.message).toMatch(/declined/i);
        expect(failure.message).toBe(withEverything.failureMessage);
      }
    },
  );
});

describe('tracing on at run time, same bundle', () => {
  test("a traced client's booking on a traced worker: the workflow's spans, the trace in the activities' headers", async () => {
    const run = await book({ bundle: prebuilt, workerTracing: tracing, tracedClient: true });
    expect(run.outcome).toBe('CONFIRMED');
    expect(headersOf(run.history)).toContain(TRACE_HEADER);
    const names = () => spans.getFinishedSpans().map((s) => s.name);
    for (let i = 0; i < 200 && !names().includes('RunWorkflow:bookTrip'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(names()).toEqual(
      expect.arrayContaining([
        'StartWorkflow:bookTrip',
        'RunWorkflow:bookTrip',
        'StartActivity:reserveFlight',
        'RunActivity:reserveFlight',
      ]),
    );
  });

  test('an untraced start stays untraced in the workflow: no headers, no SDK flags beyond those of the workflows alone', async () => {
    const [traced, alone] = await Promise.all([
      book({ bundle: prebuilt, workerTracing: tracing }),
      book({ bundle: workflowsOnly }),
    ]);
    expect(traced.outcome).toBe('CONFIRMED');
    expect(headersOf(traced.history)).toEqual([]);
    expect(shape(traced.history)).toEqual(shape(alone.history));
  });

  test("a traced client's booking on a worker with tracing off runs; the workflow's spans go to a sink that drops them", async () => {
    const base = { connection: env.nativeConnection, dbs: tdb.dbs, faultInjection: true };
    expect(tripWorkerOptions({ ...base, workflowBundle: prebuilt }).sinks).toHaveProperty('exporter');
    expect(tripWorkerOptions(base)).not.toHaveProperty('sinks');
    const run = await book({ bundle: prebuilt, tracedClient: true });
    expect(run.outcome).toBe('CONFIRMED');
  });
});

describe('encryption on at run time, same bundle', () => {
  test("the workflow's failure is stored as encrypted encoded attributes; the client reads the message", async () => {
    const dataConverter = dataConverterFor({
      payloadEncryptionKeys: [{ id: 'k1', key: createSecretKey(randomBytes(32)) }],
    });
    const run = await book({ bundle: prebuilt, card: 'declined', dataConverter });
    expect(run.outcome).toBe('workflow failed');
    expect(run.failureMessage).toMatch(/declined/i);
    const failure = failureOf(run.history)!;
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(text(failure.encodedAttributes?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    // The codec's mark on what it decrypted never reaches the server in clear.
    expect(JSON.stringify(run.history)).not.toContain(DECRYPTED_METADATA);
  });
});
