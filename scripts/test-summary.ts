// The last line of a CI log: what the test run ran, counted from vitest's JSON report, in one plain
// line `N passed, N failed` (`, N skipped` when any were), and an exit code that fails the run when
// any test failed, when no test ran at all, or when vitest itself failed.
//
//   node scripts/test-summary.ts <report.json> [vitest's exit code]
//
// A test file that failed outside its tests (it did not load, a hook threw, its worker died) counts
// as one failure: the report has no failed test in it, yet something that should have run did not.
import { readFile } from 'node:fs/promises';

/** The part of vitest's JSON report (its `json` reporter) that this reads. */
export interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { name: string; status: string; message?: string; assertionResults: { status: string }[] }[];
}

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  /** Whether the run passes: something ran, nothing failed, and vitest exited 0. */
  ok: boolean;
  /** What the line alone does not say, one note a line: files that failed outside their tests, a run that did not finish. */
  notes: string[];
}

/** Files that failed with no failed test in them: an error outside any test. */
function filesFailedOutsideTests(report: VitestReport): VitestReport['testResults'] {
  return report.testResults.filter(
    (file) => file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'),
  );
}

export function summarize(report: VitestReport | undefined, vitestExitCode = 0): Summary {
  if (!report)
    return {
      passed: 0,
      failed: 0,
      skipped: 0,
      ok: false,
      notes: ['no JSON report: vitest did not finish (see its output above)'],
    };
  const brokenFiles = filesFailedOutsideTests(report);
  const passed = report.numPassedTests;
  const failed = report.numFailedTests + brokenFiles.length;
  const notes = brokenFiles.map((file) => `${file.name} failed outside its tests: ${file.message || 'no message'}`);
  if (passed + failed === 0) notes.push('no test ran');
  else if (failed === 0 && vitestExitCode !== 0)
    notes.push(`vitest exited ${vitestExitCode} with no test failed (an error outside any test: see its output above)`);
  return {
    passed,
    failed,
    skipped: report.numPendingTests + report.numTodoTests,
    ok: passed > 0 && failed === 0 && vitestExitCode === 0,
    notes,
  };
}

export function summaryLine({ passed, failed, skipped }: Summary): string {
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

async function readReport(path: string): Promise<VitestReport | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as VitestReport;
  } catch {
    return undefined;
  }
}

if (import.meta.main) {
  const [path, code] = process.argv.slice(2);
  if (!path) {
    console.error('usage: node scripts/test-summary.ts <vitest-report.json> [vitest exit code]');
    process.exit(2);
  }
  const summary = summarize(await readReport(path), Number(code ?? 0));
  // One stream, so that the notes come before the line in any log.
  for (const note of summary.notes) console.log(`test-summary: ${note}`);
  console.log(summaryLine(summary));
  process.exit(summary.ok ? 0 : 1);
}
