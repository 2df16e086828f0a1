// The workflow side of tracing, as a workflow interceptor module that every workflow bundle carries
// (TRACING_WORKFLOW_MODULES in src/temporal/telemetry.ts), whatever the runtime config: one prebuilt bundle
// for a worker with tracing on or off. It runs the OpenTelemetry workflow interceptors only for a
// workflow whose start carried a trace context (the `_tracer-data` header, which a client with
// tracing on sends). Otherwise every call passes straight through: no spans, no headers on the
// activities, no SDK flags, so the history is exactly the one a bundle without tracing writes.
// The decision is the start's, which is in the history: a replay decides the same.
// Runs inside the workflow sandbox: imports only what may be bundled there.
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation.js';
import type {
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInterceptorsFactory,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The interceptor methods the OpenTelemetry classes implement (read from them: an SDK upgrade adds its own). */
const methodsOf = (proto: object) => Object.getOwnPropertyNames(proto).filter((name) => name !== 'constructor');
const INBOUND = methodsOf(OpenTelemetryInboundInterceptor.prototype);
const OUTBOUND = methodsOf(OpenTelemetryOutboundInterceptor.prototype);
const INTERNALS = methodsOf(OpenTelemetryInternalsInterceptor.prototype);

type Method = (input: unknown, next: (input: unknown) => unknown) => unknown;

/** An interceptor whose every method calls the real one when there is one, else `next`. */
function gated<T>(methods: string[], real: () => object | undefined): T {
  const interceptor: Record<string, Method> = {};
  for (const name of methods) {
    interceptor[name] = (input, next) => {
      const target = real() as Record<string, Method> | undefined;
      return target ? target[name]!.call(target, input, next) : next(input);
    };
  }
  return interceptor as T;
}

interface Traced {
  inbound: OpenTelemetryInboundInterceptor;
  outbound: OpenTelemetryOutboundInterceptor;
  internals: OpenTelemetryInternalsInterceptor;
}

/** Called once per workflow execution (and again after an eviction, for the replay). */
export const interceptors: WorkflowInterceptorsFactory = (): WorkflowInterceptors => {
  let traced: Traced | undefined;
  const inbound = gated<WorkflowInboundCallsInterceptor>(INBOUND, () => traced?.inbound);
  inbound.execute = (input, next) => {
    if (input.headers[TRACE_HEADER]) {
      traced = {
        inbound: new OpenTelemetryInboundInterceptor(),
        outbound: new OpenTelemetryOutboundInterceptor(),
        internals: new OpenTelemetryInternalsInterceptor(),
      };
      return traced.inbound.execute(input, next);
    }
    return next(input);
  };
  return {
    inbound: [inbound],
    outbound: [gated<WorkflowOutboundCallsInterceptor>(OUTBOUND, () => traced?.outbound)],
    internals: [gated<WorkflowInternalsInterceptor>(INTERNALS, () => traced?.internals)],
  };
};
