// The dev build ID (src/temporal/versioning.ts) hashes the sources that decide what a workflow
// does: they must be exactly our modules that the prebuilt workflow bundle (WORKFLOW_BUNDLE_OPTIONS)
// holds. A module the bundle carries but the hash misses is a workflow change that keeps its build.
import { resolve, sep } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { beforeAll, describe, expect, test } from 'vitest';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../src/temporal/worker-factory.ts';
import { workflowSources } from '../../src/temporal/versioning.ts';
import { quietLogger } from '../helpers/temporal.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SAGA_DIST = /[\\/]packages[\\/]saga[\\/]dist[\\/](.+)\.js$/;

/** The bundle's modules, absolute: webpack names each (`/***\/ "<id>"`) relative to its context, the working directory. */
let modules: string[];
beforeAll(async () => {
  const { code } = await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: quietLogger });
  modules = [...code.matchAll(/^\/\*{3}\/ "([^"]+)"/gm)].map(([, id]) => resolve(process.cwd(), id!));
});

describe('the dev build ID follows the workflow bundle', () => {
  test("our src/ modules in the bundle are exactly workflowSources()'s", () => {
    const inSrc = (file: string) => file.startsWith(resolve(ROOT, 'src') + sep);
    const inBundle = modules.filter(inSrc).sort();
    const hashed = workflowSources().filter(inSrc).sort();
    expect(inBundle).toContain(resolve(ROOT, 'src/workflows/index.ts')); // the markers were read
    expect(hashed).toEqual(inBundle);
  });

  test("the saga package's modules in the bundle (its dist) are hashed as their sources", () => {
    // The bundle takes @trip-saga/saga from its dist, wherever node_modules links the workspace
    // package; the build ID hashes the sources that dist is built from.
    const sagaInBundle = modules
      .flatMap((m) => SAGA_DIST.exec(m)?.[1] ?? [])
      .map((name) => resolve(ROOT, 'packages/saga/src', `${name}.ts`));
    expect(sagaInBundle).toContain(resolve(ROOT, 'packages/saga/src/saga.ts'));
    expect(workflowSources()).toEqual(expect.arrayContaining(sagaInBundle));
  });
});
