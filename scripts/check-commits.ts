// npm run lint's commit check: every commit subject since the rule began is at most 72
// characters (git's own tools and every web view show that much whole), and none is empty. A body,
// after a blank line, says whatever more there is to say.
import { execFileSync } from 'node:child_process';

/**
 * When the rule began: the commit time of ce3708a, the last commit before it. Counted by time, not
 * by ancestry, so that a shallow clone (which lacks that commit) checks the commits it has.
 */
const RULE_BEGAN = '2026-12-01T22:05:58Z';
const MAX_SUBJECT = 72;

function git(...args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const log = git('log', '--format=%h%x09%s', `--since=${RULE_BEGAN}`, 'HEAD').split('\n').filter(Boolean);
const tooLong = log
  .map((line) => line.split('\t') as [string, string])
  .filter(([, subject]) => subject.length === 0 || subject.length > MAX_SUBJECT);
for (const [hash, subject] of tooLong)
  console.error(`commit ${hash}: subject of ${subject.length} characters (at most ${MAX_SUBJECT}): ${subject}`);
if (tooLong.length > 0) process.exit(1);
console.log(`commits: ${log.length} since ${RULE_BEGAN}, every subject at most ${MAX_SUBJECT} characters`);
