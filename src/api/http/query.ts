// Query strings, as zod reads them (an integer parameter takes only its canonical spelling) and as the
// document states them.
import { z } from 'zod';
import { strip, type JsonSchema } from './openapi-parts.ts';

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
