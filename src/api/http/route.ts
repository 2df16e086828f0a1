// A documented route: one structure that registers the Express handlers and contributes the
// OpenAPI operation, so that the document's paths are the routes the app serves. A router is a
// list of them (bookings/, events/, http/health.ts, and the services' own: flights/ and hotels/
// routes.ts); the app mounts the list
// (routerOf) and the document lists it (pathsOf).
import { Router, type RequestHandler } from 'express';
import type { z } from 'zod';
import { ref, type JsonSchema } from './openapi-parts.ts';

export type Method = 'get' | 'post';

/** An OpenAPI operation object, but its request body (Route.body). */
export type Operation = JsonSchema & { operationId: string; responses: JsonSchema };

export interface Route<Deps> {
  method: Method;
  /** The document's path template: `{id}` is a path parameter (`:id` to Express). */
  path: string;
  /** What the document says of it. */
  operation: Operation;
  /** The JSON body it takes: its handler validates it, the document shows it as a client sends it. */
  body?: { schema: z.ZodType; required: boolean };
  /** Its Express handlers (middleware first), given the router's dependencies. */
  handlers: (deps: Deps) => RequestHandler[];
}

/** `/bookings/{id}/events` → `/bookings/:id/events`. */
const expressPath = (template: string) => template.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');

/** An Express router that serves `routes`, in their order. */
export function routerOf<Deps>(routes: readonly Route<Deps>[], deps: Deps): Router {
  const router = Router();
  for (const route of routes) router[route.method](expressPath(route.path), ...route.handlers(deps));
  return router;
}

/** The operation as the document carries it: with its request body, before its responses. */
function operationOf(route: Route<never>): JsonSchema {
  if (!route.body) return route.operation;
  const { responses, ...operation } = route.operation;
  const requestBody = {
    required: route.body.required,
    content: { 'application/json': { schema: ref(route.body.schema) } },
  };
  return { ...operation, requestBody, responses };
}

/** The document's `paths`: each route's operation under its path and method, in the routes' order. */
export function pathsOf(routes: readonly Route<never>[]): Record<string, Record<string, JsonSchema>> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`${route.method.toUpperCase()} ${route.path} is declared twice`);
    item[route.method] = operationOf(route);
  }
  return paths;
}

/** The schemas of the routes' request bodies: the document shows them as a client sends them (zod's input side). */
export function requestBodySchemas(routes: readonly Route<never>[]): z.ZodType[] {
  return routes.flatMap((route) => (route.body ? [route.body.schema] : []));
}
