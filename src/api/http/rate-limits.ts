// Limits on abuse (express-rate-limit, in this process's memory): POST /bookings, the actions
// (cancel, retry, resolve) and the reads (a GET of a running booking costs a Temporal query) per
// customer (the token's sub); calls to any /bookings route whose token
// is refused, per IP. Over a limit: 429, Retry-After and the
// API's error shape. The limits come from the config (RATE_LIMIT_*).
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Options } from 'express-rate-limit';
import type { RateLimits } from '../../config.ts';
import { ApiError } from './errors.ts';

export interface Limiters {
  /** Per IP, for calls whose token was refused (401): past the limit, 429. */
  anonymous: RequestHandler;
  /** POST /bookings per customer. */
  bookings: RequestHandler;
  /** Cancel, retry and resolve per customer. */
  actions: RequestHandler;
  /** GET /bookings, GET /bookings/:id and event stream opens per customer. */
  reads: RequestHandler;
}

export function createLimiters(limits: RateLimits): Limiters {
  const common = (what: string): Partial<Options> => ({
    windowMs: limits.windowMs,
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    handler: (_req, res, next, options) => {
      // Retry-After is set by the limiter; the body is the API's error shape.
      next(
        new ApiError(
          options.statusCode,
          'rate_limited',
          `too many ${what}; retry after ${String(res.getHeader('Retry-After') ?? 'a while')} s`,
        ),
      );
    },
  });
  const bySubject: Options['keyGenerator'] = (req, res) => {
    const subject = res.locals.identity?.subject;
    return subject ? `sub:${subject}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
  };
  return {
    // Sees only calls whose token was refused (src/api/identity/gate.ts): each one counts.
    anonymous: rateLimit({ ...common('requests without an accepted token'), limit: limits.anonymous }),
    bookings: rateLimit({ ...common('bookings'), limit: limits.bookings, keyGenerator: bySubject }),
    actions: rateLimit({ ...common('booking actions'), limit: limits.actions, keyGenerator: bySubject }),
    reads: rateLimit({ ...common('reads'), limit: limits.reads, keyGenerator: bySubject }),
  };
}
