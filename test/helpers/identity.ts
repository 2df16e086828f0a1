// Identity for the tests: a dev issuer of the test's own (a fresh ES256 key pair, made at run time),
// the tokens it signs, and an app that calls as a default identity when a request names none.
import express from 'express';
import type { RateLimits } from '../../src/config.ts';
import { OPERATOR_SCOPE } from '../../src/api/auth.ts';
import { createDevIssuer, type DevIssuer } from '../../src/api/dev-issuer.ts';

/** Limits high enough for a test's own load (dozens of concurrent POSTs from one caller). */
export const TEST_RATE_LIMITS: RateLimits = { windowMs: 60_000, bookings: 100_000, actions: 100_000, anonymous: 100_000 };

/** The identity the existing API tests call as: an operator, who may book on any customer's behalf. */
export const DEFAULT_CALLER = 'test-operator';

export interface TestIdentity {
  devIssuer: DevIssuer;
  /** A customer's token (sub = customer). */
  customer(sub: string): Promise<string>;
  /** An operator's token (scope bookings:operate). */
  operator(sub?: string): Promise<string>;
}

export async function createTestIdentity(): Promise<TestIdentity> {
  const devIssuer = await createDevIssuer();
  return {
    devIssuer,
    customer: (sub) => devIssuer.mint(sub),
    operator: (sub = DEFAULT_CALLER) => devIssuer.mint(sub, OPERATOR_SCOPE),
  };
}

/**
 * The app, called as `token`'s holder whenever a request carries no Authorization header of its
 * own: the token is real and the app verifies it as any other. Tests of identity itself use the
 * app as it is.
 */
export function callingAs(app: express.Express, token: string): express.Express {
  const outer = express();
  outer.disable('x-powered-by');
  outer.use((req, _res, next) => {
    if (req.headers.authorization === undefined) req.headers.authorization = `Bearer ${token}`;
    next();
  });
  outer.use(app);
  return outer;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
