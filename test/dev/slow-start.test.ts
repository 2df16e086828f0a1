// `npm run dev` on a loaded machine: the SDK gives a dev server a fixed 5 s to answer, then kills
// it. The stack starts it again. Here the `temporal` CLI is a wrapper of the test's own that makes
// its first start slower than 5 s and starts the real CLI every time after.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, expect, inject, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { databaseUrlFor, freePort } from '../../src/dev/postgres.ts';
import { startStack, type Stack } from '../../src/dev/stack.ts';
import { findOnPath } from '../../src/temporal/executables.ts';
import { dropDatabases } from '../helpers/db.ts';

let stack: Stack | undefined;
let dir: string | undefined;
afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  // The stack's databases, each service's with the role it was provisioned with.
  if (stack) await dropDatabases(inject('databaseServerUrl'), Object.values(stack.databaseUrls));
});

test("a dev server slower than the SDK's 5 s to start is started again, and the stack comes up", async () => {
  const temporal = process.env.TEMPORAL_CLI_PATH || findOnPath('temporal');
  expect(temporal, 'the temporal CLI must be on PATH or in TEMPORAL_CLI_PATH').toBeTruthy();
  dir = await mkdtemp(join(tmpdir(), 'trip-slow-start-'));
  const starts = join(dir, 'starts');
  const wrapper = join(dir, 'temporal');
  // The first start sleeps past the SDK's limit (the SDK kills it then); later ones are the real CLI.
  await writeFile(
    wrapper,
    `#!/bin/sh\necho start >> '${starts}'\nif [ "$(wc -l < '${starts}')" -eq 1 ]; then sleep 30; fi\nexec '${temporal}' "$@"\n`,
  );
  await chmod(wrapper, 0o755);
  const env = {
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrlFor(inject('databaseServerUrl'), `trip_test_slow_start_${randomBytes(4).toString('hex')}`),
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_CLI_PATH: wrapper,
  };
  const saved = process.env.TEMPORAL_CLI_PATH;
  process.env.TEMPORAL_CLI_PATH = wrapper; // temporalCli() reads it
  try {
    stack = await startStack({ config: loadConfig(env), dataDir: dir, apiPort: 0, logger: pino({ level: 'silent' }) });
  } finally {
    if (saved === undefined) delete process.env.TEMPORAL_CLI_PATH;
    else process.env.TEMPORAL_CLI_PATH = saved;
  }
  expect((await readFile(starts, 'utf8')).trim().split('\n')).toHaveLength(2);
  expect((await stack.client.workflowService.getSystemInfo({})).capabilities).toBeDefined();
});
