// How a step's call is made. By default it is an activity, with the row's options and a summary
// for the Web UI; a saga may run some calls elsewhere (SagaOptions.execute: another task queue, a
// Nexus operation, a child workflow) and hand the rest to executeActivity.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';

/** One call of a step's activity or of its undo, as {@link SagaOptions.callArgs} sees it. */
export interface ActivityCall {
  /** The step's name in the ledger. */
  step: string;
  kind: 'step' | 'undo';
  /** The row's `activity` (a step) or `undo` (an undo). */
  activity: string;
  args: unknown;
}

/** One call as {@link SagaOptions.execute} runs it: `args` is what `callArgs` made of the row's argument. */
export interface StepCall extends ActivityCall {
  /** The row's `options` (a step) or `undoOptions` (an undo). */
  options: ActivityOptions;
  /** The call's summary in the Web UI. */
  summary: string;
}

type ActivityFn = (...args: unknown[]) => Promise<unknown>;

/** The default executor: the call as an activity, with its options and its summary. */
export function executeActivity(call: StepCall): Promise<unknown> {
  const activity = proxyActivities<Record<string, ActivityFn>>(call.options)[call.activity]!;
  return activity.executeWithOptions({ summary: call.summary }, [call.args]);
}
