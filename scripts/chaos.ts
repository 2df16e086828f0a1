// npm run chaos [-- --via activity|nexus|both --bookings 50 --workers 2 --pg-outage-ms 10000 --worker-kills 4 --seed 42]
// --via: how the booking calls its services (SERVICES_VIA of every worker): as activities (the
// default), over Nexus (each service's worker in its own namespace), or both, one run after the other.
// --workers: the booking's worker processes; each service has one of its own. The kills take the
// roles in turn, so with 4 kills each role's worker is SIGKILLed once.
// Prints one summary line per run; exits non-zero on any violation.
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { databaseUrlFor } from '../src/dev/postgres.ts';
import type { ServiceTransport } from '../src/booking/service-routes.ts';
import { runChaos, summary } from './chaos/run.ts';

const { values } = parseArgs({
  options: {
    bookings: { type: 'string', default: '50' },
    'pg-outage-ms': { type: 'string', default: '10000' },
    'worker-kills': { type: 'string', default: '4' },
    workers: { type: 'string', default: '2' },
    'cancel-share': { type: 'string', default: '0.25' },
    seed: { type: 'string' },
    via: { type: 'string', default: 'activity' },
  },
});
const WAYS = { activity: ['activity'], nexus: ['nexus'], both: ['activity', 'nexus'] } as const;
const ways = WAYS[values.via as keyof typeof WAYS] as readonly ServiceTransport[] | undefined;
if (!ways) {
  console.error(`npm run chaos: --via must be activity, nexus or both, not ${JSON.stringify(values.via)}`);
  process.exit(2);
}
Runtime.install({ logger: new DefaultLogger('ERROR') });
// One seed for every way: with --via both, the two runs plan the same bookings and the same kills.
const seed = values.seed ? Number(values.seed) : Date.now() % 2 ** 31;
let violations = 0;
for (const via of ways) {
  const report = await runChaos({
    via,
    bookings: Number(values.bookings),
    pgOutageMs: Number(values['pg-outage-ms']),
    workerKills: Number(values['worker-kills']),
    workers: Number(values.workers),
    cancelShare: Number(values['cancel-share']),
    seed,
    ...(process.env.DATABASE_URL ? { databaseServerUrl: databaseUrlFor(process.env.DATABASE_URL, 'postgres') } : {}),
  });
  for (const violation of report.violations) console.error(`violation (${via}): ${violation}`);
  // Over Nexus, what became of each operation a service's kill interrupted.
  for (const op of report.operationsAtKill) {
    console.log(
      `chaos: ${op.service} killed during ${op.activity} (attempt ${op.attemptAtKill}) of booking ${op.bookingId ?? '?'}: ` +
        `its activity ${op.activityOutcome} at attempt ${op.lastAttempt ?? '?'}${op.onRestartedWorker ? ' on the restarted worker' : ''}` +
        `${afterKill(op.msAfterKill)}${op.lastFailure ? ` (the attempt before: ${op.lastFailure})` : ''}; operation ${op.workflowStatus}${op.workflowTaskTimeouts.length > 0 ? ` (workflow task timeouts: ${op.workflowTaskTimeouts.join(', ')})` : ''}; the booking's operation ${op.bookingSaw}${afterKill(op.bookingMsAfterKill)}, booking ${op.bookingStatus ?? '?'}`,
    );
  }
  console.log(summary(report));
  violations += report.violations.length;
}
process.exit(violations > 0 ? 1 : 0);

function afterKill(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 0 ? ', before the kill landed' : ` ${ms} ms after the kill`;
}
