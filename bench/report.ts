// The run's report: the JSON (every figure, per mode and way) and the markdown table, printed, and written
// where the run's size says: a full-size run to bench/results (latest.json, latest.md and a line
// of history.jsonl), another run to --out if given, else nowhere.
import { execFileSync } from 'node:child_process';
import { appendFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { markdown } from './markdown.ts';
import type { BenchOptions } from './options.ts';
import type { WayResult } from './result.ts';
import { TARGETS } from './targets.ts';
import { READ_OPERATIONS } from './temporal-metrics.ts';

const root = new URL('../', import.meta.url);

export async function writeReport(results: WayResult[], options: BenchOptions, workerArgs: string[]) {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}`;
  const commit = gitCommit();
  const first = results[0]!;
  const report = {
    when,
    machine,
    commit,
    full: options.full,
    options: options.recorded,
    targets: TARGETS,
    readOperations: [...READ_OPERATIONS],
    // The first result's (the activity way's, when it ran), where they have always been.
    mode: first.mode,
    way: first.way,
    ratios: first.ratios,
    absolutes: first.absolutes,
    results,
  };
  const md = markdown(results, { when: `${when} UTC`, machine, options, workerArgs });
  console.log(`\n${md}`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (options.full) {
    const out = new URL('./results/', import.meta.url);
    await writeFile(new URL('latest.json', out), json);
    await writeFile(new URL('latest.md', out), md);
    const line = {
      when,
      machine,
      commit,
      harness: 'v3: ratios against the bare workflow, each way of calling the services',
      options: options.recorded,
      ...Object.fromEntries(results.map((r) => [historyKey(r), historyOf(r)])),
    };
    await appendFile(new URL('history.jsonl', out), `${JSON.stringify(line)}\n`);
    console.log('wrote bench/results/latest.json and latest.md, and a line in history.jsonl');
  } else if (options.out) {
    const path = resolve(process.env.INIT_CWD ?? process.cwd(), options.out);
    await writeFile(path, json);
    const mdPath = path.replace(/\.json$/, '') + '.md';
    await writeFile(mdPath, md);
    console.log(`wrote ${path} and ${mdPath} (not a full-size run: bench/results is left alone)`);
  } else {
    console.log('not a full-size run: nothing written (--out <file.json> keeps it)');
  }
}

/** A result's key in a history line: the mode for the activity way (as before there were ways), else `mode/way`. */
const historyKey = (r: WayResult) => (r.way === 'activity' ? r.mode : `${r.mode}/${r.way}`);

/** What history.jsonl keeps of a result: the ratios, the absolutes and both throughputs. */
function historyOf(r: WayResult) {
  return {
    ratios: r.ratios,
    absolutes: r.absolutes,
    sagaPerSecond: r.throughput.sagaPerSecond,
    barePerSecond: r.throughput.barePerSecond,
  };
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}
