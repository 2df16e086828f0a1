// The worker's liveness file (the image's HEALTHCHECK; the worker has no HTTP port): absent
// before the worker runs, rewritten while it is RUNNING, removed once it has shut down.
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTripWorkers } from '../../src/temporal/worker-factory.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { createTimeSkippingEnv } from '../helpers/temporal.ts';

/** No workflows to bundle: an activity worker is enough to have a worker state. */
const ACTIVITIES_ONLY = { workflowsPath: undefined, shutdownGraceTime: '1s' } as const;

let env: TestWorkflowEnvironment;
let tdb: TestDatabase;
let dir: string;
beforeAll(async () => {
  [env, tdb, dir] = await Promise.all([
    createTimeSkippingEnv(),
    createTestDatabase('worker_health'),
    mkdtemp(join(tmpdir(), 'health-')),
  ]);
});
afterAll(async () => {
  await env?.teardown();
  await tdb?.close();
  await rm(dir, { recursive: true, force: true });
});

test('the health file is fresh while the worker runs, and gone once it stops', async () => {
  const file = join(dir, 'worker-alive');
  const worker = await createTripWorkers({
    connection: env.nativeConnection,
    taskQueue: 'health-test',
    dbs: tdb.dbs,
    faultInjection: false,
    healthFile: file,
    healthIntervalMs: 50,
    worker: ACTIVITIES_ONLY,
  });
  await delay(200);
  expect(existsSync(file)).toBe(false); // created, not running yet
  await worker.runUntil(async () => {
    for (let i = 0; i < 100 && !existsSync(file); i++) await delay(20);
    const first = statSync(file).mtimeMs;
    await delay(300);
    const later = statSync(file).mtimeMs;
    expect(later).toBeGreaterThan(first);
    expect(Date.now() - later).toBeLessThan(1_000);
  });
  for (let i = 0; i < 100 && existsSync(file); i++) await delay(20);
  expect(existsSync(file)).toBe(false);
});

test('no health file unless asked: healthFile unset and WORKER_HEALTH_FILE empty', async () => {
  const before = process.env.WORKER_HEALTH_FILE;
  process.env.WORKER_HEALTH_FILE = '';
  try {
    const worker = await createTripWorkers({
      connection: env.nativeConnection,
      taskQueue: 'health-none',
      dbs: tdb.dbs,
      faultInjection: false,
      healthIntervalMs: 20,
      worker: ACTIVITIES_ONLY,
    });
    await worker.runUntil(delay(200));
    expect(existsSync(join(dir, 'worker-alive'))).toBe(false);
  } finally {
    if (before === undefined) delete process.env.WORKER_HEALTH_FILE;
    else process.env.WORKER_HEALTH_FILE = before;
  }
});
