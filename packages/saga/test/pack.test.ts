// The package as a consumer gets it: `npm pack` here, the tarball installed into a fresh project
// (offline: its peers, @temporalio/workflow and @temporalio/common, are linked from this
// repository's node_modules, as a project that already depends on them has them), the README's
// skeleton type-checked there with plain tsc, bundled with Temporal's bundler, and run on the
// time-skipping server: the happy path, and a failure that undoes the first step.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/workflow';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTimeSkippingEnv, quietLogger, scheduledActivities } from './helpers.ts';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const resolveFromHere = createRequire(import.meta.url).resolve;

/** The folder a package is installed in here: its entry point's nearest ancestor named after it. */
function installedDir(name: string): string {
  const entry = resolveFromHere(name);
  const at = entry.lastIndexOf(`${sep}node_modules${sep}${name.replace('/', sep)}${sep}`);
  if (at < 0) throw new Error(`${name} resolved outside node_modules: ${entry}`);
  return entry.slice(0, at + `${sep}node_modules${sep}${name}`.length);
}

let project: string;
let bundle: WorkflowBundleWithSourceMap;
let env: TestWorkflowEnvironment;

/** The README's first TypeScript block: the usage skeleton. */
async function readmeSkeleton(): Promise<string> {
  const readme = await readFile(join(PACKAGE_DIR, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('packages/saga/README.md has no ```ts block');
  return block[1]!;
}

/** The fresh project's activities, as the skeleton names them: a charge over 1000.00 is declined. */
const ACTIVITIES = `import { ApplicationFailure } from '@temporalio/common';
export const reserveRoom = (input: { tripId: string }) => Promise.resolve({ roomId: \`room-\${input.tripId}\` });
export const cancelRoom = (_input: { tripId: string }) => Promise.resolve();
export const chargeCard = (input: { tripId: string; cents: number }) =>
  input.cents > 100_000 ? Promise.reject(ApplicationFailure.create({ type: 'CardDeclined', message: 'declined', nonRetryable: true })) : Promise.resolve();
export const refundCard = (_input: { tripId: string }) => Promise.resolve();
`;

/** A fresh project with the packed tarball installed, the skeleton as its workflow file, and its activities. */
async function freshProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'saga-consumer-'));
  // --ignore-scripts: no prepack build here, so that no test reads dist/ while it is rewritten (the
  // tests' global setup built it once; test/global-setup.ts).
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
      cwd: PACKAGE_DIR,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { filename: string; files: { path: string }[] }[];
  const { filename, files } = packed[0]!;
  // What is published: the compiled runner and the README, no sources or tests.
  expect(files.map((f) => f.path).filter((p) => !p.startsWith('dist/'))).toEqual(
    expect.arrayContaining(['README.md', 'package.json']),
  );
  expect(files.some((f) => f.path.startsWith('src/') || f.path.startsWith('test/'))).toBe(false);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'saga-consumer', private: true, type: 'module' }));
  // The tarball alone (its peers are not fetched), then the peers, linked as a project that has them.
  execFileSync(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--no-package-lock',
      '--legacy-peer-deps',
      join(dir, filename),
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  await mkdir(join(dir, 'node_modules', '@temporalio'), { recursive: true });
  for (const peer of ['@temporalio/workflow', '@temporalio/common'])
    await symlink(installedDir(peer), join(dir, 'node_modules', peer));
  await writeFile(join(dir, 'workflows.ts'), await readmeSkeleton());
  await writeFile(join(dir, 'activities.ts'), ACTIVITIES);
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: ['workflows.ts', 'activities.ts'],
    }),
  );
  return dir;
}

beforeAll(async () => {
  project = await freshProject();
  [env, bundle] = await Promise.all([
    createTimeSkippingEnv(),
    bundleWorkflowCode({ workflowsPath: join(project, 'workflows.ts'), logger: quietLogger }),
  ]);
});

afterAll(async () => {
  await env?.teardown();
  if (project) await rm(project, { recursive: true, force: true });
});

test('the installed package type-checks with plain tsc in the fresh project, and its types are checked', async () => {
  const tsc = join(installedDir('typescript'), 'bin', 'tsc');
  /** tsc's report: empty when the project type-checks. */
  const typecheck = () => {
    try {
      execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', stdio: 'pipe' });
      return '';
    } catch (error) {
      return String((error as { stdout?: string }).stdout) || String(error);
    }
  };
  expect(typecheck()).toBe('');
  // A row naming an activity that the interface lacks is an error there: the types are the package's, not any.
  const skeleton = await readFile(join(project, 'workflows.ts'), 'utf8');
  await writeFile(join(project, 'workflows.ts'), skeleton.replace("activity: 'chargeCard'", "activity: 'chargeCardd'"));
  try {
    expect(typecheck()).toMatch(/error TS\d+:[^\n]*chargeCardd/);
  } finally {
    await writeFile(join(project, 'workflows.ts'), skeleton);
  }
});

test('the bundle took the installed, compiled package', () => {
  expect(bundle.code).toContain('node_modules/@trip-saga/saga/dist/');
});

async function runSkeleton(cents: number) {
  const taskQueue = `saga-pack-${randomUUID()}`;
  const activities = (await import(join(project, 'activities.ts'))) as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start('bookTrip', {
      taskQueue,
      workflowId: `saga-pack-${randomUUID()}`,
      args: [{ tripId: 't-1', cents }],
    });
    const outcome: { ledger?: unknown; error?: unknown } = await handle.result().then(
      (ledger: unknown) => ({ ledger }),
      (error: unknown) => ({ error }),
    );
    return { ...outcome, scheduled: scheduledActivities(await handle.fetchHistory()) };
  });
}

test("the README's skeleton runs: both steps, nothing undone", async () => {
  const { ledger, scheduled } = await runSkeleton(1200);
  expect(scheduled).toEqual(['reserveRoom', 'chargeCard']);
  expect((ledger as { steps: { state: string }[] }).steps.map((s) => s.state)).toEqual(['DONE', 'DONE']);
});

test("the README's skeleton, its second step failing: both undone, last first, and the workflow fails with the step's failure", async () => {
  const { error, scheduled } = await runSkeleton(250_000);
  expect(scheduled).toEqual(['reserveRoom', 'chargeCard', 'refundCard', 'cancelRoom']);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause?.cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe('CardDeclined');
});
