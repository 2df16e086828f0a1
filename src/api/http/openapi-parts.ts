// What the operations of the OpenAPI document are made of: references to the zod schemas (by the
// id each one has in the zod registry) and the responses many operations share.
import { z } from 'zod';
import { errorSchema } from './errors.ts';

export type JsonSchema = Record<string, unknown>;

/** A JSON Schema as zod gives it, without what the document does not want inside it. */
export function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** The id of a schema registered with `.meta({ id })`: its name under components.schemas. */
export function idOf(schema: z.ZodType): string {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error('a schema the document refers to needs an id (.meta({ id }))');
  return id;
}

export const ref = (schema: z.ZodType) => ({ $ref: `#/components/schemas/${idOf(schema)}` });
export const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(schema) } },
});
/** A response in the one error shape. */
export const error = (description: string) => json(errorSchema, description);

export const commonErrors = {
  '400': error('Invalid request: the details name each failing field.'),
  '500': error('Unexpected error (logged; no stack trace is returned).'),
};

/** What the JSON body parser may answer for any operation that takes a body. */
export const bodyErrors = {
  '413': error('Body larger than 16 kB.'),
  '415': error('Unsupported content encoding or charset.'),
};

const retryAfter = {
  'Retry-After': { schema: { type: 'integer', minimum: 0 }, description: 'Seconds until the limit resets.' },
};
/** Past a rate limit (rate-limits.ts). */
export const rateLimited = {
  '429': {
    ...error('Too many requests from this customer (or, without an accepted token, this IP).'),
    headers: retryAfter,
  },
};
