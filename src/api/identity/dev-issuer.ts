// The dev issuer: an identity provider of `npm run dev`'s (and the tests') own, for a machine with
// none. An ES256 key pair made at first start and kept in a file (under .data/), so a token the
// page holds survives a restart. POST /dev/token mints a token for any `sub` and `scope`: it exists
// only in development and test, and only when no real issuer (AUTH_JWKS_URL) is configured.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Router } from 'express';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { localVerifier, remoteVerifier, type Verifier } from './auth.ts';
import { validationError } from '../http/errors.ts';
import { CUSTOMER_ID_PATTERN, CUSTOMER_ID_RULE } from '../../booking/booking.ts';

export const DEV_ISSUER = 'urn:trip-saga:dev-issuer';
export const DEV_AUDIENCE = 'trip-booking-api';
const TOKEN_TTL_S = 8 * 3600;

export interface DevIssuer {
  issuer: string;
  audience: string;
  verifier: Verifier;
  /** A signed access token for `sub` with `scope` (space-separated). */
  mint(sub: string, scope?: string, ttlSeconds?: number): Promise<string>;
}

interface KeyFile {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** A dev issuer; with `keyFile`, its key pair is read from (or first written to) that file. */
export async function createDevIssuer(options: { keyFile?: string } = {}): Promise<DevIssuer> {
  let stored: KeyFile | undefined;
  if (options.keyFile) {
    stored = await readFile(options.keyFile, 'utf8')
      .then((t) => JSON.parse(t) as KeyFile)
      .catch(() => undefined);
  }
  if (!stored) {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `dev-${randomUUID().slice(0, 8)}`;
    stored = {
      kid,
      privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' },
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
    };
    if (options.keyFile) {
      await mkdir(dirname(options.keyFile), { recursive: true });
      await writeFile(options.keyFile, JSON.stringify(stored), { mode: 0o600 });
    }
  }
  const { kid, publicJwk } = stored;
  const privateKey = await importJWK(stored.privateJwk, 'ES256');
  return {
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    verifier: localVerifier({ keys: [publicJwk] }, { issuer: DEV_ISSUER, audience: DEV_AUDIENCE }),
    mint: (sub, scope, ttlSeconds = TOKEN_TTL_S) =>
      new SignJWT({ ...(scope ? { scope } : {}) })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setSubject(sub)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey),
  };
}

const tokenRequestSchema = z.strictObject({
  sub: z.string().regex(CUSTOMER_ID_PATTERN, CUSTOMER_ID_RULE),
  scope: z
    .string()
    .regex(/^[A-Za-z0-9:_. -]{0,200}$/)
    .optional(),
});

/** POST /dev/token { sub, scope? } → { access_token, token_type: 'Bearer', expires_in }. */
export function devTokenRoutes(issuer: DevIssuer): Router {
  const router = Router();
  router.post('/dev/token', async (req, res) => {
    const parsed = tokenRequestSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw validationError(parsed.error);
    const { sub, scope } = parsed.data;
    res.set('Cache-Control', 'no-store').json({
      access_token: await issuer.mint(sub, scope?.trim() || undefined),
      token_type: 'Bearer',
      expires_in: TOKEN_TTL_S,
    });
  });
  return router;
}

/**
 * The API's identity from the config: the configured issuer (AUTH_JWKS_URL, AUTH_ISSUER,
 * AUTH_AUDIENCE), or, in development and test only, the dev issuer with its key in `keyFile`.
 */
export async function identityFor(
  config: Pick<Config, 'auth' | 'nodeEnv'>,
  keyFile: string,
): Promise<{ verifier: Verifier; devIssuer?: DevIssuer; describe: string }> {
  if (config.auth)
    return {
      verifier: remoteVerifier(config.auth),
      describe: `bearer tokens of ${config.auth.issuer} (JWKS ${config.auth.jwksUrl})`,
    };
  if (config.nodeEnv === 'production')
    throw new Error('AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE are required in production');
  const devIssuer = await createDevIssuer({ keyFile });
  return { verifier: devIssuer.verifier, devIssuer, describe: 'bearer tokens of the dev issuer (POST /dev/token)' };
}
