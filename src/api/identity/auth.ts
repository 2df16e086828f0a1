// Who calls: OAuth 2 bearer tokens (RFC 6750), JWTs verified against an issuer's JWKS with jose.
// One middleware verifies; the verifier is a dependency of createApp (a remote JWKS in production,
// the dev issuer's keys in development and tests, a test's own identity provider in its tests).
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { CUSTOMER_ID_PATTERN } from '../../booking/booking.ts';
import { ApiError } from '../http/errors.ts';

/** The scope that makes a caller an operator. */
export const OPERATOR_SCOPE = 'bookings:operate';

/** Only asymmetric signatures: `none` and HMAC (a shared secret anyone holding it could sign with) are refused. */
export const ALLOWED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

export interface Identity {
  /** The token's `sub`: the customer (or the operator's own name). */
  subject: string;
  operator: boolean;
  /** When the token expires (its `exp`, ms since the epoch): an event stream ends then. */
  expiresAt?: number;
}

export interface Verifier {
  verify(token: string): Promise<Identity>;
}

export interface IssuerSettings {
  issuer: string;
  audience: string;
}

/** A verifier over a key set: a remote JWKS (createRemoteJWKSet) or a local one. */
export function verifierFor(keys: JWTVerifyGetKey, settings: IssuerSettings): Verifier {
  return {
    async verify(token) {
      const { payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: 5,
        requiredClaims: ['exp', 'sub'],
      });
      const subject = payload.sub;
      if (typeof subject !== 'string' || !CUSTOMER_ID_PATTERN.test(subject)) {
        throw new errors.JWTClaimValidationFailed('the token has no usable "sub"', payload, 'sub', 'check_failed');
      }
      const scope = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      return {
        subject,
        operator: scope.includes(OPERATOR_SCOPE),
        ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp * 1000 } : {}),
      };
    },
  };
}

/** A real identity provider: its JWKS is fetched, cached, and fetched again when a token names a new kid (rotation). */
export function remoteVerifier(
  settings: IssuerSettings & { jwksUrl: string },
  options: { cooldownMs?: number } = {},
): Verifier {
  // cooldownDuration: at most one refetch for unknown kids per 30 s (a flood of forged kids cannot hammer the issuer).
  return verifierFor(
    createRemoteJWKSet(new URL(settings.jwksUrl), {
      cooldownDuration: options.cooldownMs ?? 30_000,
      cacheMaxAge: 600_000,
    }),
    settings,
  );
}

export function localVerifier(jwks: JSONWebKeySet, settings: IssuerSettings): Verifier {
  return verifierFor(createLocalJWKSet(jwks), settings);
}

declare module 'express-serve-static-core' {
  interface Locals {
    identity?: Identity;
  }
}

/** 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3): no error code when no token came, invalid_token otherwise. */
function unauthorized(res: Response, message: string, invalidToken: boolean): ApiError {
  const parts = ['Bearer realm="bookings"'];
  if (invalidToken) parts.push('error="invalid_token"', `error_description="${message.replace(/["\\]/g, '')}"`);
  res.setHeader('WWW-Authenticate', parts.join(', '));
  return new ApiError(401, invalidToken ? 'invalid_token' : 'unauthorized', message);
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's "${error.claim}" claim is not accepted`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with an accepted algorithm';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is signed by a key the issuer does not publish';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  return 'the token is malformed or not accepted';
}

/** Verifies `Authorization: Bearer <JWT>`; puts the identity in res.locals.identity, or answers 401. */
export function authenticate(verifier: Verifier): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('Authorization');
    if (!header) return next(unauthorized(res, 'a bearer token is required (Authorization: Bearer <token>)', false));
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
    if (!match) return next(unauthorized(res, 'the Authorization header must be "Bearer <token>"', true));
    verifier.verify(match[1]!).then(
      (identity) => {
        res.locals.identity = identity;
        req.log = req.log?.child({ caller: identity.subject, ...(identity.operator ? { operator: true } : {}) });
        next();
      },
      (error: unknown) => {
        // The issuer's keys cannot be had (timeout, refused, not 200, not a key set): the issuer's
        // trouble, not the caller's token. 503, so clients keep their tokens and retry.
        if (
          error instanceof errors.JWKSTimeout ||
          error instanceof errors.JWKSInvalid ||
          error instanceof TypeError ||
          (error as { code?: string })?.code === 'ERR_JOSE_GENERIC'
        ) {
          return next(
            new ApiError(
              503,
              'temporarily_unavailable',
              "the identity provider's keys cannot be fetched now; retry shortly",
            ),
          );
        }
        req.log?.info({ reason: (error as Error)?.message }, 'bearer token refused');
        next(unauthorized(res, reasonOf(error), true));
      },
    );
  };
}

/** The identity authenticate() established (routes behind it only). */
export function identityOf(res: Response): Identity {
  const identity = res.locals.identity;
  if (!identity) throw new ApiError(401, 'unauthorized', 'a bearer token is required');
  return identity;
}

export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
