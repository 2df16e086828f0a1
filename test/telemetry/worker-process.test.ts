// `npm run worker` as a real process (plain Node and its own type stripping, not vitest) against a
// time-skipping server: its Prometheus endpoint (METRICS_PORT) serves the SDK's temporal_ metrics,
// and its log lines are JSON, a booking's workflow and activity lines with workflowId and
// bookingId.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/dev/postgres.ts';
import { TASK_QUEUE, workflowIdFor } from '../../src/booking/booking.ts';
import type { bookTrip } from '../../src/workflows/book-trip.ts';
import { bookingInput } from '../helpers/booking.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { createTimeSkippingEnv } from '../helpers/temporal.ts';

let env: TestWorkflowEnvironment;
let tdb: TestDatabase;
let worker: ChildProcess;
let metricsPort: number;
let stdout = '';
let stderr = '';

beforeAll(async () => {
  [env, tdb, metricsPort] = await Promise.all([
    createTimeSkippingEnv(),
    createTestDatabase('telemetry_worker'),
    freePort(),
  ]);
  worker = spawn(process.execPath, ['src/worker.ts'], {
    // plain node, as in production
    env: {
      ...process.env,
      NODE_ENV: 'test',
      ...tdb.env,
      TEMPORAL_ADDRESS: env.address,
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  worker.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  for (let i = 0; !stdout.includes('worker: task queue'); i++) {
    if (i > 600 || worker.exitCode !== null) throw new Error(`the worker did not start:\n${stdout}\n${stderr}`);
    await delay(50);
  }
});
afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGINT');
    await exited;
  }
  await env?.teardown();
  await tdb?.close();
});

const jsonLines = () =>
  stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });

describe('the worker process', () => {
  test('a booking runs; every stdout line is JSON, its workflow and activity lines carry workflowId and bookingId', async () => {
    const input = await bookingInput(tdb.dbs);
    const workflowId = workflowIdFor(input.bookingId);
    const handle = await env.client.workflow.start<typeof bookTrip>('bookTrip', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
    });
    const result = await handle.result();
    expect(result.status).toBe('CONFIRMED');

    // Log lines arrive a little after the work they describe (the workflow's through a sink once
    // its task completes, the process's stdout when it flushes): wait for the ones checked below.
    const arrived = (lines: Record<string, unknown>[]) =>
      lines.some((l) => l.workflowId === workflowId && l.activityType === 'reserveFlight') &&
      lines.some(
        (l) =>
          l.workflowId === workflowId &&
          l.workflowType === 'bookTrip' &&
          l.activityType === undefined &&
          l.msg !== undefined,
      );
    for (let i = 0; i < 200 && !arrived(jsonLines()); i++) await delay(50);
    const lines = jsonLines();
    const mine = lines.filter((l) => l.workflowId === workflowId);
    for (const line of mine) expect(line.bookingId, JSON.stringify(line)).toBe(input.bookingId);
    // Activity lines (the SDK's "Activity started/completed", tagged with activityType).
    expect(
      mine.some((l) => l.activityType === 'reserveFlight'),
      stdout,
    ).toBe(true);
    // Workflow lines (the workflow's own log.info, tagged with workflowType).
    expect(
      mine.some((l) => l.workflowType === 'bookTrip' && l.activityType === undefined),
      stdout,
    ).toBe(true);
    for (const line of mine) {
      expect(typeof line.level).toBe('number');
      expect(typeof line.msg).toBe('string');
      expect(typeof line.time).toBe('number');
    }
  });

  test(`METRICS_PORT serves the SDK's Prometheus metrics at /metrics`, async () => {
    let text = '';
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      text = await res.text();
      if (/^temporal_\w+/m.test(text)) break;
      await delay(100);
    }
    expect(text).toMatch(/^temporal_\w+/m);
    expect(text).toMatch(/temporal_activity_execution_latency|temporal_workflow_task|temporal_request/);
  });
});
