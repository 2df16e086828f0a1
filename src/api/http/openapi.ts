// The OpenAPI 3.1 document: its paths are the API's routes' operations (src/api/routes.ts), its
// schemas the zod schemas that validate the requests and type the responses. One source of truth,
// no hand-written copy.
import { z } from 'zod';
import { travelDate, travelWindow } from '../../activities/shared/request-fields.ts';
import { bookingRequestSchema } from '../bookings/request.ts';
import { bearerAuthScheme } from '../identity/gate.ts';
import { API_ROUTES } from '../routes.ts';
import { dateRangePattern } from './date-range-pattern.ts';
import { idOf, strip, type JsonSchema } from './openapi-parts.ts';
import { pathsOf, requestBodySchemas } from './route.ts';

export interface DocumentOptions {
  /** Without fault injection, BookingRequest has no `faults` (the API refuses them). Default true. */
  faultInjection?: boolean;
  /** The clock for the travel-date window (tests). */
  now?: number;
}

const INFO = {
  title: 'Trip booking saga API',
  version: '1.0.0',
  description:
    "Starts bookTrip sagas on Temporal (flight → hotel → payment, compensated in reverse) and reads their live state. Every /bookings route wants `Authorization: Bearer <JWT>`: a customer (the token's sub) sees and acts on their own bookings; an operator (scope bookings:operate) reads every booking and alone retries or resolves a failed compensation.",
};

/**
 * Every schema with an id in the zod registry, as JSON Schema: the request bodies as a client
 * sends them (zod's input side), the rest as the API answers (its output side). The travel dates'
 * pattern is the window of `now`'s day.
 */
function componentSchemas(now: number | undefined): Record<string, JsonSchema> {
  const window = travelWindow(now);
  const travelDatePattern = dateRangePattern(window.from, window.to);
  const registryFor = (io: 'input' | 'output') =>
    z.toJSONSchema(z.globalRegistry, {
      target: 'draft-2020-12',
      io,
      uri: (id) => `#/components/schemas/${id}`,
      unrepresentable: 'any',
      override: (ctx) => {
        if (ctx.zodSchema === travelDate) ctx.jsonSchema.pattern = travelDatePattern;
      },
    }).schemas;
  const [outputs, inputs] = [registryFor('output'), registryFor('input')];
  const requestBodies = new Set(requestBodySchemas(API_ROUTES).map(idOf));
  return Object.fromEntries(
    Object.entries(outputs).map(([id, s]) => [id, strip((requestBodies.has(id) ? inputs[id] : s) as JsonSchema)]),
  );
}

const cache = new Map<string, JsonSchema>();

/**
 * The document for this configuration and this UTC day: the travel dates' pattern is today's
 * window (componentSchemas), so the document changes at midnight UTC.
 */
export function openApiDocument(options: DocumentOptions = {}): JsonSchema {
  const faultInjection = options.faultInjection ?? true;
  const key = `${faultInjection}:${travelWindow(options.now).from}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const schemas = componentSchemas(options.now);
  if (!faultInjection) {
    const request = schemas[idOf(bookingRequestSchema)] as { properties: Record<string, unknown> };
    delete request.properties.faults;
  }
  const document: JsonSchema = {
    openapi: '3.1.0',
    info: INFO,
    servers: [{ url: '/' }],
    paths: pathsOf(API_ROUTES),
    components: { schemas, securitySchemes: { bearerAuth: bearerAuthScheme } },
  };
  cache.clear(); // only today's documents
  cache.set(key, document);
  return document;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A document path as Express matches it: `{param}` is one segment, any case, an optional trailing slash. */
function pathMatcher(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}/?$`, 'i');
}

/**
 * The methods the document declares for the path a request names (HEAD with GET, and OPTIONS,
 * which Express answers), or undefined when no documented path matches: the Allow header of a 405.
 */
export function allowedMethods(document: JsonSchema = openApiDocument()): (path: string) => string[] | undefined {
  const paths = Object.entries(document.paths as Record<string, Record<string, unknown>>).map(([template, item]) => {
    const declared = Object.keys(item).filter((m) => HTTP_METHODS.includes(m));
    const methods = [...declared, ...(declared.includes('get') ? ['head'] : []), 'options'];
    return { matcher: pathMatcher(template), methods: [...new Set(methods)].map((m) => m.toUpperCase()) };
  });
  return (path) => paths.find((p) => p.matcher.test(path))?.methods;
}
