// Once per `npm test`: the saga package built (the workflows import its dist/, as any consumer
// would, so an edit of packages/saga/src is what the tests run), and a PostgreSQL server for every
// test file. DATABASE_URL's server when set; otherwise an embedded one, started here and stopped at
// the end. Each file then creates and migrates a database of its own on it (test/helpers/db.ts).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { databaseUrlFor, startEmbeddedPostgres } from '../src/dev/postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseServerUrl: string;
  }
}

export default async function setup(project: TestProject) {
  execFileSync('npm', ['run', '--silent', 'build:saga'], { stdio: 'inherit' });
  if (process.env.DATABASE_URL) {
    project.provide('databaseServerUrl', databaseUrlFor(process.env.DATABASE_URL, 'postgres'));
    return;
  }
  const parent = await mkdtemp(join(tmpdir(), 'trip-saga-test-'));
  const pg = await startEmbeddedPostgres({ dir: join(parent, 'pg'), persistent: false, ephemeral: true });
  console.log(`tests: DATABASE_URL is unset, so they use an embedded PostgreSQL on port ${pg.port}`);
  project.provide('databaseServerUrl', pg.serverUrl);
  return async () => {
    await pg.stop();
    await rm(parent, { recursive: true, force: true });
  };
}
