// Tracing end to end: POST /bookings through createApp, a traced client and a traced worker on the
// time-skipping environment yield ONE trace: the HTTP server span, the StartWorkflow client span,
// the workflow's spans and the activities' spans. And with tracing off, nothing is added.
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../../src/api/http/app.ts';
import { callingAs, createTestIdentity, TEST_RATE_LIMITS } from '../helpers/identity.ts';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { loadConfig } from '../../src/config.ts';
import {
  TRACING_WORKFLOW_MODULES,
  clientInterceptorsFor,
  startTracing,
  workerTracingOptions,
  type Tracing,
} from '../../src/temporal/telemetry.ts';
import { WORKFLOWS_PATH, createTripWorkers, tripWorkerOptions } from '../../src/temporal/worker-factory.ts';
import { bookingBody, poll, postBooking, waitForBooking } from '../api/support.ts';
import { VAULT_KEY } from '../helpers/booking.ts';
import { capturingLogger } from '../helpers/log.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { createTimeSkippingEnv, quietLogger } from '../helpers/temporal.ts';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let tdb: TestDatabase;
let tracing: Tracing;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  [env, bundle, tdb] = await Promise.all([
    createTimeSkippingEnv(),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: TRACING_WORKFLOW_MODULES,
      logger: quietLogger,
    }),
    createTestDatabase('telemetry_tracing'),
  ]);
  tracing = startTracing({ serviceName: 'trip-test', spanProcessor: new SimpleSpanProcessor(exporter) });
});
afterAll(async () => {
  await tracing?.shutdown();
  await env?.teardown();
  await tdb?.close();
});

describe('tracing on', () => {
  test('POST /bookings → one trace: HTTP server span, StartWorkflow, RunWorkflow:bookTrip, RunActivity:* spans', async () => {
    const taskQueue = `otel-${randomUUID()}`;
    const config = {
      temporalUiUrl: 'http://localhost:8233',
      temporalNamespace: 'default',
      faultInjection: true,
      cardVaultKey: VAULT_KEY,
    };
    const client = new Client({ connection: env.connection, interceptors: clientInterceptorsFor(tracing) });
    const { logger, lines: logLines } = capturingLogger('info');
    const identity = await createTestIdentity();
    const app = callingAs(
      createApp({
        client,
        dbs: tdb.dbs,
        config,
        logger,
        taskQueue,
        tracer: tracing.tracer,
        verifier: identity.devIssuer.verifier,
        rateLimits: TEST_RATE_LIMITS,
      }),
      await identity.operator(),
    );
    const worker = await createTripWorkers({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      dbs: tdb.dbs,
      faultInjection: true,
      tracing,
      worker: { shutdownGraceTime: '1s' },
    });

    const view = await worker.runUntil(async () => {
      const res = await postBooking(app, bookingBody({ customerId: 'traced' }));
      const created = res.body as BookingView;
      return waitForBooking(app, created.bookingId);
    });
    expect(view.status).toBe('CONFIRMED');

    const spans = () => exporter.getFinishedSpans();
    const server = spans().find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /bookings');
    expect(
      server,
      spans()
        .map((s) => s.name)
        .join(', '),
    ).toBeDefined();
    const traceId = server!.spanContext().traceId;
    const inTrace = (): ReadableSpan[] => spans().filter((s) => s.spanContext().traceId === traceId);
    // The workflow's spans arrive through the sink after its tasks complete: wait for the last activity's.
    await poll(
      () => Promise.resolve(inTrace().map((s) => s.name)),
      (names) => names.includes('RunWorkflow:bookTrip') && names.includes('RunActivity:chargePayment'),
      { what: 'the workflow and activity spans', timeoutMs: 10_000 },
    );
    const names = new Set(inTrace().map((s) => s.name));
    for (const name of [
      'POST /bookings',
      'StartWorkflow:bookTrip',
      'RunWorkflow:bookTrip',
      'StartActivity:reserveFlight',
      'RunActivity:reserveFlight',
      'RunActivity:reserveHotel',
      'RunActivity:chargePayment',
    ]) {
      expect(names, `${name} in ${[...names].join(', ')}`).toContain(name);
    }

    // Parentage: the client span is a child of the server span; every span hangs off the server span.
    const byId = new Map(inTrace().map((s) => [s.spanContext().spanId, s]));
    const start = inTrace().find((s) => s.name === 'StartWorkflow:bookTrip')!;
    expect(start.parentSpanId).toBe(server!.spanContext().spanId);
    const rootOf = (s: ReadableSpan): ReadableSpan =>
      s.parentSpanId && byId.has(s.parentSpanId) ? rootOf(byId.get(s.parentSpanId)!) : s;
    for (const s of inTrace()) expect(rootOf(s).name, s.name).toBe('POST /bookings');
    expect(server!.attributes['http.response.status_code']).toBe(201);
    expect(server!.resource.attributes['service.name']).toBe('trip-test');

    // The API's lines of the request (pino-http's and the route's "booking started") carry the
    // booking, its workflow and the trace.
    const requestLines = logLines()
      .map(
        (l) =>
          JSON.parse(l) as {
            req?: { method: string; url: string };
            msg?: string;
            bookingId?: string;
            workflowId?: string;
            traceId?: string;
          },
      )
      .filter((l) => l.req?.method === 'POST' && l.req.url === '/bookings');
    expect(requestLines.map((l) => l.msg)).toEqual(expect.arrayContaining(['booking started', 'request completed']));
    for (const line of requestLines)
      expect(line).toMatchObject({ bookingId: view.bookingId, workflowId: `booking-${view.bookingId}`, traceId });
  });
});

describe('tracing off', () => {
  test('the worker factory adds no interceptors (a prebuilt bundle: only a dropping sink); the client gets none', () => {
    const base = { connection: env.nativeConnection, dbs: tdb.dbs, faultInjection: true };
    const off = tripWorkerOptions({ ...base, workflowBundle: bundle });
    expect(off).not.toHaveProperty('interceptors');
    // A prebuilt bundle carries the tracing interceptors: a traced client's workflow sends its spans
    // to a sink, which drops them (test/build/bundle.test.ts runs one).
    expect(Object.keys(off.sinks ?? {})).toEqual(['exporter']);
    expect(tripWorkerOptions(base)).not.toHaveProperty('interceptors');
    expect(tripWorkerOptions(base)).not.toHaveProperty('sinks');
    expect(workerTracingOptions(undefined, false)).toEqual({});
    expect(clientInterceptorsFor(undefined)).toBeUndefined();

    // On: activity interceptors and the sink; the workflow modules only when the worker bundles.
    const on = tripWorkerOptions({ ...base, tracing });
    expect(on.interceptors?.workflowModules).toEqual(TRACING_WORKFLOW_MODULES);
    expect(on.interceptors?.activity).toHaveLength(1);
    expect(on.sinks).toHaveProperty('exporter');
    expect(tripWorkerOptions({ ...base, workflowBundle: bundle, tracing }).interceptors).not.toHaveProperty(
      'workflowModules',
    );
  });

  test('OTEL_EXPORTER_OTLP_ENDPOINT unset → tracing off; a bad one fails fast', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).otlpEndpoint).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'test', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlpEndpoint).toBe(
      'http://collector:4318',
    );
    expect(() => loadConfig({ NODE_ENV: 'test', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});
