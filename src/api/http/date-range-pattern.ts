// A window of dates as one regex: the OpenAPI document's pattern of the travel dates.
import { DAY_MS } from '../../common/dates.ts';

/** Two-digit numbers from `lo` to `hi` (zero-padded), as a regex alternation. */
function twoDigitRange(lo: number, hi: number): string {
  const parts: string[] = [];
  for (let tens = Math.floor(lo / 10); tens <= Math.floor(hi / 10); tens++) {
    const a = Math.max(lo, tens * 10) % 10;
    const b = Math.min(hi, tens * 10 + 9) % 10;
    parts.push(`${tens}${a === b ? a : a === 0 && b === 9 ? '[0-9]' : `[${a}-${b}]`}`);
  }
  return parts.join('|');
}

/**
 * A regex that matches exactly the dates from `from` to `to` (both YYYY-MM-DD, inclusive): so a
 * generator that honours the document's pattern produces only dates the API accepts.
 */
export function dateRangePattern(from: string, to: string): string {
  const years = new Map<string, string[]>();
  let cursor = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  while (cursor <= end) {
    const d = new Date(cursor);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    const lastOfMonth = Date.UTC(y, m + 1, 0);
    const stop = Math.min(lastOfMonth, end);
    const months = years.get(String(y).padStart(4, '0')) ?? [];
    months.push(`${String(m + 1).padStart(2, '0')}-(?:${twoDigitRange(d.getUTCDate(), new Date(stop).getUTCDate())})`);
    years.set(String(y).padStart(4, '0'), months);
    cursor = stop + DAY_MS;
  }
  return `^(?:${[...years].map(([y, months]) => `${y}-(?:${months.join('|')})`).join('|')})$`;
}
