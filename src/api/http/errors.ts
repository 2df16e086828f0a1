// One error shape for every failure: { "error": { "code", "message", "details"? } }, with the
// right status. Never a stack trace.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/**
 * A path parameter whose percent-encoding is not UTF-8 (a lone surrogate's bytes, say): the router
 * fails to decode it (a URIError) before any route runs. It is a malformed value, named as one.
 */
export const undecodablePath = (where: string) =>
  new ApiError(400, 'validation_failed', `invalid request ${where}`, [
    { path: where, message: 'is not percent-encoded UTF-8' },
  ]);

/** zod issues as `{ path, message }`, so a client sees each failing field. */
export function validationError(error: z.ZodError, where = 'body'): ApiError {
  const details = error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  return new ApiError(400, 'validation_failed', `invalid request ${where}`, details);
}

/** `value` as `schema` parses it, or the 400 that names each failing field (`where`: body, query, path.id, …). */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

/**
 * A method the document does not declare, on a path it does: 405 with the Allow header. `allowed`
 * gives a path's methods (src/api/http/openapi.ts allowedMethods), undefined for a path it does not know.
 */
export function methodNotAllowed(allowed: (path: string) => string[] | undefined): RequestHandler {
  return (req, res, next) => {
    const methods = allowed(req.path);
    if (!methods || methods.includes(req.method)) {
      next();
      return;
    }
    res.setHeader('Allow', methods.join(', '));
    next(
      new ApiError(
        405,
        'method_not_allowed',
        `${req.method} is not allowed on ${req.path}; allowed: ${methods.join(', ')}`,
      ),
    );
  };
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'route_not_found', `no route for ${req.method} ${req.path}`));
};

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  let apiError: ApiError;
  if (err instanceof ApiError) {
    apiError = err;
  } else if (err instanceof z.ZodError) {
    apiError = validationError(err);
  } else if (err instanceof URIError) {
    apiError = undecodablePath('path');
  } else {
    const e = err as HttpishError;
    const status = e?.status ?? e?.statusCode;
    if (e?.type === 'entity.too.large')
      apiError = new ApiError(413, 'payload_too_large', 'request body is larger than 16 kB');
    else if (e?.type === 'entity.parse.failed')
      apiError = new ApiError(400, 'invalid_json', 'request body is not valid JSON');
    else if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
      apiError = new ApiError(415, 'unsupported_encoding', 'unsupported content encoding or charset');
    else if (status && status >= 400 && status < 500 && e.expose)
      apiError = new ApiError(status, 'bad_request', (err as Error).message);
    else apiError = new ApiError(500, 'internal_error', 'something went wrong; it was logged');
  }
  if (apiError.status >= 500) req.log?.error({ err }, 'request failed');
  if (res.headersSent) return;
  res.status(apiError.status).json({
    error: {
      code: apiError.code,
      message: apiError.message,
      ...(apiError.details === undefined ? {} : { details: apiError.details }),
    },
  });
};
