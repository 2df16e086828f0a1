// CPU and memory of the stack's processes, read from /proc (Linux): the benchmark measures every
// process from outside, so it needs nothing from the processes it measures.
import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import type { CpuShare } from './result.ts';
import { round } from './stats.ts';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** The processes whose CPU a measure reads (PostgreSQL's and the benchmark's are found without). */
export type Pids = { temporal: number; worker: number; api: number };

/** The CPU seconds in a `/proc/<pid>/stat` line: the process's own, and its exited children's. */
function cpuOfStat(stat: string): { own: number; children: number } {
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number); // fields[0] is stat's 3rd field
  return {
    own: ((fields[11] ?? 0) + (fields[12] ?? 0)) / CLOCK_TICKS,
    children: ((fields[13] ?? 0) + (fields[14] ?? 0)) / CLOCK_TICKS,
  };
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
async function cpuSeconds(pid: number): Promise<number> {
  return cpuOfStat(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).own;
}

/**
 * Every PostgreSQL process on this machine, together: the backends that run, and through the
 * server's children's time, those that have ended (a connection that closes takes its CPU along).
 */
async function postgresCpuSeconds(): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (!stat.includes('(postgres)')) continue;
    const { own, children } = cpuOfStat(stat);
    total += own + children;
  }
  return total;
}

/** CPU seconds each part of the stack has used so far. */
export async function cpuSnapshot(pids: Pids): Promise<CpuShare> {
  const usage = process.cpuUsage();
  return {
    temporal: await cpuSeconds(pids.temporal),
    worker: await cpuSeconds(pids.worker),
    api: await cpuSeconds(pids.api),
    postgres: await postgresCpuSeconds(),
    bench: (usage.user + usage.system) / 1e6,
  };
}

/** CPU milliseconds used by each part of the stack while `work` runs, divided by `per`. */
export async function cpuDuring(pids: Pids, per: number, work: () => Promise<void>): Promise<CpuShare> {
  const before = await cpuSnapshot(pids);
  await work();
  const after = await cpuSnapshot(pids);
  return Object.fromEntries(
    Object.entries(after).map(([k, v]) => [k, round(((v - before[k as keyof CpuShare]) * 1000) / per)]),
  ) as CpuShare;
}

/** A process's resident memory (MB). */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}
