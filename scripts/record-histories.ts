// Records one workflow history per failure-table scenario from a real dev server, as JSON under
// test/histories/<set>/, for the replay tests. After a change of what the workflow does (a new
// build, or a patched() change), record a new set named after the build and keep the old ones:
// `npm run record-histories -- v7-<change>` (docs/replay.md). The services are called as
// activities unless SERVICES_VIA=nexus.
// PostgreSQL: DATABASE_URL's server, else an embedded one. Temporal: a dev server it starts.
import { setTimeout as delay } from 'node:timers/promises';
import { createHotelService } from '../src/activities/hotels/activities.ts';
import { isTerminal, workflowIdFor, type BookingStatus } from '../src/booking/booking.ts';
import { startRecording } from './recording.ts';
import { HOLD_SCENARIOS, SCENARIOS, bookingBody, confirmBody, type Scenario } from './scenarios.ts';

const set = process.argv[2];
if (!set || !/^[a-z0-9-]+$/.test(set)) {
  console.error('usage: npm run record-histories -- <set name, e.g. v7-car-rental>');
  process.exit(2);
}
const {
  stack,
  token,
  record: recordHistory,
  close,
} = await startRecording('record-histories', set, {
  FAULT_INJECTION: 'on', // the failure table's scenarios inject faults
  // How the booking calls its services: SERVICES_VIA=nexus records the Nexus way's shape.
  SERVICES_VIA: process.env.SERVICES_VIA === 'nexus' ? 'nexus' : 'activity',
});

async function api(path: string, init?: RequestInit & { prefer?: string }) {
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    ...(init?.prefer ? { prefer: init.prefer } : {}),
  };
  const res = await fetch(`${stack.apiUrl}${path}`, { ...init, headers });
  return (await res.json()) as { bookingId: string; status: string; steps: { name: string; state: string }[] };
}

async function record(scenario: Scenario): Promise<void> {
  const wait = scenario.preferWait ? `wait=${scenario.preferWait}` : undefined;
  const { bookingId } = await api('/bookings', {
    method: 'POST',
    body: JSON.stringify(bookingBody(scenario)),
    ...(wait ? { prefer: wait } : {}),
  });
  for (let i = 0; i < 1200; i++) {
    const view = await api(`/bookings/${bookingId}`);
    // A busy machine: a query may time out (503); ask again.
    if (!Array.isArray(view.steps)) {
      await delay(200);
      continue;
    }
    if (scenario.action === 'confirm-when-held' && view.status === 'HELD') {
      await api(`/bookings/${bookingId}/confirm`, {
        method: 'POST',
        body: JSON.stringify(confirmBody(scenario)),
        ...(wait ? { prefer: wait } : {}),
      });
      scenario = { ...scenario, action: undefined };
    }
    if (scenario.action === 'cancel-when-held' && view.status === 'HELD') {
      await api(`/bookings/${bookingId}/cancel`, { method: 'POST', body: '{}' });
      scenario = { ...scenario, action: undefined };
    }
    if (scenario.action === 'cancel-during-hotel' && view.steps[1]?.state === 'RUNNING') {
      await api(`/bookings/${bookingId}/cancel`, { method: 'POST', body: '{}' });
      scenario = { ...scenario, action: undefined };
    }
    if (scenario.action === 'resolve-when-compensation-failed' && view.status === 'COMPENSATION_FAILED') {
      await createHotelService(stack.dbs.hotels).cancelHotel({ bookingId }); // "by hand", with the hotel service itself
      await api(`/bookings/${bookingId}/compensation/resolve`, {
        method: 'POST',
        body: JSON.stringify({ note: 'fixed by hand' }),
      });
      scenario = { ...scenario, action: undefined };
    }
    if (isTerminal(view.status as BookingStatus)) {
      if (view.status !== scenario.expected)
        throw new Error(`${scenario.name}: ended ${view.status}, expected ${scenario.expected}`);
      break;
    }
    await delay(100);
  }
  const handle = stack.client.workflow.getHandle(workflowIdFor(bookingId));
  for (let i = 0; i < 100 && (await handle.describe()).status.name === 'RUNNING'; i++) await delay(100);
  await recordHistory(scenario.name, workflowIdFor(bookingId));
}

// Holds and Prefer: wait exist from v4-hold on: only sets of that build or later record them.
const withHolds = !/^v[123]-/.test(set);
try {
  await Promise.all([...SCENARIOS, ...(withHolds ? HOLD_SCENARIOS : [])].map(record));
} finally {
  await close();
}
