// The fields the services' parts of the booking request are made of (each service's schema.ts):
// a travel date within the booking window, and a small count. In zod, like the request the API
// composes from those parts; the OpenAPI document states the window as a pattern of the day.
import { z } from 'zod';
import { DAY_MS, fromDbDate, toDbDate, utcDay } from '../../common/dates.ts';

/** How far ahead a booking may travel. */
export const MAX_DAYS_AHEAD = 365;

/** Today's UTC midnight, in ms. */
const utcToday = (nowMs = Date.now()): number => toDbDate(utcDay(0, new Date(nowMs))).getTime();

const isoDay = (ms: number) => fromDbDate(new Date(ms));

/**
 * The days a booking may name: today (UTC) to MAX_DAYS_AHEAD days ahead. The OpenAPI document
 * states the window as a pattern, regenerated each day.
 */
export function travelWindow(now = Date.now()): { from: string; to: string } {
  const today = utcToday(now);
  return { from: isoDay(today), to: isoDay(today + MAX_DAYS_AHEAD * DAY_MS) };
}

/** A real calendar date from today (UTC) up to MAX_DAYS_AHEAD days ahead. */
export const travelDate = z
  .string()
  .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'must be a date as YYYY-MM-DD')
  .refine(
    (s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && isoDay(Date.parse(`${s}T00:00:00Z`)) === s,
    'must be a real calendar date',
  )
  .refine((s) => Date.parse(`${s}T00:00:00Z`) >= utcToday(), 'must not be in the past')
  .refine(
    (s) => Date.parse(`${s}T00:00:00Z`) <= utcToday() + MAX_DAYS_AHEAD * DAY_MS,
    `must be within ${MAX_DAYS_AHEAD} days`,
  )
  .meta({
    description: `A date (YYYY-MM-DD) from today (UTC) to ${MAX_DAYS_AHEAD} days ahead. The pattern states that window and changes each day.`,
    example: '2027-03-14',
  });

/** 1 to 9 of `what` (seats, rooms). */
export const smallCount = (what: string) => z.int().min(1, `at least 1 ${what}`).max(9, `at most 9 ${what}`);
