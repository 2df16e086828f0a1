// Tracing, metrics and structured logs. Tracing is OpenTelemetry through the Temporal interceptors:
// one trace runs from the API's HTTP request (a server span per request) through the client's
// StartWorkflow span, the workflow's spans (exported from the sandbox through a sink) to the
// activities' spans. It is on only when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise no
// interceptors, and histories exactly as without tracing. A prebuilt workflow bundle always carries
// the workflow side (src/temporal/workflow-tracing.ts), which traces only a workflow whose start carried a
// trace context: one bundle serves a worker with tracing on or off.
import { fileURLToPath } from 'node:url';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { ClientInterceptors } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import { DefaultLogger, type LogEntry, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';

/**
 * The workflow interceptor modules of tracing: src/temporal/workflow-tracing.ts, which runs the
 * OpenTelemetry workflow interceptors for a workflow whose start carried a trace context and does
 * nothing otherwise. A worker given `workflowsPath` bundles them itself when tracing is on; a
 * prebuilt bundle always has them (WORKFLOW_BUNDLE_OPTIONS in src/temporal/worker-factory.ts).
 */
export const TRACING_WORKFLOW_MODULES: string[] = [fileURLToPath(new URL('./workflow-tracing.ts', import.meta.url))];

export interface Tracing {
  tracer: Tracer;
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Flushes the pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  /** Where finished spans go: an OTLP exporter in production, an InMemorySpanExporter in tests. */
  spanProcessor: SpanProcessor;
}

/**
 * Starts tracing and registers it globally: the tracer provider, the AsyncLocalStorage context
 * manager and the W3C propagator, which the Temporal interceptors use to carry the trace in
 * workflow and activity headers. Once per process.
 */
export function startTracing(options: TracingOptions): Tracing {
  const resource = new Resource({ [ATTR_SERVICE_NAME]: options.serviceName });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [options.spanProcessor] });
  provider.register();
  return {
    tracer: provider.getTracer('temporal-trip-saga'),
    resource,
    spanProcessor: options.spanProcessor,
    shutdown: () => provider.shutdown(),
  };
}

/** An OTLP/HTTP exporter to `<endpoint>/v1/traces` (the OTEL_EXPORTER_OTLP_ENDPOINT convention). */
export function otlpExporter(endpoint: string): SpanExporter {
  return new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
}

/** Tracing to OTEL_EXPORTER_OTLP_ENDPOINT, or undefined (off) when it is unset. */
export function tracingFromConfig(
  config: { otlpEndpoint?: string | undefined; otelServiceName?: string | undefined },
  serviceName: string,
): Tracing | undefined {
  if (!config.otlpEndpoint) return undefined;
  return startTracing({
    serviceName: config.otelServiceName ?? serviceName,
    spanProcessor: new BatchSpanProcessor(otlpExporter(config.otlpEndpoint)),
  });
}

/** The client's interceptors: a span per StartWorkflow/update/query, the trace in the headers. */
export function clientInterceptorsFor(tracing: Tracing | undefined): ClientInterceptors | undefined {
  return tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] } : undefined;
}

/** The workflow span sink of a worker with tracing off: a traced workflow's spans go nowhere. */
const DROPPED_WORKFLOW_SPANS: NonNullable<WorkerOptions['sinks']> = { exporter: { export: { fn: () => undefined } } };

/**
 * The worker's options of tracing: activity interceptors, the workflow interceptor modules (unless
 * the worker gets a prebuilt bundle, which has them) and the sink that exports the workflow's
 * spans. Off: nothing, except with a prebuilt bundle a sink that drops the spans of a workflow a
 * traced client started (its tracing interceptors run, whatever this worker's config).
 */
export function workerTracingOptions(
  tracing: Tracing | undefined,
  prebuiltBundle: boolean,
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!tracing) return prebuiltBundle ? { sinks: DROPPED_WORKFLOW_SPANS } : {};
  return {
    interceptors: {
      ...(prebuiltBundle ? {} : { workflowModules: TRACING_WORKFLOW_MODULES }),
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

const requestContexts = new WeakMap<Request, Context>();

/**
 * Express middleware: a SERVER span per request, child of a `traceparent` the caller sent.
 * `start` goes first; `resume` goes after the body parser, whose callback runs outside the
 * request's async context, so that the route handlers (and the client spans) see the span.
 */
export function httpTracing(tracer: Tracer): { start: RequestHandler; resume: RequestHandler } {
  const start = (req: Request, res: Response, next: NextFunction) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } },
      parent,
    );
    res.locals.traceId = span.spanContext().traceId;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = (req.route as { path?: unknown } | undefined)?.path;
      if (typeof route === 'string') {
        span.updateName(`${req.method} ${req.baseUrl}${route}`);
        span.setAttribute('http.route', `${req.baseUrl}${route}`);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    const ctx = trace.setSpan(parent, span);
    requestContexts.set(req, ctx);
    context.with(ctx, next);
  };
  const resume = (req: Request, _res: Response, next: NextFunction) => {
    const ctx = requestContexts.get(req);
    if (ctx) context.with(ctx, next);
    else next();
  };
  return { start, resume };
}

/** The booking of a workflow ID `booking-<bookingId>`, or undefined. */
export function bookingIdOf(workflowId: unknown): string | undefined {
  return typeof workflowId === 'string' && workflowId.startsWith('booking-')
    ? workflowId.slice('booking-'.length)
    : undefined;
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The Temporal Runtime's level for a pino level (LOG_LEVEL). */
export function temporalLogLevel(level: string): LogLevel {
  switch (level) {
    case 'trace':
      return 'TRACE';
    case 'debug':
      return 'DEBUG';
    case 'info':
      return 'INFO';
    case 'warn':
      return 'WARN';
    default:
      return 'ERROR'; // error, fatal, silent
  }
}

/**
 * The worker's Runtime logger: every SDK, workflow and activity line as one JSON line via pino.
 * The SDK tags workflow and activity lines with workflowId (and activityId, taskQueue, …); a
 * booking's lines get its bookingId too.
 */
export function workerLogger(logger: Logger): DefaultLogger {
  const level = temporalLogLevel(logger.level);
  return new DefaultLogger(level, (entry: LogEntry) => {
    const meta: Record<string, unknown> = { ...entry.meta };
    const bookingId = bookingIdOf(meta.workflowId);
    if (bookingId && meta.bookingId === undefined) meta.bookingId = bookingId;
    if (meta.error instanceof Error) {
      meta.err = meta.error;
      delete meta.error;
    }
    meta.sdkTime = Number(entry.timestampNanos / 1_000_000n);
    logger[PINO_LEVEL[entry.level]](meta, entry.message);
  });
}
