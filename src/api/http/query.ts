// Query strings, as zod reads them (an integer parameter takes only its canonical spelling) and as the
// document states them.
import { z } from 'zod';
import { fromDbDate } from '../../common/dates.ts';
import { strip, type JsonSchema } from './openapi-parts.ts';

const isoDay = (ms: number) => fromDbDate(new Date(ms));

/** A real calendar date, YYYY-MM-DD, from 0001-01-01 on: JSON Schema's `format: date` (RFC 3339 full-date). */
export const calendarDate = z
  .string()
  .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'must be a date as YYYY-MM-DD')
  .refine(
    (s) =>
      !s.startsWith('0000') &&
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) &&
      isoDay(Date.parse(`${s}T00:00:00Z`)) === s,
    'must be a real calendar date',
  )
  .meta({ format: 'date' });

/** An integer query parameter: only its canonical decimal spelling ("05", "1e1", " 5" are not integers here). */
export const queryIntIn = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^(?:0|-?[1-9][0-9]{0,15})$/.test(v) ? Number(v) : v),
    z.int().min(min).max(max),
  );
export const queryInt = (min: number, max: number, fallback: number) => queryIntIn(min, max).default(fallback);

/** A query schema's fields as the document's query parameters (documented as a client sends them). */
export function queryParameters(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: !(field as z.ZodType).safeParse(undefined).success,
    schema: strip(z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonSchema),
  }));
}
