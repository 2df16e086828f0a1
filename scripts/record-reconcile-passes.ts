// Records the reconciler's workflows from a real dev server, as JSON under
// test/histories/reconcile-passes/<set>/, for the replay tests: a pass that gave back a terminated
// hold (gave-back.json), a pass whose refund the payments database refused (refused.json; one
// pass that did both: gave-back-and-refused.json), and, on builds that hand such a booking over,
// the give-back workflow that refunded it once the database took refunds again (give-back.json). A pass is AUTO_UPGRADE: one in flight during a rollout goes
// on on the new build, so every recorded set must replay on today's code (docs/replay.md).
// `npm run record-reconcile-passes -- <set>`; PostgreSQL: DATABASE_URL's server, else an embedded one.
import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { sampleCards } from '../src/activities/payments/cards.ts';
import { workflowIdFor } from '../src/booking/booking.ts';
import { utcDay } from '../src/common/dates.ts';
import { temporalCli } from '../src/temporal/executables.ts';
import { startRecording } from './recording.ts';

const set = process.argv[2];
if (!set || !/^[a-z0-9-]+$/.test(set)) {
  console.error('usage: npm run record-reconcile-passes -- <set name, e.g. hand-over>');
  process.exit(2);
}
const { stack, token, record, close } = await startRecording('record-reconcile', `reconcile-passes/${set}`, {
  FAULT_INJECTION: 'on',
  SERVICES_VIA: 'activity',
  RECONCILE_INTERVAL: '2s',
});
const run = promisify(execFile);
const cli = temporalCli()?.path ?? 'temporal';

async function book(body: object): Promise<string> {
  const res = await fetch(`${stack.apiUrl}/bookings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /bookings: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { bookingId: string }).bookingId;
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await delay(250)) {
    const value = await read();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface PassResult {
  gaveBack: { bookingId: string }[];
  failed: { bookingId: string }[];
}

/** The first completed pass that `matches`, with its run. */
function passThat(matches: (result: PassResult) => boolean) {
  return until('a reconciler pass', async () => {
    for await (const e of stack.client.workflow.list({
      query: `WorkflowType = 'reconcileBookings' AND ExecutionStatus = 'Completed'`,
    })) {
      const result = (await stack.client.workflow.getHandle(e.workflowId, e.runId).result()) as PassResult;
      if (matches(result)) return { workflowId: e.workflowId, runId: e.runId };
    }
    return undefined;
  });
}

const trip = (day: number, flightNumber: string, hotelId: string) => {
  const date = utcDay(day);
  return {
    customerId: 'record-reconcile',
    flight: { flightNumber, date, seats: 1 },
    hotel: { hotelId, checkIn: date, nights: 1, rooms: 1 },
  };
};

try {
  // A hold, terminated while HELD: the pass gives back its flight and hotel.
  const held = await book({ ...trip(50, 'TB200', 'HTL-SEOUL-MYEONGDONG'), hold: { minutes: 60 } });
  await until('the hold HELD', async () =>
    (await stack.dbs.booking.booking.findUnique({ where: { id: held } }))?.status === 'HELD' ? true : undefined,
  );
  await run(cli, ['workflow', 'terminate', '--workflow-id', workflowIdFor(held), '--address', stack.temporalAddress]);

  // A booking whose charge committed, terminated before it answered; the payments database refuses its refund.
  const refused = await book({
    ...trip(50, 'TB300', 'HTL-SF-UNION'),
    payment: { card: sampleCards().good },
    faults: { chargePayment: 'timeout:3' },
  });
  await until('the payment captured', async () =>
    (await stack.dbs.payments.payment.findUnique({ where: { bookingId: refused } }))?.status === 'CAPTURED'
      ? true
      : undefined,
  );
  const trigger = `refuse_refund_${refused.replaceAll('-', '')}`;
  await stack.dbs.payments.$executeRawUnsafe(`CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the card network refuses refunds of this payment'; END $$`);
  await stack.dbs.payments.$executeRawUnsafe(`CREATE TRIGGER ${trigger} BEFORE UPDATE ON payments FOR EACH ROW
    WHEN (NEW.booking_id = '${refused}' AND NEW.status::text = 'REFUNDED') EXECUTE FUNCTION ${trigger}()`);
  await run(cli, [
    'workflow',
    'terminate',
    '--workflow-id',
    workflowIdFor(refused),
    '--address',
    stack.temporalAddress,
  ]);

  const gaveBack = await passThat((r) => r.gaveBack.some((b) => b.bookingId === held));
  const failed = await passThat((r) => r.failed.some((b) => b.bookingId === refused));
  // One pass often does both: it is recorded once.
  if (gaveBack.runId === failed.runId) await record('gave-back-and-refused', failed.workflowId, failed.runId);
  else {
    await record('gave-back', gaveBack.workflowId, gaveBack.runId);
    await record('refused', failed.workflowId, failed.runId);
  }

  // Refunds are taken again: a build that hands the booking over refunds it in its give-back workflow.
  await stack.dbs.payments.$executeRawUnsafe(`DROP TRIGGER ${trigger} ON payments`);
  const giveBack = stack.client.workflow.getHandle(`give-back-${refused}`);
  const handedOver = await giveBack.describe().then(
    () => true,
    () => false,
  );
  if (handedOver) {
    await giveBack.result();
    await record('give-back', giveBack.workflowId);
  }
} finally {
  await close();
}
