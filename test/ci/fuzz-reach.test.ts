// scripts/fuzz-reach.ts, what `npm run fuzz` reads from schemathesis' HAR report, against the API's
// real OpenAPI document: which operations the stateful run never got a 2xx from.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openApiDocument } from '../../src/api/http/openapi.ts';
import { neverSucceeded, readHar, STATEFUL_MUST_SUCCEED, statusesByOperation } from '../../scripts/fuzz-reach.ts';

type Paths = Parameters<typeof statusesByOperation>[1];
const paths = (openApiDocument() as { paths: Paths }).paths;
const base = 'http://127.0.0.1:1';

/** A HAR report as schemathesis writes it: one entry per request and its answer. */
function har(calls: [method: string, path: string, status: number][]) {
  return {
    log: {
      entries: calls.map(([method, path, status]) => ({
        request: { method, url: `${base}${path}` },
        response: { status },
      })),
    },
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fuzz-reach-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('what the stateful fuzz run must reach', () => {
  test('names every operation on a booking that changes it', () => {
    expect([...STATEFUL_MUST_SUCCEED].sort()).toEqual([
      'cancelBooking',
      'confirmBooking',
      'extendHold',
      'resolveCompensation',
      'retryCompensation',
    ]);
  });

  test('an operation that only answered 4xx, or was never called, has not succeeded; a 200 or 202 has', async () => {
    const file = join(dir, 'stateful.har');
    await writeFile(
      file,
      JSON.stringify(
        har([
          ['POST', '/bookings', 201],
          ['POST', '/bookings/b1/cancel', 202],
          ['POST', '/bookings/b1/confirm', 409],
          ['POST', '/bookings/b2/confirm', 200],
          ['POST', '/bookings/b2/hold/extend', 409],
          ['POST', '/bookings/b2/hold/extend', 404],
          ['POST', '/bookings/b3/compensation/retry', 400],
        ]),
      ),
    );
    const reached = statusesByOperation((await readHar(file))!, paths);
    expect(neverSucceeded(reached, STATEFUL_MUST_SUCCEED)).toEqual([
      'extendHold',
      'retryCompensation',
      'resolveCompensation',
    ]);
  });

  test('a run in which each answered 2xx at least once misses nothing', () => {
    const reached = statusesByOperation(
      har([
        ['POST', '/bookings/a/cancel', 409],
        ['POST', '/bookings/a/cancel', 202],
        ['POST', '/bookings/a/confirm', 202],
        ['POST', '/bookings/a/hold/extend', 202],
        ['POST', '/bookings/a/compensation/retry', 202],
        ['POST', '/bookings/a/compensation/resolve', 202],
      ]),
      paths,
    );
    expect(neverSucceeded(reached, STATEFUL_MUST_SUCCEED)).toEqual([]);
  });
});
