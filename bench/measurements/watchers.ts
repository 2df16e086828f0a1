// Watchers: SSE clients on GET /bookings/:id/events, and the Temporal calls (the dev server's
// metrics) and CPU the watch path spends meanwhile. One booking that keeps changing, watched by
// 1, 10 and --watchers clients; then --watchers bookings that do not change, one client each.
import { setTimeout as delay } from 'node:timers/promises';
import { cpuSnapshot } from '../process-stats.ts';
import type { WatchResult, WatchWindow } from '../result.ts';
import type { Stack } from '../stack.ts';
import { round } from '../stats.ts';
import { READ_OPERATIONS, frontendRequests, requestsBetween } from '../temporal-metrics.ts';
import type { Workload } from '../workload.ts';

/**
 * A booking that keeps changing: its payment fails and is retried (1 s, 2 s, 4 s, … apart), so its
 * view changes at each attempt. A fresh booking for each count, watched over the same span of its
 * life (from 4 s after its POST), so each window sees the same attempts; terminated afterwards.
 */
export async function measureChangingWatchers(
  stack: Stack,
  workload: Workload,
  { watcherSteps, seconds }: { watcherSteps: number[]; seconds: number },
  log: (line: string) => void,
): Promise<Omit<WatchResult, 'idle'>> {
  const changing: WatchWindow[] = [];
  let changingBooking = '';
  for (const watchers of watcherSteps) {
    log(`watchers: ${watchers} client(s) on one booking whose payment retries, for ${seconds} s`);
    const posted = performance.now();
    const id = await workload.postBooking(
      workload.bodyFor('bench-watch', { faults: { chargePayment: 'transient:40' } }),
    );
    changingBooking = id;
    changing.push(await watchWindow(stack, { watchers, bookingIds: [id], seconds, from: posted + 4_000 }));
    await workload.terminateSaga(id, 'bench: done watching');
  }
  return { changing, changingBooking };
}

/** Idle: the last `count` of `openBookingIds` (bookings waiting for an operator), one client each. */
export async function measureIdleWatchers(
  stack: Stack,
  openBookingIds: string[],
  { count, seconds }: { count: number; seconds: number },
  log: (line: string) => void,
): Promise<WatchWindow> {
  const idleIds = openBookingIds.slice(-Math.min(count, openBookingIds.length));
  log(`idle: ${idleIds.length} watched bookings waiting for an operator, for ${seconds} s`);
  return watchWindow(stack, { watchers: 1, bookingIds: idleIds, seconds });
}

/**
 * `watchers` clients on each of `bookingIds`, counted for `seconds` from `from` (a changing
 * booking's fixed age; else 1 s after the clients connected, past their first reads).
 */
async function watchWindow(
  { apiUrl, authorization, metricsUrl, pids }: Stack,
  {
    watchers,
    bookingIds,
    seconds: windowSeconds,
    from,
  }: { watchers: number; bookingIds: string[]; seconds: number; from?: number },
): Promise<WatchWindow> {
  const clients = await openWatchers(
    apiUrl,
    authorization,
    bookingIds.flatMap((id) => Array.from({ length: watchers }, () => id)),
  );
  await delay(from === undefined ? 1_000 : Math.max(0, from - performance.now()));
  const [callsBefore, cpuBefore, eventsBefore] = [
    await frontendRequests(metricsUrl),
    await cpuSnapshot(pids()),
    clients.events(),
  ];
  const started = performance.now();
  await delay(windowSeconds * 1000);
  const [callsAfter, cpuAfter, eventsAfter] = [
    await frontendRequests(metricsUrl),
    await cpuSnapshot(pids()),
    clients.events(),
  ];
  const seconds = (performance.now() - started) / 1000;
  await clients.close();
  const counts = Object.entries(requestsBetween(callsBefore, callsAfter));
  const byOperation = Object.fromEntries(counts.map(([op, n]) => [op, round(n / seconds, 2)]));
  const temporalCalls = counts.reduce((sum, [op, n]) => sum + (READ_OPERATIONS.has(op) ? n : 0), 0);
  return {
    watchers: watchers * bookingIds.length,
    bookings: bookingIds.length,
    seconds: round(seconds),
    temporalCalls,
    temporalCallsPerSecond: round(temporalCalls / seconds, 3),
    byOperation,
    apiCpuMsPerSecond: round(((cpuAfter.api - cpuBefore.api) * 1000) / seconds),
    temporalCpuMsPerSecond: round(((cpuAfter.temporal - cpuBefore.temporal) * 1000) / seconds),
    eventsReceived: eventsAfter - eventsBefore,
  };
}

/**
 * Opens one SSE client (a plain fetch stream) per entry of `bookingIds` on GET /bookings/:id/events
 * and keeps reading; resolves once every client has its response headers.
 */
async function openWatchers(apiUrl: string, authorization: string, bookingIds: string[]) {
  const abort = new AbortController();
  let events = 0;
  const readers: Promise<void>[] = [];
  await Promise.all(
    bookingIds.map(async (id) => {
      const res = await fetch(`${apiUrl}/bookings/${id}/events`, {
        headers: { authorization, accept: 'text/event-stream' },
        signal: abort.signal,
      });
      if (!res.ok || !res.body) throw new Error(`GET /bookings/${id}/events: ${res.status}`);
      const body = res.body;
      readers.push(
        (async () => {
          const decoder = new TextDecoder();
          let partial = '';
          try {
            for await (const chunk of body) {
              const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n');
              partial = lines.pop() ?? '';
              events += lines.filter((l) => l === 'event: booking').length;
            }
          } catch {
            // aborted: the window is over
          }
        })(),
      );
    }),
  );
  return {
    events: () => events,
    close: async () => {
      abort.abort();
      await Promise.allSettled(readers);
    },
  };
}
