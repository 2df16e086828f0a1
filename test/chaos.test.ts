// A smaller chaos run inside `npm test` (the full one is `npm run chaos`, also run by CI), each way
// the booking calls its services: two booking worker processes share its task queue, and each
// service runs a worker process of its own (over Nexus, in the service's own namespace behind its
// endpoint); a SIGKILL of each role's worker, a Temporal dev server restart and a PostgreSQL outage
// while bookings run and some are cancelled; afterwards every booking has ended, every invariant
// holds (room-nights included: the stays overlap), and each worker ran some of the work. The two
// runs are in one file so that they run one after the other, never side by side.
import { expect, inject, test } from 'vitest';
import { runChaos, summary } from '../scripts/chaos/run.ts';
import { SEED_DAYS } from '../src/activities/shared/seed.ts';
import type { ServiceTransport } from '../src/booking/service-routes.ts';

async function smallRun(via: ServiceTransport) {
  const report = await runChaos({
    via,
    bookings: 16,
    pgOutageMs: 5_000,
    workerKills: 4,
    workers: 2,
    cancelShare: 0.3,
    seed: 20261122,
    databaseServerUrl: inject('databaseServerUrl'),
    log: () => undefined,
  });
  console.log(summary(report));
  expect(report.via).toBe(via);
  expect(report.violations).toEqual([]);
  expect(Object.values(report.byStatus).reduce((a, b) => a + b, 0)).toBe(16);
  expect(report.workerKills).toBe(4);
  expect(report.killsByRole).toEqual({ booking: 1, flights: 1, hotels: 1, payments: 1 });
  expect(report.temporalRestarts).toBe(1);
  // The stays took nights beyond the seed's, and each night's rooms were checked against them.
  expect(report.hotelNights).toBeGreaterThan(SEED_DAYS);
  // Each of the five workers ran some of the work (the run also reports a violation otherwise).
  expect(report.workerRoles).toEqual(['booking', 'booking', 'flights', 'hotels', 'payments']);
  for (const tasks of report.tasksByWorker) expect(tasks).toBeGreaterThan(0);
  return report;
}

test('nothing is lost or doubled when the worker, Temporal and PostgreSQL fail mid-saga', async () => {
  const report = await smallRun('activity');
  expect(report.serviceOperations).toBe(0);
}, 240_000);

test('over Nexus too: each service in its own namespace, its worker killed mid-operation', async () => {
  const report = await smallRun('nexus');
  // The services' work ran as operations in their namespaces, and each of them ended (the run
  // reports one still running as a violation).
  expect(report.serviceOperations).toBeGreaterThan(0);
  // An operation whose activity a kill interrupted and that ran again afterwards ran on the
  // service's restarted worker, the only one of its namespace's queue.
  for (const op of report.operationsAtKill) {
    expect(op.workflowStatus, op.workflowId).not.toBe('RUNNING');
    if ((op.lastAttempt ?? 0) > op.attemptAtKill) expect(op.onRestartedWorker, op.workflowId).toBe(true);
  }
}, 240_000);
