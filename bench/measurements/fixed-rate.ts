// At a fixed rate (half the saga throughput): POST /bookings with autocannon, a bare
// client.workflow.start in an open loop, then GET /bookings/:id of a running booking (read live).
// Each phase measures its own load, not the one before's backlog.
import { setTimeout as delay } from 'node:timers/promises';
import autocannon from 'autocannon';
import { fixedRate } from '../load.ts';
import type { FixedRateResult, LatencyWithErrors } from '../result.ts';
import type { Stack } from '../stack.ts';
import { waitFor } from '../wait.ts';
import type { Workload } from '../workload.ts';

export async function measureFixedRate(
  stack: Stack,
  workload: Workload,
  rate: number,
  seconds: number,
  log: (line: string) => void,
): Promise<FixedRateResult> {
  const { apiUrl, authorization } = stack;
  log(`fixed rate: ${seconds} s each of POST /bookings, bare starts and GET /bookings/:id at ${rate}/s`);
  const openBookingId = await startOpenBooking(stack, workload);
  const post = await autocannon({
    url: `${apiUrl}/bookings`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: workload.bodyFor('bench-api'),
    connections: 10,
    overallRate: rate,
    duration: seconds,
  });
  await workload.waitForEnded('bench-api', post['2xx'], 'the sagas the POSTs started to end');
  const bareStart = await fixedRate(rate, seconds, () => workload.startBare());
  await delay(2_000);
  const get = await autocannon({
    url: `${apiUrl}/bookings/${openBookingId}`,
    headers: { authorization },
    connections: 10,
    overallRate: rate,
    duration: seconds,
  });
  return { ratePerSecond: rate, seconds, post: latencyOfRun(post), bareStart, get: latencyOfRun(get) };
}

/** A booking that waits for an operator (its workflow runs, so a GET reads it live); its id. */
async function startOpenBooking({ apiUrl, authorization }: Stack, workload: Workload): Promise<string> {
  const open = workload.waiting(0, 'bench-get');
  await workload.startSaga(open);
  await waitFor(
    async () =>
      (
        (await (await fetch(`${apiUrl}/bookings/${open.bookingId}`, { headers: { authorization } })).json()) as {
          status: string;
        }
      ).status === 'COMPENSATION_FAILED',
    60_000,
    'an open booking',
  );
  return open.bookingId;
}

function latencyOfRun(result: autocannon.Result): LatencyWithErrors {
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    count: result['2xx'],
    errors: result.errors + result.non2xx,
  };
}
