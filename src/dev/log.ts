// Human-readable log lines for `npm run dev`: "12:01:02 INFO  booking started  bookingId=…".
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

export function devLogger(level: string): Logger {
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        try {
          const {
            level: n,
            time,
            msg,
            req,
            res,
            responseTime,
            bookingId,
            err,
          } = JSON.parse(line) as Record<string, unknown> & {
            level: number;
            time: number;
            req?: { method: string; url: string };
            res?: { statusCode: number };
            err?: { message?: string };
          };
          const parts = [new Date(time).toTimeString().slice(0, 8), LEVELS[n] ?? n];
          parts.push(
            req && res ? `${req.method} ${req.url} → ${res.statusCode} (${String(responseTime)} ms)` : String(msg),
          );
          if (typeof bookingId === 'string') parts.push(`bookingId=${bookingId}`);
          if (err?.message) parts.push(`error=${err.message}`);
          process.stdout.write(`${parts.join('  ')}\n`);
        } catch {
          process.stdout.write(`${line}\n`);
        }
      }
      done();
    },
  });
  return pino({ level }, out);
}
