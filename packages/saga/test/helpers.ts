// What the package's tests need of Temporal's test tools: the time-skipping server, and readings
// of a workflow's history. Self-contained: the package's tests import nothing of the app.
import { execFileSync } from 'node:child_process';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

/** The time-skipping test server: TEMPORAL_TEST_SERVER_PATH, the one on PATH, or the SDK's download. */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_TEST_SERVER_PATH || onPath('temporal-test-server');
  return TestWorkflowEnvironment.createTimeSkipping(
    path ? { server: { executable: { type: 'existing-path', path } } } : {},
  );
}

/** Full path of an executable on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Activity types in the order the workflow scheduled them. */
export function scheduledActivities(history: History): string[] {
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => Boolean(name));
}

/** An activity as the workflow scheduled it: its type, its task queue and its summary in the Web UI. */
export interface ScheduledCall {
  activity: string;
  taskQueue: string;
  summary: string | undefined;
}

/** The activities in the order the workflow scheduled them, with their task queue and summary. */
export function scheduledCalls(history: History): ScheduledCall[] {
  return (history.events ?? []).flatMap((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (!scheduled) return [];
    const summary = e.userMetadata?.summary?.data;
    return [
      {
        activity: scheduled.activityType?.name ?? '?',
        taskQueue: scheduled.taskQueue?.name ?? '?',
        summary: summary ? (JSON.parse(Buffer.from(summary).toString('utf8')) as string) : undefined,
      },
    ];
  });
}

/**
 * The activities' lives in history order: `+name` when scheduled, `-name` when it completed or
 * failed (or was cancelled). Two activities ran together when both `+` come before either `-`.
 */
export function activityTimeline(history: History): string[] {
  const names = new Map<string, string>();
  const line: string[] = [];
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      names.set(String(e.eventId), scheduled.activityType?.name ?? '?');
      line.push(`+${scheduled.activityType?.name}`);
    }
    const ended =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (ended) line.push(`-${names.get(String(ended.scheduledEventId))}`);
  }
  return line;
}

/** Activity types in the order they completed (neither failed nor cancelled). */
export function completedActivities(history: History): string[] {
  const names = new Map<string, string>();
  const done: string[] = [];
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) done.push(names.get(String(completed.scheduledEventId)) ?? '?');
  }
  return done;
}

/** An event's type as the Web UI names it: EVENT_TYPE_NEXUS_OPERATION_SCHEDULED → NexusOperationScheduled. */
function eventName(type: temporal.api.enums.v1.EventType | null | undefined): string {
  const name = temporal.api.enums.v1.EventType[type ?? 0] ?? String(type);
  return name
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)(\w)/g, (_, _sep: string, c: string) => c.toUpperCase());
}

/**
 * The events of the activities and Nexus operations a workflow called, in history order, each as
 * `<event> <activity or operation>`: e.g. `NexusOperationScheduled reserveFlight`.
 */
export function callTimeline(history: History): string[] {
  const names = new Map<string, string>();
  return (history.events ?? []).flatMap((e) => {
    const name = eventName(e.eventType);
    const called =
      e.activityTaskScheduledEventAttributes?.activityType?.name ?? e.nexusOperationScheduledEventAttributes?.operation;
    if (called) names.set(String(e.eventId), called);
    if (!/^(ActivityTask|NexusOperation)/.test(name)) return [];
    // Every later event of a call (started, completed, failed, cancelled…) names its scheduled event.
    const scheduledBy = Object.values(e).find(
      (attributes): attributes is { scheduledEventId: unknown } =>
        typeof attributes === 'object' && attributes !== null && 'scheduledEventId' in attributes,
    );
    return [`${name} ${called ?? names.get(String(scheduledBy?.scheduledEventId)) ?? '?'}`];
  });
}

/** A failure's chain as the history records it: each link's kind (nexusHandlerFailureInfo…), and its type if any. */
export function failureChain(failure: temporal.api.failure.v1.IFailure | null | undefined): string[] {
  const chain: string[] = [];
  for (let f = failure; f; f = f.cause) {
    const info = Object.keys(f).find((key) => key.endsWith('FailureInfo') && f[key as keyof typeof f]);
    chain.push([info, f.applicationFailureInfo?.type].filter(Boolean).join(' '));
  }
  return chain;
}

/** The IDs of the patch markers (patched()) in a history. */
export function patchesIn(history: History): string[] {
  return (history.events ?? []).flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    return [(JSON.parse(Buffer.from(data ?? []).toString('utf8')) as { id: string }).id];
  });
}

/** Polls until `check` returns a value, or fails loudly after `timeoutMs`. */
export async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const noop = () => undefined;
/** For bundleWorkflowCode in tests: no webpack chatter. */
export const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
