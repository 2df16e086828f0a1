// `temporal workflow reset --type FirstWorkflowTask` of a CONFIRMED booking, on the dev stack
// (`npm run dev`'s: a real dev server, the versioned worker, the API): the new run reruns every
// step, finds the same reservations and payment and takes nothing twice, and its read-model writes
// are newer than the replaced run's (a booking's version never goes back), so the list and GET
// show the run that now stands.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import type { Stack } from '../../src/dev/stack.ts';
import { workflowIdFor } from '../../src/booking/booking.ts';
import { temporalCli } from '../../src/temporal/executables.ts';
import { bookingBody } from '../api/support.ts';
import { invariantViolations, rowCountsFor, serviceRows } from '../helpers/db.ts';
import { startTestStack, type TestStack } from '../helpers/dev-stack.ts';
import { poll } from '../helpers/poll.ts';
import { FORWARD_ACTIVITIES } from '../helpers/steps.ts';
import { activitySequence } from '../helpers/temporal.ts';

const run = promisify(execFile);

let stack: Stack;
let testStack: TestStack | undefined;
let token: string;
beforeAll(async () => {
  testStack = await startTestStack('reset');
  stack = testStack.stack;
  token = await stack.devIssuer!.mint('op-reset', 'bookings:operate');
});
afterAll(async () => {
  await testStack?.stop();
});

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  });
  expect(res.status, path).toBeLessThan(300);
  return (await res.json()) as T;
}
const getBooking = (id: string) => api<BookingView>(`/bookings/${id}`);
const listed = async (id: string) =>
  (await api<{ items: { bookingId: string; status: string }[] }>('/bookings?limit=100')).items.find(
    (b) => b.bookingId === id,
  );

describe('temporal workflow reset', () => {
  test('--type FirstWorkflowTask of a CONFIRMED booking reruns every step, takes nothing twice, and its version grows', async () => {
    const { bookingId: id } = await api<BookingView>('/bookings', {
      method: 'POST',
      body: JSON.stringify(bookingBody({ customerId: 'cust-reset' })),
    });
    const before = await poll(
      () => getBooking(id),
      (v) => v.status === 'CONFIRMED' && v.source === 'read-model',
      { what: 'CONFIRMED', timeoutMs: 30_000 },
    );
    const rowsBefore = await serviceRows(stack.dbs, id);
    const handle = stack.client.workflow.getHandle(workflowIdFor(id));
    const firstRun = (await handle.describe()).runId;

    await run(temporalCli()?.path ?? 'temporal', [
      'workflow',
      'reset',
      '--workflow-id',
      workflowIdFor(id),
      '--type',
      'FirstWorkflowTask',
      '--reason',
      'test: rerun every step',
      '--address',
      stack.temporalAddress,
      '--namespace',
      'default',
    ]);

    // The new run reruns the three steps and ends CONFIRMED again.
    const rerun = await poll(
      () => stack.client.workflow.getHandle(workflowIdFor(id)).describe(),
      (d) => d.runId !== firstRun && d.status.name === 'COMPLETED',
      {
        what: 'the reset run to complete',
        timeoutMs: 30_000,
      },
    );
    const history = await stack.client.workflow.getHandle(workflowIdFor(id), rerun.runId).fetchHistory();
    expect(activitySequence(history).filter((a) => !a.startsWith('syncBooking'))).toEqual(FORWARD_ACTIVITIES);

    // The same reservations and payment: nothing taken twice.
    const rowsAfter = await serviceRows(stack.dbs, id);
    expect(rowsAfter.flight?.id).toBe(rowsBefore.flight?.id);
    expect(rowsAfter.hotel?.id).toBe(rowsBefore.hotel?.id);
    expect(rowsAfter.payment).toMatchObject({
      id: rowsBefore.payment?.id,
      status: 'CAPTURED',
      amountCents: rowsBefore.payment?.amountCents,
    });
    expect(await rowCountsFor(stack.dbs, id)).toMatchObject({ flights: 1, hotels: 1, payments: 1 });
    expect(await invariantViolations(stack.dbs)).toEqual([]);

    // The read model took the new run's end (the replaced run's version was lower); list and GET agree.
    const after = await getBooking(id);
    expect(after).toMatchObject({ status: 'CONFIRMED', source: 'read-model' });
    expect(after.version).toBeGreaterThan(before.version);
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect(await listed(id)).toMatchObject({ status: 'CONFIRMED' });
  });
});
