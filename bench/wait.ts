// Polling until something holds, for the phases that wait on the stack.
import { setTimeout as delay } from 'node:timers/promises';

/** Checks every 200 ms until `check` holds (a check that throws does not hold); throws after `ms`. */
export async function waitFor(check: () => Promise<boolean>, ms: number, what: string) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await delay(200);
  }
  throw new Error(`timed out: ${what}`);
}
