// Every recorded history (test/histories/, from `npm run record-histories` against a real dev
// server) must replay on today's workflow code; a non-deterministic change must fail the replay.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, test } from 'vitest';
import { WORKFLOWS_PATH } from '../../src/temporal.ts';

const HISTORIES = fileURLToPath(new URL('../histories/', import.meta.url));
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function loadHistories() {
  const files = (await readdir(HISTORIES)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(await readFile(`${HISTORIES}${file}`, 'utf8'))),
    })),
  );
}

async function replayAll(bundle: WorkflowBundleWithSourceMap) {
  const results: { workflowId: string; error?: unknown }[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'replay-test' }, await loadHistories())) {
    results.push({ workflowId: result.workflowId, ...(result.error ? { error: result.error } : {}) });
  }
  return results;
}

let current: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  current = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
});

describe('recorded histories', () => {
  test('cover the failure table', async () => {
    const names = (await loadHistories()).map((h) => h.workflowId);
    expect(names).toEqual(
      expect.arrayContaining([
        'confirmed',
        'flight-sold-out',
        'hotel-sold-out',
        'card-declined',
        'card-expired',
        'charge-payment-fail',
        'reserve-hotel-timeout-every-attempt',
        'cancel-hotel-fail-resolved',
        'user-cancel-during-hotel',
      ]),
    );
  });

  test('all replay on the current workflow code', async () => {
    const results = await replayAll(current);
    expect(results.length).toBeGreaterThanOrEqual(17);
    expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`)).toEqual([]);
  });

  test('a non-deterministic change (hotel before flight) fails the replay', async () => {
    const reordered = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../fixtures/reordered-workflow/index.ts', import.meta.url)),
      logger: quiet,
    });
    const results = await replayAll(reordered);
    // Every history that got as far as reserving the flight now disagrees with the code.
    const failed = results.filter((r) => r.error);
    expect(failed.map((r) => r.workflowId)).toContain('confirmed');
    expect(failed.length).toBe(results.length);
    for (const { error } of failed) expect(error).toBeInstanceOf(DeterminismViolationError);
  });
});
