// One log line per request (pino-http), under a request ID: the caller's X-Request-Id when it is a
// sane one, else a fresh UUID, answered in X-Request-Id. Never the body or the headers (a request
// body holds a card number); the booking's and the trace's IDs once a route names them.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { workflowIdFor } from '../../booking/booking.ts';

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export function requestLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customProps: (_req, res) => {
      const locals = res.locals as { bookingId?: string; traceId?: string } | undefined;
      return {
        ...(locals?.bookingId ? { bookingId: locals.bookingId, workflowId: workflowIdFor(locals.bookingId) } : {}),
        ...(locals?.traceId ? { traceId: locals.traceId } : {}),
      };
    },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
  });
}
