// Calendar dates as the services, the API, the page and the tests count them: YYYY-MM-DD in UTC.
// Pure: imported by the workflow's step table, the activities, the API and the page.

export const DAY_MS = 86_400_000;

/** A YYYY-MM-DD string as the UTC midnight that PostgreSQL DATE columns round-trip through. */
export function toDbDate(isoDate: string): Date {
  return new Date(`${isoDate}T00:00:00.000Z`);
}

export function fromDbDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** YYYY-MM-DD of a day plus some days: of today (UTC) by default, or of `from` (YYYY-MM-DD). */
export function utcDay(daysAhead = 0, from?: string | Date): string {
  const base = typeof from === 'string' ? toDbDate(from) : (from ?? new Date());
  return fromDbDate(new Date(Date.UTC(base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate() + daysAhead)));
}

export function nightsBetween(checkIn: string, checkOut: string): number {
  return Math.round((toDbDate(checkOut).getTime() - toDbDate(checkIn).getTime()) / DAY_MS);
}
