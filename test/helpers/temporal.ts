import { TestWorkflowEnvironment, type TimeSkippingTestWorkflowEnvironmentOptions } from '@temporalio/testing';
import { BOOKING_STATUS_SEARCH_ATTRIBUTE } from '../../src/booking/messages.ts';
import { startDevServer } from '../../src/dev/stack.ts';
import { registerSearchAttributes } from '../../src/temporal/search-attributes.ts';
import { temporalCli, temporalTestServer } from '../../src/temporal/executables.ts';
import { TRIP_STEPS } from '../../src/booking/steps.ts';
import type { temporal } from '@temporalio/proto';

/**
 * The time-skipping test server (TEMPORAL_TEST_SERVER_PATH, PATH, or the SDK's download), with
 * the BookingStatus search attribute registered, as `npm run dev` registers it on the dev server.
 */
export async function createTimeSkippingEnv(
  options: TimeSkippingTestWorkflowEnvironmentOptions = {},
): Promise<TestWorkflowEnvironment> {
  const executable = temporalTestServer();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    ...options,
    ...(executable ? { server: { executable } } : {}),
  });
  await registerSearchAttributes(env.connection);
  return env;
}

/**
 * A real `temporal server start-dev` (the CLI on PATH or TEMPORAL_CLI_PATH, else the SDK's
 * download), in memory, with BookingStatus registered: for what the time-skipping test server does
 * not do as a real server does (a long poll of a workflow's history).
 */
export async function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  const executable = temporalCli();
  return startDevServer({
    server: {
      ...(executable ? { executable } : {}),
      ip: '127.0.0.1',
      searchAttributes: [BOOKING_STATUS_SEARCH_ATTRIBUTE],
      log: { format: 'pretty', level: 'error' },
    },
  });
}

/** Activity types in the order the workflow scheduled them. */
export function scheduledActivities(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => Boolean(name));
}

/** Each scheduled activity with the task queue it was scheduled on, in the order of the history. */
export function activityTaskQueues(
  history: temporal.api.history.v1.IHistory,
): { activity: string; taskQueue: string }[] {
  return (history.events ?? []).flatMap((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    return scheduled ? [{ activity: scheduled.activityType!.name!, taskQueue: scheduled.taskQueue!.name! }] : [];
  });
}

/** A marker's detail, as the SDK writes it: one JSON payload (never through a codec). */
function markerDetail<T>(marker: temporal.api.history.v1.IMarkerRecordedEventAttributes, key: string): T {
  const data = marker.details?.[key]?.payloads?.[0]?.data;
  return JSON.parse(Buffer.from(data ?? []).toString('utf8')) as T;
}

/**
 * Every activity in the order the workflow ran it, a local activity (recorded as a marker, not as
 * a scheduled task) marked "(local)": e.g. `syncBooking (local)`.
 */
export function activitySequence(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) return [scheduled];
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return [];
    return [`${markerDetail<{ activity_type: string }>(marker, 'data').activity_type} (local)`];
  });
}

/** The IDs of the patch markers (patched()) in a history. */
export function patchesIn(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    return [markerDetail<{ id: string }>(marker, 'patch-data').id];
  });
}

const noop = () => undefined;
/** For bundleWorkflowCode in tests: no webpack chatter. */
export const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

/** Every step's undo, from the step table. */
export const UNDO_ACTIVITIES = new Set<string>(TRIP_STEPS.map((s) => s.undo));

/** The compensations, in the order the workflow scheduled them. */
export function compensationOrder(history: temporal.api.history.v1.IHistory): string[] {
  return scheduledActivities(history).filter((name) => UNDO_ACTIVITIES.has(name));
}

/** The summaries the workflow gave its timers and activities (the Web UI shows them), in order: "timer: Hold until …". */
export function eventSummaries(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((e) => {
    const data = e.userMetadata?.summary?.data;
    if (!data) return [];
    const kind = e.timerStartedEventAttributes
      ? 'timer'
      : e.activityTaskScheduledEventAttributes
        ? 'activity'
        : 'other';
    return [`${kind}: ${JSON.parse(Buffer.from(data).toString('utf8')) as string}`];
  });
}
