// The configuration fails closed (production unless asked, no faults unless asked, no dev vault key
// in production, what each process cannot start without), and Temporal's settings come from
// @temporalio/envconfig: variables, temporal.toml profiles, API key, TLS files. Also: a refused
// connection is explained in one line that names the variable to check, from the SDK's messages.
import { randomBytes } from 'node:crypto';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { explainConnectError, resolveTemporal } from '../../src/temporal/connection.ts';
import { buildIdFromCode, workflowSources } from '../../src/temporal/versioning.ts';

/** A key of this run only: production refuses every key the repository publishes (published-secrets.test.ts). */
const REAL_KEY = randomBytes(24).toString('base64');
/** Every database's URL, as production sets them. */
const SERVICE_DATABASE_URLS = {
  DATABASE_URL: 'postgresql://db/trip',
  FLIGHTS_DATABASE_URL: 'postgresql://flights@db/flights',
  HOTELS_DATABASE_URL: 'postgresql://hotels@db/hotels',
  PAYMENTS_DATABASE_URL: 'postgresql://payments@db/payments',
};

let dir: string;
let ca: string;
let crt: string;
let key: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trip-config-'));
  [ca, crt, key] = ['ca.crt', 'client.crt', 'client.key'].map((f) => join(dir, f)) as [string, string, string];
  // Not real certificates: the configuration only reads them; the TLS tests use real ones.
  await Promise.all([ca, crt, key].map((f) => writeFile(f, `-----BEGIN ${f}-----\n`)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const problem = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('fail closed', () => {
  test('unset NODE_ENV is production: no fault injection, no dev vault key', () => {
    const config = loadConfig({});
    expect(config.nodeEnv).toBe('production');
    expect(config.faultInjection).toBe(false);
    expect(config.cardVaultKey).toBe('');
  });

  test('fault injection is on only with FAULT_INJECTION=on, in any NODE_ENV', () => {
    for (const NODE_ENV of ['development', 'test', 'production']) {
      expect(loadConfig({ NODE_ENV }).faultInjection).toBe(false);
      expect(loadConfig({ NODE_ENV, FAULT_INJECTION: 'on' }).faultInjection).toBe(true);
      expect(loadConfig({ NODE_ENV, FAULT_INJECTION: 'off' }).faultInjection).toBe(false);
    }
  });

  test('the dev vault key exists only in development and test', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).cardVaultKey).toMatch(/^dev-only/);
    expect(loadConfig({ NODE_ENV: 'test' }).cardVaultKey).toMatch(/^dev-only/);
    expect(loadConfig({ NODE_ENV: 'production', CARD_VAULT_KEY: REAL_KEY }).cardVaultKey).toBe(REAL_KEY);
  });

  test('in production, the worker needs DATABASE_URL and a Temporal address; the API also CARD_VAULT_KEY; all named at once', () => {
    const worker = problem(() => loadConfig({}, { service: 'worker' }));
    expect(worker).toContain('DATABASE_URL is required by npm run worker');
    expect(worker).toContain('TEMPORAL_ADDRESS is required when NODE_ENV=production');
    expect(worker).not.toContain('CARD_VAULT_KEY');
    expect(worker).toContain('WORKER_BUILD_ID is required by npm run worker'); // production names its builds
    const api = problem(() => loadConfig({}, { service: 'api' }));
    expect(api).not.toContain('WORKER_BUILD_ID');
    for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'CARD_VAULT_KEY']) expect(api).toContain(name);
    // Everything set: it loads.
    const ok = loadConfig(
      {
        ...SERVICE_DATABASE_URLS,
        TEMPORAL_ADDRESS: 'temporal:7233',
        CARD_VAULT_KEY: REAL_KEY,
        AUTH_JWKS_URL: 'https://issuer.example/.well-known/jwks.json',
        AUTH_ISSUER: 'https://issuer.example/',
        AUTH_AUDIENCE: 'trip-api',
      },
      { service: 'api' },
    );
    expect(ok.temporal.address).toBe('temporal:7233');
    expect(ok.faultInjection).toBe(false);
  });

  test("each service's database: its own URL, required with DATABASE_URL in production, derived from it in development and test", () => {
    // Production: every service's URL with the booking service's, each named when missing.
    const missing = problem(() => loadConfig({ DATABASE_URL: 'postgresql://db/trip' }));
    expect(missing).toContain(
      'FLIGHTS_DATABASE_URL, HOTELS_DATABASE_URL, PAYMENTS_DATABASE_URL required with DATABASE_URL when NODE_ENV=production',
    );
    const { PAYMENTS_DATABASE_URL: _, ...withoutPayments } = SERVICE_DATABASE_URLS;
    expect(problem(() => loadConfig(withoutPayments))).toMatch(/: PAYMENTS_DATABASE_URL required with DATABASE_URL/);
    expect(loadConfig(SERVICE_DATABASE_URLS).databaseUrls).toEqual({
      booking: 'postgresql://db/trip',
      flights: 'postgresql://flights@db/flights',
      hotels: 'postgresql://hotels@db/hotels',
      payments: 'postgresql://payments@db/payments',
    });
    // Development and test: derived, the database and its role named after the booking service's.
    for (const NODE_ENV of ['development', 'test']) {
      expect(
        loadConfig({ NODE_ENV, DATABASE_URL: 'postgresql://me:postgres@127.0.0.1:5433/trip_booking' }).databaseUrls,
      ).toEqual({
        booking: 'postgresql://me:postgres@127.0.0.1:5433/trip_booking',
        flights: 'postgresql://trip_booking_flights:postgres@127.0.0.1:5433/trip_booking_flights',
        hotels: 'postgresql://trip_booking_hotels:postgres@127.0.0.1:5433/trip_booking_hotels',
        payments: 'postgresql://trip_booking_payments:postgres@127.0.0.1:5433/trip_booking_payments',
      });
    }
    // One set, the others derived.
    expect(
      loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgresql://db/trip', HOTELS_DATABASE_URL: 'postgresql://x/h' })
        .databaseUrls?.hotels,
    ).toBe('postgresql://x/h');
    // A bad one is named; one without DATABASE_URL is refused; none at all is npm run dev's own database.
    expect(problem(() => loadConfig({ ...SERVICE_DATABASE_URLS, FLIGHTS_DATABASE_URL: 'mysql://db/f' }))).toContain(
      'FLIGHTS_DATABASE_URL must be a postgresql:// URL',
    );
    expect(problem(() => loadConfig({ NODE_ENV: 'test', FLIGHTS_DATABASE_URL: 'postgresql://db/f' }))).toContain(
      'FLIGHTS_DATABASE_URL set without DATABASE_URL',
    );
    expect(loadConfig({ NODE_ENV: 'test' }).databaseUrls).toBeUndefined();
  });

  test('in development and test, the worker and the API fall back to localhost:7233; still not without DATABASE_URL', () => {
    const config = loadConfig({ NODE_ENV: 'development', DATABASE_URL: 'postgresql://db/trip' }, { service: 'api' });
    expect(config.temporalAddress).toBe('localhost:7233');
    expect(problem(() => loadConfig({ NODE_ENV: 'test' }, { service: 'worker' }))).toContain(
      'DATABASE_URL is required',
    );
  });

  test('worker versioning: deployment trip-booking by default; outside production the build follows the workflow code', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config).toMatchObject({ workerDeploymentName: 'trip-booking', workerBuildId: undefined });
    expect(buildIdFromCode()).toMatch(/^dev-[0-9a-f]{12}$/);
    expect(buildIdFromCode()).toBe(buildIdFromCode());
    // The build follows what the workflow bundles: its own code, the step table and the services'
    // step rows, not the activities the worker runs (a step row imports their types only).
    const sources = workflowSources().map((file) => relative(process.cwd(), file));
    expect(sources).toEqual(
      expect.arrayContaining([
        'src/workflows/book-trip.ts',
        'src/booking/steps.ts',
        'src/activities/flights/step.ts',
        'src/activities/shared/step-options.ts',
      ]),
    );
    expect(sources).not.toContain('src/activities/flights/activities.ts');
    expect(
      loadConfig({ NODE_ENV: 'development', WORKER_BUILD_ID: 'v2.1', WORKER_DEPLOYMENT_NAME: 'trips' }),
    ).toMatchObject({ workerBuildId: 'v2.1', workerDeploymentName: 'trips' });
    expect(problem(() => loadConfig({ NODE_ENV: 'development', WORKER_DEPLOYMENT_NAME: 'trip.booking' }))).toContain(
      'WORKER_DEPLOYMENT_NAME',
    );
    expect(problem(() => loadConfig({ NODE_ENV: 'development', WORKER_BUILD_ID: 'has space' }))).toContain(
      'WORKER_BUILD_ID',
    );
  });

  test("the dev build also follows the saga package's sources and the bundle's tracing and converter modules", async () => {
    const sources = workflowSources().map((file) => relative(process.cwd(), file));
    // '@trip-saga/saga' is followed into the package's sources (the bundle takes its dist, built from them).
    expect(sources).toEqual(
      expect.arrayContaining([
        'packages/saga/src/index.ts',
        'packages/saga/src/saga.ts',
        'packages/saga/src/compensation-stack.ts',
      ]),
    );
    expect(sources.filter((file) => file.includes('dist'))).toEqual([]);
    // WORKFLOW_BUNDLE_OPTIONS' other modules: the tracing interceptors and the data converter.
    expect(sources).toEqual(
      expect.arrayContaining(['src/temporal/workflow-tracing.ts', 'src/temporal/failure-converter.cjs']),
    );
    // A copy of those sources elsewhere is the same build; an edit to any saga source is another.
    const copy = await mkdtemp(join(tmpdir(), 'trip-build-id-'));
    try {
      for (const file of sources) {
        await mkdir(dirname(join(copy, file)), { recursive: true });
        await copyFile(file, join(copy, file));
      }
      expect(buildIdFromCode(copy)).toBe(buildIdFromCode());
      const sagaSources = sources.filter((file) => file.startsWith('packages/saga/src/'));
      for (const file of sagaSources) {
        const text = await readFile(join(copy, file), 'utf8');
        await appendFile(join(copy, file), '\n// an edit\n');
        expect(buildIdFromCode(copy), file).not.toBe(buildIdFromCode());
        await writeFile(join(copy, file), text);
      }
      expect(buildIdFromCode(copy)).toBe(buildIdFromCode());
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  test('SHUTDOWN_GRACE_TIME: 10 s by default, a duration otherwise', () => {
    expect(loadConfig({}).shutdownGraceMs).toBe(10_000);
    expect(loadConfig({ SHUTDOWN_GRACE_TIME: '500ms' }).shutdownGraceMs).toBe(500);
    expect(loadConfig({ SHUTDOWN_GRACE_TIME: '1m' }).shutdownGraceMs).toBe(60_000);
    expect(problem(() => loadConfig({ SHUTDOWN_GRACE_TIME: 'soon' }))).toContain(
      'SHUTDOWN_GRACE_TIME must be a duration',
    );
  });

  test('event streams: a 15-s safety poll, a 500-ms live poll and 10 streams per caller by default; bad values are named', () => {
    expect(loadConfig({}).sse).toEqual({ safetyPollMs: 15_000, livePollMs: 500, maxStreamsPerCaller: 10 });
    expect(loadConfig({ SSE_SAFETY_POLL: '500ms', SSE_LIVE_POLL: '2s', SSE_MAX_STREAMS_PER_CALLER: '3' }).sse).toEqual({
      safetyPollMs: 500,
      livePollMs: 2_000,
      maxStreamsPerCaller: 3,
    });
    expect(problem(() => loadConfig({ SSE_LIVE_POLL: '10ms' }))).toContain('SSE_LIVE_POLL must be at least 100ms');
    expect(loadConfig({ SSE_SAFETY_POLL: '1m' }).sse.safetyPollMs).toBe(60_000);
    expect(problem(() => loadConfig({ SSE_SAFETY_POLL: 'often' }))).toContain('SSE_SAFETY_POLL must be a duration');
    expect(problem(() => loadConfig({ SSE_MAX_STREAMS_PER_CALLER: '0' }))).toContain('SSE_MAX_STREAMS_PER_CALLER');
  });

  test('hold limits: 3 holds, 9 seats, 6 rooms by default in every NODE_ENV; set or refused by name', () => {
    const defaults = { active: 3, seats: 9, rooms: 6 };
    for (const NODE_ENV of ['production', 'development', 'test'])
      expect(loadConfig({ NODE_ENV }).holdLimits).toEqual(defaults);
    expect(loadConfig({ HOLD_MAX_ACTIVE: '1', HOLD_MAX_SEATS: '4', HOLD_MAX_ROOMS: '2' }).holdLimits).toEqual({
      active: 1,
      seats: 4,
      rooms: 2,
    });
    const named = problem(() => loadConfig({ HOLD_MAX_ACTIVE: '0', HOLD_MAX_SEATS: 'many', HOLD_MAX_ROOMS: '1.5' }));
    for (const name of ['HOLD_MAX_ACTIVE', 'HOLD_MAX_SEATS', 'HOLD_MAX_ROOMS']) expect(named).toContain(name);
  });

  test('reads are rate limited: 120 per customer per window in production, high elsewhere; RATE_LIMIT_READS sets it', () => {
    expect(loadConfig({}).rateLimits.reads).toBe(120);
    expect(loadConfig({ NODE_ENV: 'test' }).rateLimits.reads).toBe(100_000);
    expect(loadConfig({ RATE_LIMIT_READS: '7' }).rateLimits.reads).toBe(7);
    expect(problem(() => loadConfig({ RATE_LIMIT_READS: '0' }))).toContain('RATE_LIMIT_READS');
  });
});

describe("Temporal's settings, through @temporalio/envconfig", () => {
  test('plain: address and namespace from the variables', () => {
    const { temporal } = loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'trips' });
    expect(temporal).toMatchObject({ address: 'temporal:7233', namespace: 'trips', tls: 'off', apiKey: false });
    expect(temporal.connectionOptions()).toEqual({ address: 'temporal:7233' });
  });

  test('an API key turns TLS on; the key is in the connection options and nowhere a log would print it', () => {
    const secret = 'secret-api-key-0123456789';
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: secret,
    });
    expect(config.temporal).toMatchObject({ tls: 'tls', apiKey: true });
    expect(config.temporal.connectionOptions()).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      tls: true,
      apiKey: secret,
    });
    expect(JSON.stringify(config)).not.toContain(secret);
    expect(inspect(config, { depth: 10 })).not.toContain(secret);
  });

  test('TLS files from the variables: a server CA, a server name, a client certificate pair (mTLS)', () => {
    const { temporal } = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
      TEMPORAL_TLS_SERVER_NAME: 'temporal',
      TEMPORAL_TLS_CLIENT_CERT_PATH: crt,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
    });
    expect(temporal.tls).toBe('mtls');
    const tls = temporal.connectionOptions().tls as {
      serverNameOverride: string;
      serverRootCACertificate: Uint8Array;
      clientCertPair: { crt: Uint8Array };
    };
    expect(tls.serverNameOverride).toBe('temporal');
    expect(Buffer.from(tls.serverRootCACertificate).toString()).toContain('ca.crt');
    expect(Buffer.from(tls.clientCertPair.crt).toString()).toContain('client.crt');
  });

  test('_DATA forms work like the paths', () => {
    const { temporal } = loadConfig({
      TEMPORAL_ADDRESS: 'x:7233',
      TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT',
      TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY',
    });
    expect(temporal.tls).toBe('mtls');
  });

  test('a temporal.toml profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), the variables over it, and errors naming the profile key', async () => {
    const file = join(dir, 'temporal.toml');
    await writeFile(
      file,
      `[profile.default]\naddress = "localhost:7233"\n\n[profile.prod]\naddress = "temporal.internal:7233"\nnamespace = "trips"\n[profile.prod.tls]\nserver_ca_cert_path = "${ca}"\nclient_cert_path = "${crt}"\nclient_key_path = "${key}"\n`,
    );
    const prod = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' }).temporal;
    expect(prod).toMatchObject({
      address: 'temporal.internal:7233',
      namespace: 'trips',
      tls: 'mtls',
      profile: `profile "prod" of ${file}`,
    });
    expect(prod.via.clientCert).toBe(`tls.client_cert_path of profile "prod" of ${file}`);
    // A variable wins over the profile, and is then the one to check.
    const overridden = loadConfig({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_NAMESPACE: 'other',
    }).temporal;
    expect(overridden.namespace).toBe('other');
    expect(overridden.via.namespace).toBe('TEMPORAL_NAMESPACE');
    // Without TEMPORAL_PROFILE, the default profile.
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: file }).temporal.address).toBe('localhost:7233');
    // A profile's address is enough for the worker in production.
    expect(
      loadConfig(
        {
          TEMPORAL_CONFIG_FILE: file,
          TEMPORAL_PROFILE: 'prod',
          ...SERVICE_DATABASE_URLS,
          WORKER_BUILD_ID: 'v1',
        },
        { service: 'worker' },
      ).temporalAddress,
    ).toBe('temporal.internal:7233');
    expect(problem(() => loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' }))).toContain(
      `TEMPORAL_PROFILE "staging" is not a profile of ${file}`,
    );
  });

  test('the default temporal.toml (~/.config/temporalio) is read by the worker and the API, not by npm run dev or scripts unless named', async () => {
    const home = join(dir, 'home');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(home, '.config', 'temporalio'), { recursive: true }));
    await writeFile(
      join(home, '.config', 'temporalio', 'temporal.toml'),
      '[profile.default]\naddress = "from-home:7233"\n',
    );
    expect(resolveTemporal({ HOME: home }).settings.address).toBe('from-home:7233');
    expect(resolveTemporal({ HOME: home }, { readDefaultConfigFile: false }).settings.address).toBeUndefined();
    expect(
      resolveTemporal({ HOME: home, TEMPORAL_PROFILE: 'default' }, { readDefaultConfigFile: false }).settings.address,
    ).toBe('from-home:7233');
    const env = { HOME: home, NODE_ENV: 'test', DATABASE_URL: 'postgresql://db/trip' };
    expect(loadConfig(env, { service: 'worker' }).temporalAddress).toBe('from-home:7233');
    expect(loadConfig(env, { service: 'api' }).temporalAddress).toBe('from-home:7233');
    expect(loadConfig(env, { service: 'dev' }).temporalAddress).toBeUndefined();
    expect(loadConfig(env).temporalAddress).toBeUndefined();
  });

  test('what envconfig would let through silently fails fast, named', () => {
    expect(problem(() => loadConfig({ TEMPORAL_TLS: 'yes' }))).toContain('TEMPORAL_TLS must be true or false');
    expect(problem(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: crt }))).toContain(
      'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH',
    );
    expect(problem(() => loadConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'nope.crt') }))).toContain(
      `TEMPORAL_TLS_SERVER_CA_CERT_PATH: ${join(dir, 'nope.crt')} does not exist`,
    );
    expect(problem(() => loadConfig({ TEMPORAL_CONFIG_FILE: join(dir, 'nope.toml') }))).toContain(
      'TEMPORAL_CONFIG_FILE',
    );
    expect(problem(() => loadConfig({ TEMPORAL_ADDRESS: 'no port' }))).toMatch(/TEMPORAL_ADDRESS must be host:port$/);
  });
});

describe('a refused connection in one line, naming what to check (messages as SDK 1.24.0 gives them)', () => {
  const settings = (env: Record<string, string>) =>
    resolveTemporal({ TEMPORAL_ADDRESS: 'localhost:7443', ...env }).settings;
  // Built when a test runs: the CA file exists only from beforeAll on.
  const withKey = () => settings({ TEMPORAL_API_KEY: 'k' });
  const withCa = () => settings({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca });
  const cases: [string, Error, () => ReturnType<typeof settings>, RegExp][] = [
    [
      'wrong API key (NativeConnection)',
      new Error(
        `Failed to call GetSystemInfo: code: 'Internal error', message: "protocol error: received message with invalid compression flag: 60 (valid flags are 0 and 1) while receiving response with status: 401 Unauthorized"`,
      ),
      withKey,
      /refused the connection: it does not accept the API key .* Check TEMPORAL_API_KEY\.$/,
    ],
    [
      'wrong API key (Connection)',
      Object.assign(new Error('Failed to connect to Temporal server'), {
        cause: Object.assign(new Error('16 UNAUTHENTICATED: Received HTTP status code 401'), { code: 16 }),
      }),
      withKey,
      /Check TEMPORAL_API_KEY\.$/,
    ],
    [
      'no client certificate (nginx: 400)',
      new Error(
        `Failed to call GetSystemInfo: code: 'Internal error', message: "protocol error: received message with invalid compression flag: 60 (valid flags are 0 and 1) while receiving response with status: 400 Bad Request"`,
      ),
      withCa,
      /requires a client certificate and none was sent .* Check TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH\.$/,
    ],
    [
      'no client certificate (TLS alert)',
      new Error('tonic::transport::Error(Transport, ... received fatal alert: CertificateRequired)'),
      withCa,
      /Check TEMPORAL_TLS_CLIENT_CERT_PATH/,
    ],
    [
      'unknown CA',
      new Error(
        'tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) }))',
      ),
      withCa,
      /signed by a CA this process does not trust .* Check TEMPORAL_TLS_SERVER_CA_CERT_PATH\.$/,
    ],
    [
      'TLS to a plain server',
      new Error(
        'tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidMessage(InvalidContentType) }))',
      ),
      withKey,
      /does not speak TLS.* Check TEMPORAL_TLS \(an API key turns TLS on: TEMPORAL_API_KEY\)\.$/,
    ],
  ];
  test.each(cases)('%s', (_name, error, s, line) => {
    const explained = explainConnectError(error, s());
    expect(explained.kind).toBe('refused');
    expect(explained.line).toMatch(line);
    expect(explained.line).not.toContain('\n');
  });

  test('nothing answering is the one case worth retrying', () => {
    const error = new Error(
      'tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:1, Os { code: 111, kind: ConnectionRefused })))',
    );
    const explained = explainConnectError(error, settings({}));
    expect(explained.kind).toBe('unavailable');
    expect(explained.line).toMatch(
      /^Cannot reach Temporal at localhost:7443: nothing answers .* Check TEMPORAL_ADDRESS\.$/,
    );
  });
});
