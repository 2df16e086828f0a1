// A step on a busy connection pool: its transaction waits for a connection for about as long as
// its attempt may run, not Prisma's 2 s. Before, a reserve behind 3 s of other work failed its
// attempt with "Unable to start a transaction in the given time" (the 100-request Idempotency-Key
// burst under load ran out of the flight's 3 attempts that way).
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createActivities } from '../../src/activities/index.ts';
import { createFlightsDb, type FlightsDb } from '../../src/activities/flights/db.ts';
import { FLIGHT } from '../helpers/booking.ts';
import { createTestDatabase, invariantViolations, type TestDatabase } from '../helpers/db.ts';

let tdb: TestDatabase;
/** The flight service's database, over a pool of one connection. */
let onePool: FlightsDb;
beforeAll(async () => {
  tdb = await createTestDatabase('busy_pool');
  onePool = createFlightsDb(tdb.urls.flights, { max: 1 });
});
afterAll(async () => {
  await onePool?.$disconnect();
  await tdb?.close();
});

function run<I, R>(fn: (input: I) => Promise<R>, input: I): Promise<R> {
  const env = new MockActivityEnvironment(
    { attempt: 1, startToCloseTimeoutMs: 5_000 },
    { logger: new DefaultLogger('ERROR') },
  );
  return env.run<[I], R, (input: I) => Promise<R>>(fn, input);
}

/** Holds the pool's only connection for `ms`, as other work would. */
function holdTheConnection(ms: number): Promise<unknown> {
  return onePool.$transaction((tx) => tx.$executeRaw`SELECT pg_sleep(${ms / 1000})`, { timeout: ms + 5_000 });
}

test("a reserve and a cancel each wait 3 s for the pool's one connection, then do their work", async () => {
  const activities = createActivities({ dbs: { ...tdb.dbs, flights: onePool }, faultInjection: false });
  const bookingId = randomUUID();
  const behindBusyPool = async <R>(step: () => Promise<R>): Promise<R> => {
    const busy = holdTheConnection(3_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const result = await step();
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    await busy;
    return result;
  };
  const flight = await behindBusyPool(() => run(activities.reserveFlight, { bookingId, ...FLIGHT }));
  expect(flight.reservationId).toBeTruthy();
  expect(await behindBusyPool(() => run(activities.cancelFlight, { bookingId }))).toMatchObject({ outcome: 'UNDONE' });
  expect(await invariantViolations(tdb.dbs)).toEqual([]);
});
