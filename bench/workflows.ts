// The bare workflow the saga is compared with: three no-op activities, the same shape as bookTrip
// without its work. Its throughput is the limit of this stack.
import { proxyActivities } from '@temporalio/workflow';
import type { createBareActivities } from './bare-activities.ts';

const { noop1, noop2, noop3 } = proxyActivities<ReturnType<typeof createBareActivities>>({ startToCloseTimeout: '5s' });

export async function bareWorkflow(): Promise<void> {
  await noop1();
  await noop2();
  await noop3();
}
