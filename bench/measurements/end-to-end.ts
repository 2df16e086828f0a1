// End to end, 5 at a time: POST /bookings → CONFIRMED, and the bare workflow's start → result,
// taking turns in rounds. A booking's end is its workflow's result.
import { ROUNDS, inRounds, pool } from '../load.ts';
import type { EndToEndResult } from '../result.ts';
import { latencyOf } from '../stats.ts';
import type { Workload } from '../workload.ts';

export async function measureEndToEnd(
  workload: Workload,
  bookings: number,
  log: (line: string) => void,
): Promise<EndToEndResult> {
  log(`end to end: ${bookings} bookings and ${bookings} bare workflows, 5 at a time, in ${ROUNDS} alternating rounds`);
  const saga: number[] = [];
  const bare: number[] = [];
  const body = workload.bodyFor('bench-e2e');
  await inRounds(bookings, async (share) => {
    await pool(share, 5, async () => {
      const started = performance.now();
      const status = await workload.resultOf(await workload.postBooking(body));
      if (status === 'CONFIRMED') saga.push(performance.now() - started);
    });
    await pool(share, 5, async () => {
      const started = performance.now();
      await (await workload.startBare()).result();
      bare.push(performance.now() - started);
    });
  });
  return { saga: latencyOf(saga), bare: latencyOf(bare) };
}
