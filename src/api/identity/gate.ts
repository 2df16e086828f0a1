// The door of every /bookings route: a bearer token first, 401 before anything is read or written;
// and what the document says of it (the security requirement, the 401, the scheme).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ApiError } from '../http/errors.ts';
import { error } from '../http/openapi-parts.ts';
import { authenticate, type Verifier } from './auth.ts';

/**
 * Authenticates every call. Refused calls count against their IP (`anonymousLimiter`): past the
 * limit they get 429 instead of 401. A valid token is never held up by someone else's bad ones
 * from the same address.
 */
export function bearerGate(
  verifier: Verifier,
  anonymousLimiter: RequestHandler,
): [RequestHandler, ErrorRequestHandler] {
  const refused: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (!(err instanceof ApiError) || err.status !== 401) return next(err);
    // The limiter answers 429 itself past the limit; under it, the 401 stands.
    void anonymousLimiter(req, res, (limited?: unknown) => next(limited ?? err));
  };
  return [authenticate(verifier), refused];
}

/** An operation behind the gate: a bearer token. */
export const secured = {
  security: [{ bearerAuth: [] }],
};

/** What a caller without an accepted token gets. */
export const authErrors = {
  '401': {
    ...error(
      'No bearer token, or one that is malformed, expired, from another issuer or audience, or signed by an unknown key.',
    ),
    headers: {
      'WWW-Authenticate': {
        schema: { type: 'string' },
        description: 'Bearer realm="bookings"[, error="invalid_token"]',
      },
    },
  },
};

/** The document's security scheme of that token. */
export const bearerAuthScheme = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    'An OAuth 2 access token (JWT) of the configured OIDC issuer (AUTH_ISSUER; `npm run dev`: POST /dev/token). `sub` is the customer; scope `bookings:operate` makes an operator.',
};
