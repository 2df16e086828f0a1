// Where the Temporal CLI (the dev server and its Web UI) and the time-skipping test server come
// from: an env var naming the file, else PATH; with neither, the SDK downloads them.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Full path of an executable on PATH, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * An executable from an env var or PATH, in the SDK's `existing-path` form; undefined lets the SDK
 * download it (users with internet need nothing installed).
 */
export function existingExecutable(envVar: string, name: string): { type: 'existing-path'; path: string } | undefined {
  const path = process.env[envVar] || findOnPath(name);
  return path ? { type: 'existing-path', path } : undefined;
}

/** The `temporal` CLI (dev server + Web UI): TEMPORAL_CLI_PATH, else PATH. */
export const temporalCli = () => existingExecutable('TEMPORAL_CLI_PATH', 'temporal');

/** The time-skipping test server: TEMPORAL_TEST_SERVER_PATH, else PATH. */
export const temporalTestServer = () => existingExecutable('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server');
