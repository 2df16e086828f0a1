// The dev server's Prometheus metrics: how many requests its frontend has served, by operation,
// and the tasks the workers completed among them.
import type { TaskCounts } from './result.ts';

/**
 * The frontend operations an API (or its watcher) reads a booking with. The worker's own calls
 * (polls, task completions, heartbeats) are not among them; they are in each window's byOperation.
 */
export const READ_OPERATIONS = new Set([
  'QueryWorkflow',
  'DescribeWorkflowExecution',
  'GetWorkflowExecutionHistory',
  'GetWorkflowExecutionHistoryReverse',
  'PollWorkflowExecutionUpdate',
  'UpdateWorkflowExecution',
  'ListWorkflowExecutions',
  'CountWorkflowExecutions',
  'ScanWorkflowExecutions',
  'DescribeTaskQueue',
]);

/**
 * How long after some work the dev server's counters hold all of it: it reports its metrics about
 * once a second (a count read at once can miss the last second's requests).
 */
export const METRICS_SETTLE_MS = 2_000;

/** The dev server's frontend request counters (Prometheus `service_requests`), by operation. */
export async function frontendRequests(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^service_requests\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (labels.service_name !== 'frontend' || labels.namespace === 'temporal_system') continue;
    const op = labels.operation ?? '?';
    counts[op] = (counts[op] ?? 0) + Number(m[2]);
  }
  return counts;
}

/**
 * The frontend operations a worker ends a task with, by the kind of task: a task counts once,
 * whether it succeeded or failed (eager activities too: they end with the same call).
 */
const TASK_COMPLETIONS: Record<Exclude<keyof TaskCounts, 'total'>, readonly string[]> = {
  workflow: ['RespondWorkflowTaskCompleted', 'RespondWorkflowTaskFailed'],
  activity: [
    'RespondActivityTaskCompleted',
    'RespondActivityTaskFailed',
    'RespondActivityTaskCanceled',
    'RespondActivityTaskCompletedById',
    'RespondActivityTaskFailedById',
    'RespondActivityTaskCanceledById',
  ],
  nexus: ['RespondNexusTaskCompleted', 'RespondNexusTaskFailed'],
};

/** The tasks among `calls` (frontend requests by operation), each kind summed. */
export function tasksOf(calls: Record<string, number>): TaskCounts {
  const [workflow, activity, nexus] = (['workflow', 'activity', 'nexus'] as const).map((kind) =>
    TASK_COMPLETIONS[kind].reduce((sum, op) => sum + (calls[op] ?? 0), 0),
  ) as [number, number, number];
  return { workflow, activity, nexus, total: workflow + activity + nexus };
}

/** What the frontend served between two readings of frontendRequests, by operation (those that moved). */
export function requestsBetween(before: Record<string, number>, after: Record<string, number>) {
  return Object.fromEntries(
    Object.entries(after)
      .map(([op, n]) => [op, n - (before[op] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}
