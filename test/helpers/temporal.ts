import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalTestServer } from '../../src/temporal.ts';
import type { temporal } from '@temporalio/proto';

/** The time-skipping test server: TEMPORAL_TEST_SERVER_PATH, PATH, or the SDK's download. */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const executable = temporalTestServer();
  return TestWorkflowEnvironment.createTimeSkipping(executable ? { server: { executable } } : {});
}

/** Activity types in the order the workflow scheduled them. */
export function scheduledActivities(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => Boolean(name));
}

const noop = () => undefined;
/** For bundleWorkflowCode in tests: no webpack chatter. */
export const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

export const UNDO_ACTIVITIES = new Set(['cancelFlight', 'cancelHotel', 'refundPayment']);

/** The compensations, in the order the workflow scheduled them. */
export function compensationOrder(history: temporal.api.history.v1.IHistory): string[] {
  return scheduledActivities(history).filter((name) => UNDO_ACTIVITIES.has(name));
}
