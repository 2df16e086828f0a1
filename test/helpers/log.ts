// A pino logger that keeps what it writes, for tests that read the log lines back.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export function capturingLogger(level: string): { logger: Logger; text: () => string; lines: () => string[] } {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const text = () => lines.join('');
  return { logger: pino({ level }, out), text, lines: () => text().split('\n').filter(Boolean) };
}
