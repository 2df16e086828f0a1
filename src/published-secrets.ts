// Keys, tokens and passwords that this repository publishes: defaults its compose files had, the
// dev vault key, the keys and passwords of its tests, scripts and docs. Anyone can read them, so
// production refuses each (loadConfig). test/deploy/published-secrets.test.ts scans every tracked
// file for key-like values and fails on any that production would accept: a key added to the
// repository later is caught there, and belongs here.
import { DATABASES, urlVariable } from './db/databases.ts';

export const PUBLISHED_SECRETS: readonly string[] = [
  // The card vault's dev key (src/config.ts) and the compose files' former default.
  'dev-only-card-vault-key-not-for-production',
  'change-me-in-production-0123456789',
  // Database passwords: the compose files' former defaults, the embedded PostgreSQL's.
  'postgres',
  'temporal',
  'trip',
  // Keys and tokens of the tests, the chaos run and the benchmark.
  'test-vault-key-0123456789',
  'fail-closed-vault-key-0123456789',
  'sigterm-vault-key-0123456789',
  'deploy-test-vault-key-0123',
  'a-real-key-0123456789',
  'bench-vault-key-0123456789',
  'chaos-vault-key-0123456789',
  'codec-test-token-0123456789',
  'a-long-enough-token',
  'short', // a token too short for CODEC_AUTH_TOKEN, in the tests of that rule
  // What .ci/run gives the compose files' required secrets to validate them.
  'ci-compose-validation',
];

const published = new Set(PUBLISHED_SECRETS);
/** Published 32-byte keys, by their bytes (base64 has more than one spelling of the same key). */
const publishedKeyBytes = new Set(
  PUBLISHED_SECRETS.filter((s) => Buffer.from(s, 'base64').length === 32).map((s) =>
    Buffer.from(s, 'base64').toString('hex'),
  ),
);

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** The password of a postgresql:// URL on another machine; undefined on loopback or without one. */
function remotePassword(databaseUrl: string): string | undefined {
  try {
    const url = new URL(databaseUrl);
    // The embedded PostgreSQL of `npm run dev` and the tests listens on 127.0.0.1 only.
    if (!url.password || LOOPBACK.test(url.hostname)) return undefined;
    return decodeURIComponent(url.password);
  } catch {
    return undefined;
  }
}

const FIX = 'anyone can read it; generate one, e.g. `openssl rand -base64 32`';

/**
 * What production must refuse: a CARD_VAULT_KEY, CODEC_AUTH_TOKEN, key of PAYLOAD_ENCRYPTION_KEYS
 * or password of a database's URL (DATABASE_URL, FLIGHTS_DATABASE_URL, …; on another machine) that
 * this repository publishes. Names the
 * variable, never the value.
 */
export function publishedSecretProblems(env: Readonly<Record<string, string | undefined>>): string[] {
  const problems: string[] = [];
  for (const name of ['CARD_VAULT_KEY', 'CODEC_AUTH_TOKEN'] as const) {
    const value = env[name];
    if (value !== undefined && published.has(value.trim()))
      problems.push(`${name} is a value published in this repository (${FIX})`);
  }
  (env.PAYLOAD_ENCRYPTION_KEYS ?? '').split(',').forEach((entry, index) => {
    const key = entry.slice(entry.indexOf(':') + 1).trim();
    if (!entry.includes(':') || !key) return;
    if (published.has(key) || publishedKeyBytes.has(Buffer.from(key, 'base64').toString('hex'))) {
      problems.push(`PAYLOAD_ENCRYPTION_KEYS entry ${index + 1}: the key is published in this repository (${FIX})`);
    }
  });
  for (const name of [...DATABASES.map(urlVariable), 'DATABASE_ADMIN_URL']) {
    const password = env[name] ? remotePassword(env[name]) : undefined;
    if (password !== undefined && published.has(password)) {
      problems.push(
        `${name} has a password published in this repository (anyone can read it; set the database user's own)`,
      );
    }
  }
  return problems;
}
