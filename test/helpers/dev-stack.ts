// A dev stack of the test file's own (`npm run dev`'s: a real `temporal server start-dev`, the
// versioned worker, the API), on databases of its own on the suite's PostgreSQL (the booking
// service's, and each service's with its own role, as `npm run dev` provisions them), free ports,
// and a data folder of its own; stop() takes all of it away again, roles included.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { databaseUrlFor, freePort } from '../../src/dev/postgres.ts';
import { startStack, type Stack, type StackOptions } from '../../src/dev/stack.ts';
import { dropDatabases } from './db.ts';

export interface TestStack {
  stack: Stack;
  stop(): Promise<void>;
}

/**
 * Starts the stack with `env` over the defaults (NODE_ENV test, faults on, free ports, the
 * services as activities: these stacks' tests read a step's attempts and operator tools in the
 * booking's own namespace; the Nexus way, `npm run dev`'s default, has tests of its own:
 * test/nexus/both-ways.test.ts, test/dev/stack.test.ts).
 */
export async function startTestStack(
  label: string,
  env: Record<string, string> = {},
  options: Partial<Pick<StackOptions, 'taskQueue' | 'reconcileGoneAfterMs' | 'logger'>> = {},
): Promise<TestStack> {
  const serverUrl = inject('databaseServerUrl');
  const database = `trip_${label}_${randomBytes(4).toString('hex')}`;
  const dataDir = await mkdtemp(join(tmpdir(), `trip-${label}-`));
  const config = loadConfig({
    NODE_ENV: 'test',
    FAULT_INJECTION: 'on',
    SERVICES_VIA: 'activity',
    DATABASE_URL: databaseUrlFor(serverUrl, database),
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    ...env,
  });
  const stack = await startStack({ config, dataDir, apiPort: 0, logger: pino({ level: 'silent' }), ...options });
  return {
    stack,
    async stop() {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
      await dropDatabases(serverUrl, Object.values(stack.databaseUrls));
    },
  };
}
