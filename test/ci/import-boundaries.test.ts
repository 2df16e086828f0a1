// The import boundaries of eslint.config.js, run through ESLint with this repository's config on
// small snippets linted as if they were files of the repository: workflow code value-imports only
// the workflow sandbox and workflow-safe packages; the API, the database and the page never load
// activity code. Each import is resolved to the file it names, so no spelling of a path gets by.
import { join } from 'node:path';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

/** The boundary problems ESLint reports for `code` as the repository's `file` (other rules' findings are not this test's). */
async function boundaryProblems(file: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  expect(result!.messages.filter((m) => m.fatal)).toEqual([]);
  return result!.messages.filter((m) => m.ruleId?.startsWith('boundaries/'));
}

const STEP = 'src/activities/flights/step.ts';
const WORKFLOW = 'src/workflows/book-trip.ts';
const BOOKING = 'src/booking/steps.ts';

describe('the workflow sandbox', () => {
  test.each([
    // A service's step row reaching for its activities, the database or the activity SDK.
    [STEP, "import { createFlightActivities } from './activities.ts';"],
    [STEP, "import { createFlightActivities } from './activities';"],
    [STEP, "import { holdRows } from '../shared/reservations.ts';"],
    [STEP, "import { Context } from '@temporalio/activity';"],
    [STEP, "import { db } from '../../db/client.ts';"],
    [STEP, "import { PrismaClient } from '../../generated/prisma/client.ts';"],
    [STEP, "import { Pool } from 'pg';"],
    [STEP, "import './activities.ts';"],
    [STEP, "export { createFlightActivities } from './activities.ts';"],
    [STEP, "export * from './activities.ts';"],
    [STEP, "export { default as flights, type FlightActivities } from './index.ts';"],
    [STEP, "const activities = await import('./activities.ts'); export default activities;"],
    [STEP, "const name = './activities.ts'; export default await import(name);"],
    // The bundle drops an import of inline types only, but Node keeps it: the API, which loads the
    // step rows, would load the activities with them.
    [STEP, "import { type FlightActivities } from './activities.ts';"],
    // Workflows and the booking's table reaching past the service contracts.
    [WORKFLOW, "import { createActivities } from '../activities/index.ts';"],
    [WORKFLOW, "import { SERVICES } from '../activities/services.ts';"],
    [WORKFLOW, "import { reconcile } from '../activities/reconcile.ts';"],
    [WORKFLOW, "import { flightSchema } from '../activities/flights/schema.ts';"],
    [WORKFLOW, "import { loadConfig } from '../config.ts';"],
    [WORKFLOW, "import { Saga } from '../../packages/saga/src/index.ts';"],
    [WORKFLOW, "import { z } from 'zod';"],
    [WORKFLOW, "import { Client } from '@temporalio/client';"],
    [BOOKING, "import { flights } from '../activities/flights/index.ts';"],
    [BOOKING, "import { bookFlight } from '../activities/flights/books.ts';"],
  ])('%s: %s is refused', async (file, code) => {
    const problems = await boundaryProblems(file, code);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.ruleId).toBe('boundaries/workflow-sandbox');
  });

  test.each([
    [STEP, "import { createHash } from 'node:crypto';"],
    [STEP, "import type { Hash } from 'node:crypto';"],
    [WORKFLOW, "import { setTimeout } from 'timers';"],
  ])('%s: the Node builtin of %s is refused, even as a type', async (file, code) => {
    const problems = await boundaryProblems(file, code);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/Node builtin.*activity/)]);
  });

  test.each([
    // Types are free: nothing of them reaches the bundle.
    [STEP, "import type { FlightActivities } from './activities.ts';"],
    [STEP, "export type { FlightActivities } from './activities.ts';"],
    [STEP, "export type * from './activities.ts';"],
    [WORKFLOW, "import type { Activities } from '../activities/index.ts';"],
    [WORKFLOW, "import type { PrismaClient } from '../generated/prisma/client.ts';"],
    [WORKFLOW, "import type { Client } from '@temporalio/client';"],
    [WORKFLOW, "import { type Client } from '@temporalio/client';"],
    [WORKFLOW, "import { type HoldState } from './hold.ts';"],
    // The sandbox's own files and the workflow-safe packages.
    [STEP, "import { STEP_OPTIONS } from '../shared/step-options.ts';"],
    [STEP, "import { FLIGHT } from './types.ts';"],
    [STEP, "import { words } from '../../common/words.ts';"],
    [STEP, "export { FLIGHT } from './types.ts';"],
    [WORKFLOW, "import { proxyActivities } from '@temporalio/workflow';"],
    [WORKFLOW, "import { ApplicationFailure } from '@temporalio/common';"],
    [WORKFLOW, "import { Saga } from '@trip-saga/saga';"],
    [WORKFLOW, "import { STEPS } from '../booking/steps.ts';"],
    [WORKFLOW, "import { flightStep } from '../activities/flights/step.ts';"],
    [WORKFLOW, "export { bookTrip } from './book-trip.ts';"],
    [WORKFLOW, "export * from './hold.ts';"],
    [BOOKING, "import { CARD } from '../activities/payments/types.ts';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await boundaryProblems(file, code)).toEqual([]);
  });

  test('an inline-types-only import of activity code is told to be `import type`', async () => {
    const [problem] = await boundaryProblems(STEP, "import { type FlightActivities } from './activities.ts';");
    expect(problem!.message).toMatch(/Node keeps.*import type/);
  });

  test('the message names the file the import resolves to and what to do instead', async () => {
    const [problem] = await boundaryProblems(STEP, "import { holdRows } from '../shared/reservations.ts';");
    expect(problem!.message).toContain('src/activities/shared/reservations.ts');
    expect(problem!.message).toContain('import type');
    const [pkg] = await boundaryProblems(STEP, "import { Context } from '@temporalio/activity';");
    expect(pkg!.message).toMatch(/@temporalio\/workflow.*@trip-saga\/saga/);
  });
});

const API = 'src/api/http/openapi.ts';
const DB = 'src/db/read-model.ts';
const WEB = 'src/web/book-form.ts';

/** What loads activity code, from src/api/http/. */
const ACTIVITY_CODE = [
  'index.ts',
  'services.ts',
  'invariants.ts',
  'read-model.ts',
  'reconcile.ts',
  'flights/activities.ts',
  'flights/index.ts',
  'flights/books.ts',
  'hotels/activities.ts',
  'payments/index.ts',
  'payments/books.ts',
  'shared/reservations.ts',
  'shared/books.ts',
  'shared/service.ts',
  'shared/failures.ts',
  'databases.ts',
  'flights/seed.ts',
  'hotels/seed.ts',
];

/** A service's contract, the deliberately shared data access, and the sandbox's shared files. */
const CONTRACTS = [
  ...['flights', 'hotels', 'payments'].flatMap((service) =>
    ['types', 'step', 'schema', 'view', 'db'].map((file) => `${service}/${file}.ts`),
  ),
  // The inventory routers the API mounts, over their services' own databases.
  ...['flights', 'hotels'].flatMap((service) => ['routes', 'inventory'].map((file) => `${service}/${file}.ts`)),
  'payments/cards.ts',
  'payments/vault.ts',
  'hotels/room-nights.ts',
  'shared/request-fields.ts',
  // The workflow sandbox's shared files: what the workflow may load, anything may.
  'shared/contract.ts',
  'shared/step-options.ts',
];

describe('not the worker: the API, the database, the page', () => {
  test.each(ACTIVITY_CODE)('src/api: a value import of src/activities/%s is refused', async (target) => {
    const problems = await boundaryProblems(API, `import { x } from '../../activities/${target}';`);
    expect(problems.map((p) => p.ruleId)).toEqual(['boundaries/not-the-worker']);
    expect(problems[0]!.message).toContain(`src/activities/${target}`);
    expect(problems[0]!.message).toMatch(/only the worker.*contract/);
  });

  test.each([
    [API, "export { SERVICES } from '../../activities/services.ts';"],
    [API, "export * from '../../activities/services.ts';"],
    [API, "import '../../activities/index.ts';"],
    [API, "import { SERVICES } from '../../activities/services';"],
    [API, "const services = await import('../../activities/services.ts'); export default services;"],
    // Node's type stripping keeps an import whose specifiers are all inline types: it loads the module.
    [API, "import { type FlightActivities } from '../../activities/flights/activities.ts';"],
    [DB, "import { bookFlight } from '../activities/flights/books.ts';"],
    [DB, "import { SERVICES } from '../activities/services.ts';"],
    [WEB, "import { createActivities } from '../activities/index.ts';"],
    // A contract that the API may load must not load activity code itself.
    ['src/activities/flights/schema.ts', "import { createFlightActivities } from './activities.ts';"],
    ['src/activities/payments/vault.ts', "import { SERVICES } from '../services.ts';"],
  ])('%s: %s is refused', async (file, code) => {
    expect((await boundaryProblems(file, code)).map((p) => p.ruleId)).toEqual(['boundaries/not-the-worker']);
  });

  test('an inline-types-only import is told to be `import type`', async () => {
    const [problem] = await boundaryProblems(
      API,
      "import { type FlightActivities } from '../../activities/flights/activities.ts';",
    );
    expect(problem!.message).toContain('import type');
  });

  test.each(CONTRACTS)('src/api: a value import of src/activities/%s is allowed', async (target) => {
    expect(await boundaryProblems(API, `import { x } from '../../activities/${target}';`)).toEqual([]);
  });

  test.each([
    [API, "import type { Activities } from '../../activities/index.ts';"],
    [API, "export type { FlightActivities } from '../../activities/flights/activities.ts';"],
    [API, "export { flightSchema } from '../../activities/flights/schema.ts';"],
    [DB, "import { roomNights } from '../activities/hotels/room-nights.ts';"],
    [WEB, "import { CARDS } from '../activities/payments/cards.ts';"],
    [WEB, "import { z } from 'zod';"],
    ['src/activities/payments/vault.ts', "import { db } from '../../db/client.ts';"],
    ['src/activities/payments/schema.ts', "import { CARDS } from './cards.ts';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await boundaryProblems(file, code)).toEqual([]);
  });
});
