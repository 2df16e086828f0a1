// Production refuses every key the repository itself contains. The test reads every tracked file
// (git ls-files) for key-like values (what is assigned to a vault key, codec token, encryption
// key or password, a database URL's password, a 32-byte base64 key) and proves that the
// production config refuses each as CARD_VAULT_KEY, CODEC_AUTH_TOKEN, DATABASE_URL's password
// and, for a 32-byte key, PAYLOAD_ENCRYPTION_KEYS: a key added to the repository later fails here
// until src/published-secrets.ts lists it (or the test makes its key at run time).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { PUBLISHED_SECRETS } from '../../src/published-secrets.ts';

const NAME = String.raw`[A-Za-z0-9_]*(?:VAULT_KEY|VaultKey|vaultKey|CODEC_AUTH_TOKEN|CODEC_TOKEN|codecAuthToken|PASSWORD|[Pp]assword|_PWD|ENCRYPTION_KEYS)`;
/** Quoted values in any file: `NAME: 'value'`, `NAME = "value"`. */
const QUOTED = new RegExp(String.raw`\b${NAME}\s*[:=]\s*['"\`]([^'"\`\s$]{4,})['"\`]`, 'g');
/** Bare values in configuration, shell and docs: `NAME: value` (YAML), `NAME=value` (env, shell). */
const BARE = new RegExp(String.raw`\b${NAME}[ \t]*[:=](?![-?])[ \t]*([^\s'"\`$\{\},;)]{4,})`, 'g');
/** A compose default: `${NAME:-value}`. */
const DEFAULT = new RegExp(String.raw`\$\{${NAME}:-([^}]+)\}`, 'g');
/** A database URL's password. */
const URL_PASSWORD = /postgres(?:ql)?:\/\/[^:@\s/'"`]+:([^@\s/'"`$]+)@/g;
/** 32 bytes in base64: an AES-256 key of PAYLOAD_ENCRYPTION_KEYS. */
const KEY_32 = /(?<![A-Za-z0-9+/])([A-Za-z0-9+/]{43}=)(?![A-Za-z0-9+/=])/g;

const BARE_FILES = /(\.ya?ml|\.env[^/]*|\.sh|\.md|\.toml|Dockerfile|\.ci\/run)$/;

/** Every key-like value in the tracked files (recorded histories and the lock file hold none: they are data). */
function keyLikeValues(): Map<string, string[]> {
  const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' })
    .split('\0')
    .filter(
      (f) => f && !f.startsWith('test/histories/') && f !== 'package-lock.json' && !/\.(png|jpe?g|ico|woff2?)$/.test(f),
    );
  const found = new Map<string, string[]>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // listed but not in the work tree
    }
    const patterns = [QUOTED, DEFAULT, URL_PASSWORD, KEY_32, ...(BARE_FILES.test(file) ? [BARE] : [])];
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) {
        const value = match[1]!.trim();
        found.set(value, [...new Set([...(found.get(value) ?? []), file])]);
      }
    }
  }
  return found;
}

/** Each service's database, with a password of its own: production wants them with DATABASE_URL. */
const SERVICE_URLS = Object.fromEntries(
  ['FLIGHTS', 'HOTELS', 'PAYMENTS'].map((service) => [
    `${service}_DATABASE_URL`,
    `postgresql://${service.toLowerCase()}:${randomBytes(12).toString('hex')}@db.internal:5432/${service.toLowerCase()}`,
  ]),
);

/** The one problem line production has for `env`, or undefined when it accepts it. */
function refusal(env: Record<string, string>): string | undefined {
  try {
    loadConfig({ NODE_ENV: 'production', ...SERVICE_URLS, ...env });
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

const is32ByteKey = (value: string) => /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, 'base64').length === 32;
const remoteUrl = (password: string) =>
  `postgresql://trip:${encodeURIComponent(password)}@db.internal:5432/trip_booking`;

describe('production refuses every key, token and password the repository contains', () => {
  const found = keyLikeValues();

  test("the scan finds what the repository publishes (the dev vault key, the tests' keys)", () => {
    expect([...found.keys()]).toEqual(
      expect.arrayContaining(['dev-only-card-vault-key-not-for-production', 'test-vault-key-0123456789', 'postgres']),
    );
  });

  test.each([...found.entries()].map(([value, files]) => [value, files.join(', ')]))('%s (in %s)', (value) => {
    expect(refusal({ CARD_VAULT_KEY: value })).toMatch(/CARD_VAULT_KEY/);
    expect(refusal({ CODEC_AUTH_TOKEN: value })).toMatch(/CODEC_AUTH_TOKEN/);
    expect(refusal({ DATABASE_URL: remoteUrl(value) })).toMatch(
      /DATABASE_URL has a password published in this repository/,
    );
    expect(
      refusal({ DATABASE_URL: remoteUrl(randomBytes(12).toString('hex')), HOTELS_DATABASE_URL: remoteUrl(value) }),
    ).toMatch(/: HOTELS_DATABASE_URL has a password published in this repository/);
    if (is32ByteKey(value))
      expect(refusal({ PAYLOAD_ENCRYPTION_KEYS: `k1:${value}` })).toMatch(
        /PAYLOAD_ENCRYPTION_KEYS entry 1: the key is published/,
      );
  });

  test('every listed value is refused, and the message never prints it', () => {
    for (const value of PUBLISHED_SECRETS) {
      const problem = refusal({ CARD_VAULT_KEY: value, DATABASE_URL: remoteUrl(value) });
      expect(problem).toMatch(/CARD_VAULT_KEY/);
      expect(problem).toMatch(/DATABASE_URL/);
      if (value.length >= 16) expect(problem).not.toContain(value);
    }
  });

  test('keys of its own are accepted; so is a published password on loopback (the embedded PostgreSQL of npm run dev and the tests)', () => {
    const key = randomBytes(32).toString('base64');
    expect(
      refusal({
        CARD_VAULT_KEY: randomBytes(24).toString('base64'),
        CODEC_AUTH_TOKEN: randomBytes(18).toString('hex'),
        PAYLOAD_ENCRYPTION_KEYS: `k1:${key}`,
        DATABASE_URL: remoteUrl(randomBytes(12).toString('hex')),
      }),
    ).toBeUndefined();
    expect(refusal({ DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:5432/trip_booking' })).toBeUndefined();
    // Development and test take the published dev values as they are.
    expect(() => loadConfig({ NODE_ENV: 'development', CARD_VAULT_KEY: 'test-vault-key-0123456789' })).not.toThrow();
  });
});
