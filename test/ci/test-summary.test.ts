// scripts/test-summary.ts, the last line of .ci/run, against real vitest JSON reports: each case
// runs vitest on tiny test files written for it, then the summary on the report that run wrote.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const vitestBin = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const summaryScript = join(root, 'scripts', 'test-summary.ts');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'test-summary-'));
  // Globals: the fixture files live outside the project and import nothing.
  await writeFile(
    join(dir, 'vitest.config.mjs'),
    "export default { test: { globals: true, include: ['*.check.js'], pool: 'threads' } };\n",
  );
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Outcome {
  code: number;
  stdout: string;
}

async function exec(file: string, args: string[], cwd: string): Promise<Outcome> {
  try {
    const { stdout } = await run(process.execPath, [file, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
      timeout: 60_000,
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '' };
  }
}

/** Writes the case's test files, runs vitest on them with the JSON reporter, then the summary on its report. */
async function summarizeRun(
  name: string,
  files: Record<string, string>,
): Promise<{ vitest: Outcome; summary: Outcome; lastLine: string }> {
  const caseDir = join(dir, name);
  await run('mkdir', ['-p', caseDir]);
  for (const [file, text] of Object.entries(files)) await writeFile(join(caseDir, file), text);
  const report = join(caseDir, 'report.json');
  const vitest = await exec(
    vitestBin,
    [
      'run',
      '--config',
      join(dir, 'vitest.config.mjs'),
      '--root',
      caseDir,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
    ],
    caseDir,
  );
  const summary = await exec(summaryScript, [report, String(vitest.code)], caseDir);
  return { vitest, summary, lastLine: summary.stdout.trimEnd().split('\n').at(-1)! };
}

describe('the closing line of a test run', () => {
  test('all pass: "N passed, 0 failed", exit 0', async () => {
    const { vitest, summary, lastLine } = await summarizeRun('all-pass', {
      'a.check.js': "test('one', () => expect(1).toBe(1));\ntest('two', () => expect(2).toBe(2));\n",
      'b.check.js': "test('three', () => expect(3).toBe(3));\n",
    });
    expect(vitest.code).toBe(0);
    expect(lastLine).toBe('3 passed, 0 failed');
    expect(summary.stdout.trim()).toBe(lastLine);
    expect(summary.code).toBe(0);
  });

  test('one fails: "N passed, 1 failed", exit 1; skipped tests are counted apart', async () => {
    const { vitest, summary, lastLine } = await summarizeRun('one-fail', {
      'a.check.js':
        "test('passes', () => expect(1).toBe(1));\ntest('fails', () => expect(1).toBe(2));\ntest.skip('skipped', () => {});\n",
      'b.check.js': "test('passes too', () => expect(3).toBe(3));\n",
    });
    expect(vitest.code).toBe(1);
    expect(lastLine).toBe('2 passed, 1 failed, 1 skipped');
    expect(summary.code).toBe(1);
  });

  test('none ran (every test skipped): "0 passed, 0 failed, 2 skipped", exit 1', async () => {
    const { vitest, summary, lastLine } = await summarizeRun('none-ran', {
      'a.check.js': "test.skip('skipped', () => {});\ndescribe.skip('later', () => { test('not now', () => {}); });\n",
    });
    expect(vitest.code).toBe(0); // vitest itself calls this a pass
    expect(lastLine).toBe('0 passed, 0 failed, 2 skipped');
    expect(summary.stdout).toContain('test-summary: no test ran');
    expect(summary.code).toBe(1);
  });

  test('no test file at all, so no report: "0 passed, 0 failed", exit 1', async () => {
    const { vitest, summary, lastLine } = await summarizeRun('no-files', { 'README.md': 'nothing to run here\n' });
    expect(vitest.code).not.toBe(0);
    expect(lastLine).toBe('0 passed, 0 failed');
    expect(summary.code).toBe(1);
  });

  test('a file that fails before any test runs counts as one failure', async () => {
    const { vitest, summary, lastLine } = await summarizeRun('broken-file', {
      'a.check.js': "test('passes', () => expect(1).toBe(1));\n",
      'b.check.js': "throw new Error('cannot load');\ntest('never runs', () => {});\n",
      'c.check.js': "beforeAll(() => { throw new Error('setup failed'); });\ntest('never runs either', () => {});\n",
    });
    expect(vitest.code).toBe(1);
    expect(lastLine).toMatch(/^1 passed, 2 failed(, \d+ skipped)?$/);
    expect(summary.stdout).toMatch(/b\.check\.js failed outside its tests: cannot load/);
    expect(summary.stdout).toMatch(/c\.check\.js failed outside its tests/);
    expect(summary.code).toBe(1);
  });
});
