// The dev server's Prometheus metrics: how many requests its frontend has served, by operation.

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
