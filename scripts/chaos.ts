// npm run chaos [-- --bookings 50 --workers 2 --pg-outage-ms 10000 --worker-kills 4 --seed 42]
// --workers: the booking's worker processes; each service has one of its own. The kills take the
// roles in turn, so with 4 kills each role's worker is SIGKILLed once.
// Prints one summary line; exits non-zero on any violation.
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { databaseUrlFor } from '../src/dev/postgres.ts';
import { runChaos, summary } from './chaos/run.ts';

const { values } = parseArgs({
  options: {
    bookings: { type: 'string', default: '50' },
    'pg-outage-ms': { type: 'string', default: '10000' },
    'worker-kills': { type: 'string', default: '4' },
    workers: { type: 'string', default: '2' },
    'cancel-share': { type: 'string', default: '0.25' },
    seed: { type: 'string' },
  },
});
Runtime.install({ logger: new DefaultLogger('ERROR') });
const report = await runChaos({
  bookings: Number(values.bookings),
  pgOutageMs: Number(values['pg-outage-ms']),
  workerKills: Number(values['worker-kills']),
  workers: Number(values.workers),
  cancelShare: Number(values['cancel-share']),
  ...(values.seed ? { seed: Number(values.seed) } : {}),
  ...(process.env.DATABASE_URL ? { databaseServerUrl: databaseUrlFor(process.env.DATABASE_URL, 'postgres') } : {}),
});
for (const violation of report.violations) console.error(`violation: ${violation}`);
console.log(summary(report));
process.exit(report.violations.length > 0 ? 1 : 0);
