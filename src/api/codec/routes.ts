// Temporal's remote codec protocol, so the Web UI and the CLI can show decrypted payloads to
// someone who holds the token: POST /codec/decode and /codec/encode take and return
// `{ "payloads": [ { "metadata": { "<key>": "<base64>" }, "data": "<base64>" } ] }` (the Payloads
// proto in its JSON form). Bearer token required; CORS for the Web UI's origin.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { z } from 'zod';
import { PayloadDecryptionError } from '../../temporal/codec.ts';
import { ApiError, validationError } from '../http/errors.ts';

export interface CodecRouteOptions {
  codec: PayloadCodec;
  /** The bearer token a caller must send. */
  authToken: string;
  /** The Web UI's origin (scheme://host:port), allowed by CORS. */
  uiOrigin: string;
}

const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';
/** A history page's payloads can be large; the rest of the API keeps its 16 kB limit. */
const BODY_LIMIT = '8mb';
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

const base64 = z.string().regex(BASE64, 'must be base64');
const payloadsBody = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64).nullish(),
      data: base64.nullish(),
    }),
  ),
});

const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
const toBase64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

function toPayload(json: z.infer<typeof payloadsBody>['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(json.metadata ?? {}).map(([k, v]) => [k, fromBase64(v)])),
    ...(json.data ? { data: fromBase64(json.data) } : {}),
  };
}

function toJson(payload: Payload): { metadata: Record<string, string>; data?: string } {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, toBase64(v)])),
    ...(payload.data && payload.data.length > 0 ? { data: toBase64(payload.data) } : {}),
  };
}

function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function codecRoutes(options: CodecRouteOptions): express.Router {
  const router = express.Router();

  const cors: RequestHandler = (req, res, next) => {
    res.vary('Origin');
    if (req.headers.origin === options.uiOrigin) {
      res.setHeader('Access-Control-Allow-Origin', options.uiOrigin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      // helmet's same-origin default would keep the UI from reading the answer.
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    }
    res.setHeader('Cache-Control', 'no-store'); // decoded payloads are customer data
    if (req.method === 'OPTIONS') {
      if (req.headers.origin !== options.uiOrigin) {
        next(
          new ApiError(
            403,
            'origin_not_allowed',
            'the codec endpoint answers the Temporal Web UI (TEMPORAL_UI_URL) only',
          ),
        );
        return;
      }
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };

  const auth: RequestHandler = (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match || !sameToken(match[1]!, options.authToken)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="codec"');
      next(new ApiError(401, 'unauthorized', 'the codec endpoint needs Authorization: Bearer <CODEC_AUTH_TOKEN>'));
      return;
    }
    next();
  };

  const convert =
    (direction: 'encode' | 'decode'): RequestHandler =>
    async (req, res, next) => {
      const parsed = payloadsBody.safeParse(req.body);
      if (!parsed.success) {
        next(validationError(parsed.error));
        return;
      }
      try {
        const payloads = parsed.data.payloads.map(toPayload);
        const converted =
          direction === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
        res.json({ payloads: converted.map(toJson) });
      } catch (error) {
        if (error instanceof PayloadDecryptionError) next(new ApiError(400, 'decode_failed', error.message));
        else next(error);
      }
    };

  router.use(cors);
  router.use(auth);
  router.use(express.json({ limit: BODY_LIMIT, strict: true }));
  router.post('/encode', convert('encode'));
  router.post('/decode', convert('decode'));

  // This router has its own body limit: say so, instead of the API's 16 kB.
  const bodyErrors: ErrorRequestHandler = (err: { type?: string }, _req, _res, next) => {
    if (err?.type === 'entity.too.large')
      next(new ApiError(413, 'payload_too_large', `request body is larger than ${BODY_LIMIT}`));
    else next(err);
  };
  router.use(bodyErrors);
  return router;
}
