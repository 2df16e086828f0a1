// Tuning: `npm run build:workflows` bundles the workflow code once, and `npm run worker` with
// WORKFLOW_BUNDLE_PATH runs it without a bundler in its process (and WORKER_MAX_CACHED_WORKFLOWS
// bounds its cache). A missing bundle fails fast with the fix. Both run as package.json runs
// them: plain node (its own type stripping, no tsx), the worker with its own node flags (a smaller
// young generation: bench/README.md), as the image does; with WORKER_HEALTH_FILE (the image's
// health check) the worker keeps that file fresh while it runs.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TASK_QUEUE, workflowIdFor } from '../src/booking/booking.ts';
import type { bookTrip } from '../src/workflows/book-trip.ts';
import { bookingInput } from './helpers/booking.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { createTimeSkippingEnv } from './helpers/temporal.ts';

let env: TestWorkflowEnvironment;
let tdb: TestDatabase;
let dir: string;
beforeAll(async () => {
  [env, tdb, dir] = await Promise.all([
    createTimeSkippingEnv(),
    createTestDatabase('worker_bundle'),
    mkdtemp(join(tmpdir(), 'bundle-')),
  ]);
});
afterAll(async () => {
  await env?.teardown();
  await tdb?.close();
  await rm(dir, { recursive: true, force: true });
});

const SCRIPTS = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
/** `node --max-semi-space-size=4 src/worker.ts`, as package.json runs it. */
const WORKER_ARGS = SCRIPTS.worker!.split(' ').slice(1);
/** `node scripts/build-workflows.ts`, as package.json runs it. */
const BUILD_ARGS = SCRIPTS['build:workflows']!.split(' ').slice(1);

function startWorker(extra: Record<string, string>) {
  let output = '';
  const child = spawn(process.execPath, WORKER_ARGS, {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      ...tdb.env,
      TEMPORAL_ADDRESS: env.address,
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output: () => output, exited };
}

test('a worker on a prebuilt bundle, with a bounded cache, runs a booking to CONFIRMED', async () => {
  const bundle = join(dir, 'workflow-bundle.js');
  // No environment needed: the bundle is the same whatever the worker's config (test/build/bundle.test.ts).
  await promisify(execFile)(process.execPath, [...BUILD_ARGS, bundle], { env: { PATH: process.env.PATH } });
  expect(existsSync(bundle)).toBe(true);
  const healthFile = join(dir, 'worker-alive');
  const worker = startWorker({
    WORKFLOW_BUNDLE_PATH: bundle,
    WORKER_MAX_CACHED_WORKFLOWS: '10',
    WORKER_HEALTH_FILE: healthFile,
  });
  try {
    for (let i = 0; !worker.output().includes('worker: task queue'); i++) {
      if (i > 600 || worker.child.exitCode !== null) throw new Error(`the worker did not start:\n${worker.output()}`);
      await delay(50);
    }
    // No bundler ran in the worker: webpack's "Workflow bundle created" line never appears.
    expect(worker.output()).not.toContain('Workflow bundle created');
    const input = await bookingInput(tdb.dbs);
    const handle = await env.client.workflow.start<typeof bookTrip>('bookTrip', {
      taskQueue: TASK_QUEUE,
      workflowId: workflowIdFor(input.bookingId),
      args: [input],
    });
    expect((await handle.result()).status).toBe('CONFIRMED');
    for (let i = 0; i < 200 && !existsSync(healthFile); i++) await delay(50); // rewritten every 5 s
    expect(Date.now() - statSync(healthFile).mtimeMs).toBeLessThan(30_000); // what the image's HEALTHCHECK checks
  } finally {
    worker.child.kill('SIGINT');
    await worker.exited;
  }
});

test('a missing WORKFLOW_BUNDLE_PATH fails fast, naming the fix', async () => {
  const worker = startWorker({ WORKFLOW_BUNDLE_PATH: join(dir, 'nope.js') });
  expect(await worker.exited).toBe(2);
  expect(worker.output()).toContain('does not exist: build it with `npm run build:workflows');
});
