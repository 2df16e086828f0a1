// scripts/fuzz-api-hooks.py, the stateful fuzz run's steering, run by schemathesis itself on cases
// of the API's real OpenAPI document: what each POST /bookings becomes, checked against the API's
// own request schema and the seed's inventory.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openApiDocument } from '../../src/api/http/openapi.ts';
import { bookingRequestSchema } from '../../src/api/bookings/request.ts';
import { SEED_ROUTES } from '../../src/activities/flights/seed.ts';
import { SEED_HOTELS } from '../../src/activities/hotels/seed.ts';
import { SEED_DAYS } from '../../src/activities/shared/seed.ts';
import { TEST_CARDS } from '../../src/activities/payments/cards.ts';

const run = promisify(execFile);
const hooks = fileURLToPath(new URL('../../scripts/fuzz-api-hooks.py', import.meta.url));

/** A generated body as the fuzzer sends it: unknown flight and hotel, the largest sizes. */
const GENERATED = {
  customerId: 'A',
  flight: { flightNumber: 'ZZ1', date: '2027-01-01', seats: 9 },
  hotel: { hotelId: 'q', checkIn: '2027-01-01', nights: 30, rooms: 9 },
  payment: { card: { number: '4242424242424242', expMonth: 1, expYear: 30, cvc: '000' } },
};

// Loads the document and the hooks as `schemathesis run` does, then calls before_call on n cases.
const SCRIPT = `
import json, runpy, sys, schemathesis
schema = schemathesis.openapi.from_dict(json.load(open(sys.argv[1])))
hooks = runpy.run_path(sys.argv[2])
operation = schema["/bookings"]["POST"]
for _ in range(int(sys.argv[3])):
    case = operation.Case(body=json.loads(sys.argv[4]), headers={"Idempotency-Key": "0"})
    hooks["before_call"](None, case, {})
    print(json.dumps({"body": case.body, "headers": dict(case.headers)}))
`;

interface Sent {
  body: Record<string, unknown> & {
    flight: { flightNumber: string; date: string };
    hotel: { hotelId: string; checkIn: string; nights: number };
  };
  headers: Record<string, string>;
}

let dir: string;
let documentFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fuzz-hooks-'));
  documentFile = join(dir, 'openapi.json');
  await writeFile(documentFile, JSON.stringify(openApiDocument({ faultInjection: true })));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function sent(phases: string, n: number): Promise<Sent[]> {
  const { stdout } = await run('python3', ['-c', SCRIPT, documentFile, hooks, String(n), JSON.stringify(GENERATED)], {
    env: { ...process.env, FUZZ_PHASES: phases },
  });
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Sent);
}

const bookable = {
  flights: SEED_ROUTES.filter((r) => !('soldOut' in r)).map((r) => r.flightNumber) as string[],
  hotels: SEED_HOTELS.filter((h) => !('soldOut' in h)).map((h) => h.id) as string[],
};
const dayOf = (date: string) =>
  Math.round(
    (Date.parse(`${date}T00:00:00Z`) - Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`)) / 86_400_000,
  );

/** A steered booking: valid for the API, on seeded inventory, on days the seed covers, waited for with a fresh key. */
function expectSeededTrip({ body, headers }: Sent) {
  expect(bookingRequestSchema.safeParse(body).error).toBeUndefined();
  expect(bookable.flights).toContain(body.flight.flightNumber);
  expect(bookable.hotels).toContain(body.hotel.hotelId);
  expect(dayOf(body.flight.date)).toBeGreaterThanOrEqual(0);
  expect(dayOf(body.hotel.checkIn) + body.hotel.nights).toBeLessThan(SEED_DAYS);
  expect(headers.Prefer).toMatch(/^wait=([1-9]|[12][0-9]|30)$/);
  expect(headers['Idempotency-Key']).not.toBe('0');
}

describe('the stateful fuzz run steers POST /bookings', () => {
  test('three in seven to a hold, three to a declined booking whose hotel undo fails, one as generated', async () => {
    const calls = await sent('stateful', 14);
    const kinds = calls.map(({ body }) => ('hold' in body ? 'held' : 'faults' in body ? 'failing' : 'generated'));
    const week = ['held', 'failing', 'held', 'failing', 'held', 'failing', 'generated'];
    expect(kinds).toEqual([...week, ...week]);
    const held = calls.filter((_, i) => kinds[i] === 'held');
    const failing = calls.filter((_, i) => kinds[i] === 'failing');

    for (const call of [...held, ...failing]) expectSeededTrip(call);
    for (const { body } of held) {
      expect((body.hold as { minutes: number }).minutes).toBeGreaterThanOrEqual(30);
      expect(body).not.toHaveProperty('payment');
      expect(body).not.toHaveProperty('faults');
    }
    // Each hold for a customer of its own: the hold cap never refuses one.
    expect(new Set(held.map(({ body }) => body.customerId)).size).toBe(held.length);
    for (const { body } of failing) {
      expect(body).toMatchObject({
        payment: { card: { number: TEST_CARDS.declined } },
        faults: { cancelHotel: 'fail' },
      });
      expect(body).not.toHaveProperty('hold');
    }
    for (const call of calls.filter((_, i) => kinds[i] === 'generated'))
      expect(call).toEqual({ body: GENERATED, headers: { 'Idempotency-Key': '0' } });
  });

  test('the stateless phases send every body as generated', async () => {
    for (const call of await sent('examples,coverage,fuzzing', 3))
      expect(call).toEqual({ body: GENERATED, headers: { 'Idempotency-Key': '0' } });
  });
});
