// npm run lint's commit check: every commit subject since the rule began is at most 72
// characters (git's own tools and every web view show that much whole), and none is empty. A body,
// after a blank line, says whatever more there is to say.
import { execFileSync } from 'node:child_process';

/** The last commit before subjects were held to 72 characters; its ancestors are history. */
const RULE_BEGAN = 'ce3708aa549ee4da1f3e95ad43e3592226481345';
const MAX_SUBJECT = 72;

function git(...args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

let log: string[];
try {
  log = git('log', '--format=%h%x09%s', `${RULE_BEGAN}..HEAD`).split('\n').filter(Boolean);
} catch {
  console.error(
    `commits: this clone lacks commit ${RULE_BEGAN.slice(0, 7)} (a shallow clone?): fetch the history to check the subjects`,
  );
  process.exit(1);
}
const tooLong = log
  .map((line) => line.split('\t') as [string, string])
  .filter(([, subject]) => subject.length === 0 || subject.length > MAX_SUBJECT);
for (const [hash, subject] of tooLong)
  console.error(`commit ${hash}: subject of ${subject.length} characters (at most ${MAX_SUBJECT}): ${subject}`);
if (tooLong.length > 0) process.exit(1);
console.log(`commits: ${log.length} since ${RULE_BEGAN.slice(0, 7)}, every subject at most ${MAX_SUBJECT} characters`);
