// What the history recorders share (record-histories.ts, record-reconcile-passes.ts): a dev stack
// of their own (its own dev server, and databases on DATABASE_URL's server or an embedded one), an
// operator's token for its API, and a workflow's history written as the replay tests read it.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import { loadConfig } from '../src/config.ts';
import { dropDatabases } from '../src/db/provision.ts';
import { databaseUrlFor, freePort } from '../src/dev/postgres.ts';
import { startStack, type Stack } from '../src/dev/stack.ts';
import { temporalCli } from '../src/temporal/executables.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface Recording {
  stack: Stack;
  /** An operator's token from the stack's dev issuer. */
  token: string;
  /** Writes a workflow's history (its latest run, or `runId`'s) as `<name>.json` in the set's folder. */
  record: (name: string, workflowId: string, runId?: string) => Promise<void>;
  /** Stops the stack, and drops its databases and its folder. */
  close: () => Promise<void>;
}

/** A stack to record from, writing into test/histories/`folder`/ (made if missing). */
export async function startRecording(label: string, folder: string, env: NodeJS.ProcessEnv): Promise<Recording> {
  const out = new URL(`../test/histories/${folder}/`, import.meta.url);
  await mkdir(out, { recursive: true });
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = await mkdtemp(join(tmpdir(), `${label}-`));
  const config = loadConfig({
    NODE_ENV: 'development',
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    ...(process.env.DATABASE_URL
      ? { DATABASE_URL: databaseUrlFor(process.env.DATABASE_URL, `trip_${label.replaceAll('-', '_')}_${Date.now()}`) }
      : {}),
    ...env,
  });
  const stack = await startStack({ config, dataDir: dir, apiPort: 0, logger: pino({ level: 'warn' }) });
  const token = await stack.devIssuer!.mint(label, 'bookings:operate');
  return {
    stack,
    token,
    record: async (name, workflowId, runId) => {
      // The CLI writes the history in Temporal's JSON format, which historyFromJSON reads back.
      const { stdout } = await promisify(execFile)(
        temporalCli()?.path ?? 'temporal',
        [
          'workflow',
          'show',
          '--workflow-id',
          workflowId,
          ...(runId ? ['--run-id', runId] : []),
          '--address',
          stack.temporalAddress,
          '--output',
          'json',
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      // Stack traces name files: relative to the checkout, never this machine's paths.
      const json = JSON.stringify(JSON.parse(stdout), null, 1).replaceAll(ROOT, './');
      await writeFile(new URL(`${name}.json`, out), `${json}\n`);
      console.log(`recorded ${name}`);
    },
    close: async () => {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
      // Its databases on DATABASE_URL's server (each service's with the role made for it).
      if (process.env.DATABASE_URL)
        await dropDatabases(databaseUrlFor(process.env.DATABASE_URL, 'postgres'), Object.values(stack.databaseUrls));
    },
  };
}
