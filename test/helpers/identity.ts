// Identity for the tests: a dev issuer of the test's own (a fresh ES256 key pair, made at run time),
// the tokens it signs, and an app that calls as a default identity when a request names none.
import express from 'express';
import type { RateLimits } from '../../src/config.ts';
import { OPERATOR_SCOPE } from '../../src/api/identity/auth.ts';
import { createDevIssuer, type DevIssuer } from '../../src/api/identity/dev-issuer.ts';

/** Limits high enough for a test's own load (dozens of concurrent POSTs from one caller). */
export const TEST_RATE_LIMITS: RateLimits = {
  windowMs: 60_000,
  bookings: 100_000,
  actions: 100_000,
  anonymous: 100_000,
  reads: 100_000,
};

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

/** A token from a running stack's dev issuer (POST /dev/token), as the page and the docs get one. */
export async function devToken(apiUrl: string, sub: string, scope?: string): Promise<string> {
  const res = await fetch(`${apiUrl}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub, ...(scope ? { scope } : {}) }),
  });
  if (res.status !== 200) throw new Error(`POST /dev/token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

const originTokens = new Map<string, Promise<string>>();

/**
 * fetch, with an operator's dev-issuer token (POST /dev/token of the same server) on /bookings
 * requests that carry no Authorization of their own: for tests of something else than identity.
 */
export async function fetchAs(url: string, init: RequestInit = {}): Promise<Response> {
  const target = new URL(url);
  const headers = new Headers(init.headers);
  if (target.pathname.startsWith('/bookings') && !headers.has('authorization')) {
    let token = originTokens.get(target.origin);
    if (!token) {
      token = devToken(target.origin, DEFAULT_CALLER, OPERATOR_SCOPE);
      originTokens.set(target.origin, token);
      token.catch(() => originTokens.delete(target.origin));
    }
    headers.set('authorization', `Bearer ${await token}`);
  }
  return fetch(url, { ...init, headers });
}

export interface TestIdp {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE for a process that trusts this provider. */
  env: Record<string, string>;
  mint(sub: string, scope?: string): Promise<string>;
  stop(): Promise<void>;
}

/** An OIDC-style identity provider of the test's own: an RS256 key made now, its JWKS served over HTTP on 127.0.0.1. */
export async function startTestIdp(audience = 'trip-booking-api'): Promise<TestIdp> {
  const { generateKeyPair, exportJWK, SignJWT } = await import('jose');
  const { createServer } = await import('node:http');
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = `test-${Date.now().toString(36)}`;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] });
  const server = createServer((req, res) => {
    if (req.url === '/jwks.json') res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const issuer = `${base}/`;
  const jwksUrl = `${base}/jwks.json`;
  return {
    jwksUrl,
    issuer,
    audience,
    env: { AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience },
    mint: (sub, scope) =>
      new SignJWT(scope ? { scope } : {})
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
