// The compose files, as `docker compose up` reads them (Debian's docker-compose resolves them:
// interpolation, anchors): their secrets come from the environment, Temporal and its Web UI are
// published on loopback only, and the API starts with the file's own environment (no Docker
// engine here: `node src/api/main.ts` runs with that environment against this test's PostgreSQL
// and Temporal dev server).
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/dev/postgres.ts';
import { SERVICE_NAMES } from '../../src/booking/service-contracts.ts';
import { WORKER_ROLES } from '../../src/temporal/worker-factory.ts';
import { findOnPath } from '../../src/temporal/executables.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { bearer, startTestIdp } from '../helpers/identity.ts';
import { poll } from '../helpers/poll.ts';
import { bookingBody } from '../api/support.ts';
import { startProcess, startTemporalDevServer, stopProcess, type DevServer, type Proc } from './support.ts';

const run = promisify(execFile);
const COMPOSE = findOnPath('docker-compose');

interface Service {
  environment?: Record<string, string | number | null>;
  ports?: (string | { host_ip?: string; published?: number | string })[];
}
type Compose = { services: Record<string, Service> };

/** The secrets a caller sets for each file (as `export …` or an .env file would): values of this run only. */
const secrets = {
  'docker-compose.yml': {
    POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
    CARD_VAULT_KEY: randomBytes(32).toString('base64'),
  },
  'docker-compose.cluster.yml': {
    POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
    TEMPORAL_DB_PASSWORD: randomBytes(12).toString('hex'),
    TRIP_DB_PASSWORD: randomBytes(12).toString('hex'),
    CARD_VAULT_KEY: randomBytes(32).toString('base64'),
    AUTH_JWKS_URL: 'https://issuer.example/jwks.json',
    AUTH_ISSUER: 'https://issuer.example/',
    AUTH_AUDIENCE: 'trip-booking-api',
  },
} as const;
type ComposeFile = keyof typeof secrets;

/** Each worker deployment's build, as a release sets them: the booking's (TRIP_VERSION) and each service's own. */
const BUILDS: Record<string, string> = {
  TRIP_VERSION: 'compose-test',
  ...Object.fromEntries(SERVICE_NAMES.map((s) => [`${s.toUpperCase()}_VERSION`, `compose-test-${s}`])),
};

/** `docker-compose -f FILE config` with exactly `env` (nothing of this machine's), parsed (PyYAML, which docker-compose itself uses). */
async function resolved(file: ComposeFile, env: Record<string, string>): Promise<Compose> {
  const { stdout } = await run(COMPOSE!, ['-f', file, 'config'], {
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...BUILDS, ...env },
  });
  const json = execFileSync(
    'python3',
    ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
    { input: stdout, encoding: 'utf8' },
  );
  return JSON.parse(json) as Compose;
}

/** Why `docker-compose config` refuses `file` with `env`, or undefined when it accepts it. */
async function refusal(file: ComposeFile, env: Record<string, string>): Promise<string | undefined> {
  try {
    await resolved(file, env);
    return undefined;
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
}

/** A service's environment as the container gets it: the image's ENV (the Dockerfile's runtime stage), then the file's. */
function containerEnv(service: Service): Record<string, string> {
  const image = Object.fromEntries(
    [...readFileSync('Dockerfile', 'utf8').matchAll(/^ENV (\w+)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]),
  );
  const own = Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]),
  );
  return { ...image, ...own };
}

const hostIps = (service: Service) =>
  (service.ports ?? []).map((p) => (typeof p === 'string' ? p.split(':')[0] : p.host_ip));

describe.skipIf(!COMPOSE)('the compose files', () => {
  let dir: string;
  let temporal: DevServer;
  let tdb: TestDatabase;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trip-compose-'));
    [temporal, tdb] = await Promise.all([startTemporalDevServer(dir), createTestDatabase('deploy_compose')]);
  });
  afterAll(async () => {
    await temporal?.stop();
    await tdb?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test.each(
    Object.entries(secrets).flatMap(([file, vars]) => Object.keys(vars).map((name) => [file, name])) as [
      ComposeFile,
      string,
    ][],
  )('%s requires %s from the environment: the file has no value for it', async (file, name) => {
    const others: Record<string, string> = { ...secrets[file] };
    delete others[name];
    expect(await refusal(file, others)).toContain(`set ${name}`);
    expect(await refusal(file, secrets[file])).toBeUndefined();
  });

  test('Temporal, its Web UI, and everything of docker-compose.yml are published on 127.0.0.1 only', async () => {
    const quick = await resolved('docker-compose.yml', secrets['docker-compose.yml']);
    const published = Object.entries(quick.services).filter(([, s]) => s.ports?.length);
    expect(published.map(([name]) => name).sort()).toEqual(['api', 'postgres', 'temporal']);
    for (const [name, service] of published)
      expect(hostIps(service), name).toEqual(service.ports!.map(() => '127.0.0.1'));
    const cluster = await resolved('docker-compose.cluster.yml', secrets['docker-compose.cluster.yml']);
    for (const name of ['temporal', 'temporal-ui'])
      expect(hostIps(cluster.services[name]!), name).toEqual(['127.0.0.1']);
  });

  test.each(Object.keys(secrets) as ComposeFile[])(
    '%s: the API and the migration get every database, each service its own as its own role, and the migration provisions them',
    async (file) => {
      const { services } = await resolved(file, secrets[file]);
      const databaseOf = (url: string) => {
        const { username, pathname } = new URL(url);
        return { user: username, database: pathname.slice(1) };
      };
      // The cluster's workers are one per role, each with its own database alone (tested below).
      const everyDatabase = file === 'docker-compose.yml' ? ['migrate', 'worker', 'api'] : ['migrate', 'api'];
      for (const name of everyDatabase) {
        const env = containerEnv(services[name]!);
        const urls = ['DATABASE_URL', 'FLIGHTS_DATABASE_URL', 'HOTELS_DATABASE_URL', 'PAYMENTS_DATABASE_URL'].map(
          (variable) => databaseOf(env[variable]!),
        );
        expect(new Set(urls.map((u) => u.database)).size, name).toBe(4);
        expect(new Set(urls.map((u) => u.user)).size, name).toBe(4);
        expect(
          urls.some((u) => u.user === 'postgres'),
          `${name}: no service as the superuser`,
        ).toBe(false);
      }
      expect(databaseOf(containerEnv(services.migrate!).DATABASE_ADMIN_URL!).user).toBe('postgres');
      expect(containerEnv(services.api!).DATABASE_ADMIN_URL, 'only the migration provisions').toBeUndefined();
    },
  );

  test('docker-compose.cluster.yml: the booking and each service are worker deployments of their own, the services over Nexus', async () => {
    const { services } = await resolved('docker-compose.cluster.yml', secrets['docker-compose.cluster.yml']);
    const roles = Object.entries(services)
      .filter(([name]) => name.endsWith('-worker'))
      .map(([name, service]) => [name, containerEnv(service).WORKER_ROLES]);
    expect(Object.fromEntries(roles)).toEqual(Object.fromEntries(WORKER_ROLES.map((role) => [`${role}-worker`, role])));
    for (const name of [...roles.map(([n]) => n!), 'api'])
      expect(containerEnv(services[name]!).SERVICES_VIA, name).toBe('nexus');
    // Each worker reaches its own database alone: no other database's URL is in its environment.
    for (const [name, role] of roles) {
      const own = role === 'booking' ? 'DATABASE_URL' : `${role!.toUpperCase()}_DATABASE_URL`;
      const urls = Object.keys(containerEnv(services[name!]!)).filter((k) => k.endsWith('DATABASE_URL'));
      expect(urls, name).toEqual([own]);
    }
    // Each worker deployment's build is its own variable: the booking's TRIP_VERSION, a service's
    // <SERVICE>_VERSION, each in its image tag too, so each team rolls its own out.
    for (const [name, role] of roles) {
      const variable = role === 'booking' ? 'TRIP_VERSION' : `${role!.toUpperCase()}_VERSION`;
      expect(containerEnv(services[name!]!).WORKER_BUILD_ID, name).toBe(BUILDS[variable]);
      expect((services[name!] as { image?: string }).image, name).toBe(`trip-worker:${BUILDS[variable]}`);
      // Unset (empty is unset to `:?`), it stops `docker compose`, naming it.
      expect(
        await refusal('docker-compose.cluster.yml', { ...secrets['docker-compose.cluster.yml'], [variable]: '' }),
        name,
      ).toContain(`set ${variable}`);
    }
    // The namespace job makes each service's namespace and endpoint, as the workers and the API name them.
    const job = JSON.stringify((services['temporal-namespace'] as { command?: unknown }).command);
    for (const service of SERVICE_NAMES) expect(job).toContain(service);
    expect(job).toContain('temporal operator nexus endpoint create');
    expect(job).toContain('--target-namespace \\"$$service\\" --target-task-queue \\"trip-$$service\\"');
  });

  /** Runs the API with `env`, pointed at this test's database and Temporal; resolves once /healthz answers 200. */
  async function startApi(env: Record<string, string>): Promise<{ api: Proc; url: string }> {
    const port = await freePort();
    const api = startProcess(
      'api',
      {
        ...env,
        ...tdb.env,
        TEMPORAL_ADDRESS: temporal.address,
        PORT: String(port),
        DEV_DATA_DIR: join(dir, `api-${port}`),
      },
      dir,
    );
    const url = `http://127.0.0.1:${port}`;
    await poll(
      async () =>
        api.child.exitCode !== null
          ? 'exited'
          : await fetch(`${url}/healthz`).then(
              (r) => r.status,
              () => 0,
            ),
      (status) => status === 200 || status === 'exited',
      { timeoutMs: 60_000, what: `the API on ${port}` },
    ).then((status) => {
      if (status === 'exited')
        throw new Error(`the API exited (${api.child.exitCode}) instead of starting:\n${api.output()}`);
    });
    return { api, url };
  }

  test("docker-compose.yml: the API starts with the file's own environment, and the page can sign in and book", async () => {
    const env = containerEnv((await resolved('docker-compose.yml', secrets['docker-compose.yml'])).services.api!);
    expect(env.CARD_VAULT_KEY).toBe(secrets['docker-compose.yml'].CARD_VAULT_KEY);
    const { api, url } = await startApi(env);
    try {
      expect((await fetch(`${url}/openapi.json`)).status).toBe(200);
      // The page signs in through the dev issuer, then books.
      const token = await fetch(`${url}/dev/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub: 'compose-demo' }),
      });
      expect(token.status).toBe(200);
      const { access_token } = (await token.json()) as { access_token: string };
      const { customerId: _c, ...body } = bookingBody();
      const booked = await fetch(`${url}/bookings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(access_token) },
        body: JSON.stringify(body),
      });
      expect(booked.status, await booked.clone().text()).toBe(201);
      expect(api.child.exitCode).toBeNull();
    } finally {
      await stopProcess(api.child);
    }
  });

  test("docker-compose.cluster.yml: the API starts with the file's own environment and the OIDC issuer it is given, in production", async () => {
    const idp = await startTestIdp();
    try {
      const env = containerEnv(
        (await resolved('docker-compose.cluster.yml', { ...secrets['docker-compose.cluster.yml'], ...idp.env }))
          .services.api!,
      );
      expect(env).toMatchObject({ NODE_ENV: 'production', ...idp.env });
      const { api, url } = await startApi(env);
      try {
        expect((await fetch(`${url}/bookings`)).status).toBe(401);
        const mine = await fetch(`${url}/bookings`, { headers: bearer(await idp.mint('compose-customer')) });
        expect(mine.status).toBe(200);
      } finally {
        await stopProcess(api.child);
      }
    } finally {
      await idp.stop();
    }
  });
});
