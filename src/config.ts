// One typed configuration, read once from the environment. A bad value fails fast, with every
// problem named in one message. Fail closed: production is what you get unless NODE_ENV says
// development or test, fault injection is off unless FAULT_INJECTION=on, and the dev vault key
// exists only in development and test. Temporal's connection (address, namespace, API key, TLS,
// temporal.toml profiles) is read by src/temporal/connection.ts through @temporalio/envconfig.
import { createSecretKey } from 'node:crypto';
import { z } from 'zod';
import type { PayloadKey } from './temporal/codec.ts';
import { resolveTemporal, type TemporalSettings } from './temporal/connection.ts';
import { publishedSecretProblems } from './published-secrets.ts';
import {
  DATABASES,
  SERVICE_DATABASES,
  databaseUrls,
  urlVariable,
  type DatabaseName,
  type DatabaseUrls,
  type ServiceDatabaseName,
} from './db/databases.ts';

const onOff = z.enum(['on', 'off']);

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * `k2:<base64 32 bytes>,k1:<base64 32 bytes>`: the first key encrypts, every key decrypts. Problems
 * name the entry and its key ID, never the key.
 */
const payloadKeys = z.string().transform((value, ctx): PayloadKey[] => {
  const keys: PayloadKey[] = [];
  const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
  value.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    const n = index + 1;
    const colon = entry.indexOf(':');
    if (colon < 0) return problem(`entry ${n} must be <key id>:<base64 key>`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) return problem(`entry ${n}: key id must be 1-64 letters, digits, '.', '_' or '-'`);
    if (keys.some((k) => k.id === id)) return problem(`entry ${n}: duplicate key id "${id}"`);
    if (!BASE64.test(encoded)) return problem(`entry ${n} ("${id}"): key is not valid base64`);
    const bytes = Buffer.from(encoded, 'base64');
    if (bytes.length !== 32)
      return problem(`entry ${n} ("${id}"): key must be 32 bytes (AES-256), got ${bytes.length}`);
    keys.push({ id, key: createSecretKey(bytes) });
  });
  return keys;
});

/** A duration such as 30s, 15m, 24h, 7d. */
const durationHm = z.string().regex(/^\d{1,6}(ms|s|m|h|d)$/, 'must be a duration such as 30s, 15m, 24h or 7d');

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL');

/** FLIGHTS_DATABASE_URL, HOTELS_DATABASE_URL, PAYMENTS_DATABASE_URL: each service's own database. */
const serviceDatabaseUrls = Object.fromEntries(
  SERVICE_DATABASES.map((name) => [urlVariable(name), postgresUrl.optional()]),
) as Record<`${Uppercase<ServiceDatabaseName>}_DATABASE_URL`, z.ZodOptional<typeof postgresUrl>>;

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
    /** PostgreSQL: the booking service's database. Unset: `npm run dev` and the tests bring an embedded one. */
    DATABASE_URL: postgresUrl.optional(),
    /**
     * Each service's own database (its own role): required in production; in development and test
     * derived from DATABASE_URL when unset (src/db/databases.ts: `<database>_flights`, …).
     */
    ...serviceDatabaseUrls,
    /**
     * A superuser (or a role with CREATEDB and CREATEROLE) on the databases' server: only `npm run
     * db:migrate` reads it, to provision each database and its own role before migrating it.
     */
    DATABASE_ADMIN_URL: postgresUrl.optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    /**
     * Temporal: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*,
     * TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE are read by @temporalio/envconfig
     * (src/temporal/connection.ts); the address is checked here too, to name it with the others.
     */
    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port')
      .optional(),
    /** Ports of the dev server that `npm run dev` starts when TEMPORAL_ADDRESS is unset. */
    TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
    TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
    /** Where links to a booking's history point. */
    TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),
    /** Honour the `faults` of a booking. Off unless set to on (`npm run dev` and the tests set it). */
    FAULT_INJECTION: onOff.optional(),
    /**
     * How long SIGTERM waits: the worker for its running activities (shutdownGraceTime; then they
     * are cancelled and retried elsewhere), the API for its in-flight requests. Keep it under the
     * orchestrator's kill timeout (Kubernetes: 30 s).
     */
    SHUTDOWN_GRACE_TIME: z
      .string()
      .regex(/^\d{1,6}(ms|s|m)$/, 'must be a duration such as 500ms, 10s or 1m')
      .default('10s'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /**
     * The address `npm run dev` serves the API (and its dev token issuer) on: loopback unless told
     * otherwise (0.0.0.0: every interface, and so anyone who reaches this machine).
     */
    DEV_HOST: z
      .string()
      .regex(/^[A-Za-z0-9.:-]{1,253}$/, 'must be an address to listen on, e.g. 127.0.0.1 or 0.0.0.0')
      .default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** A workflow bundle built by `npm run build:workflows`: the worker then runs no bundler. */
    WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
    /**
     * How many workflows the worker keeps in memory, about 0.25 MB each (bench/README.md). 200
     * covers the bookings a worker runs at once at its own pace; an evicted saga is replayed from
     * its history at its next task. Raise it where more sagas are in flight. The SDK's own default
     * grows with the machine's memory (thousands here).
     */
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(200),
    /**
     * How the booking calls its services: `activity` (each service's activities on its own task
     * queue in the booking's namespace) or `nexus` (each service's endpoint, handled in its own
     * namespace). Unset: `activity`, and `nexus` under `npm run dev`.
     */
    SERVICES_VIA: z.enum(['activity', 'nexus']).optional(),
    /** The services' Nexus endpoints are `<prefix>-<service>` (trip-flights). */
    NEXUS_ENDPOINT_PREFIX: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,40}$/, 'must start with a letter and have only letters, digits and dashes')
      .default('trip'),
    /** The services' namespaces, `flights=flights.a1b2c,…`; a service not named has a namespace of its name. */
    SERVICE_NAMESPACES: z
      .string()
      .regex(
        /^[a-z]+=[A-Za-z0-9._-]+( *, *[a-z]+=[A-Za-z0-9._-]+)*$/,
        'must be <service>=<namespace>, comma-separated, e.g. flights=flights.a1b2c',
      )
      .transform((value) =>
        Object.fromEntries(value.split(',').map((pair) => pair.trim().split('=') as [string, string])),
      )
      .optional(),
    /**
     * The workers `npm run worker` runs when its command line names none: booking, flights, hotels,
     * payments. The worker reads it before the rest (its roles say which databases it needs); here
     * only its form is checked.
     */
    WORKER_ROLES: z
      .string()
      .regex(/^[a-z]+( *, *[a-z]+)*$/, 'must be a comma-separated list of roles, e.g. booking,flights')
      .transform((value) => value.split(',').map((role) => role.trim()))
      .optional(),
    /** Worker Deployment Versioning: the deployment every worker of this app belongs to. */
    WORKER_DEPLOYMENT_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -')
      .default('trip-booking'),
    /** This worker's build: required in production (e.g. the image tag or commit); in development derived from the workflow code. */
    WORKER_BUILD_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, _ . or -')
      .optional(),
    /** Key of the card vault's fingerprints. Required in production by the API (and `npm run dev`). */
    CARD_VAULT_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Encrypts workflow payloads: `<id>:<base64 32 bytes>,…`, current key first. Unset: no encryption. */
    PAYLOAD_ENCRYPTION_KEYS: payloadKeys.optional(),
    /** Bearer token of the codec endpoint (/codec). Unset: no codec endpoint. */
    CODEC_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /**
     * Identity: the OIDC issuer whose bearer tokens the API accepts (its JWKS, its `iss`, the
     * `aud` its tokens name for this API). Required in production; unset in development and test,
     * the dev issuer (src/api/identity/dev-issuer.ts) signs tokens.
     */
    AUTH_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).optional(),
    AUTH_ISSUER: z.string().min(1).optional(),
    AUTH_AUDIENCE: z.string().min(1).optional(),
    /** Rate limits: requests per customer (by `sub`; by IP before a token is accepted) per RATE_LIMIT_WINDOW. */
    RATE_LIMIT_WINDOW: durationHm.optional(),
    RATE_LIMIT_BOOKINGS: z.coerce.number().int().min(1).max(1_000_000).optional(),
    RATE_LIMIT_ACTIONS: z.coerce.number().int().min(1).max(1_000_000).optional(),
    RATE_LIMIT_ANONYMOUS: z.coerce.number().int().min(1).max(1_000_000).optional(),
    RATE_LIMIT_READS: z.coerce.number().int().min(1).max(1_000_000).optional(),
    /**
     * Holds (no card, up to a day, extendable): what one customer may hold at once. Seats and rooms
     * are summed over their active holds; one booking asks at most 9 of each.
     */
    HOLD_MAX_ACTIVE: z.coerce.number().int().min(1).max(1_000).default(3),
    HOLD_MAX_SEATS: z.coerce.number().int().min(1).max(10_000).default(9),
    HOLD_MAX_ROOMS: z.coerce.number().int().min(1).max(10_000).default(6),
    /** How long an Idempotency-Key is kept (its booking answers a repeat); then it is deleted. */
    IDEMPOTENCY_KEY_TTL: durationHm.default('24h'),
    /**
     * Event streams: how often a watched booking is read without a change notice (the safety poll
     * of the one watcher per watched booking), and how many streams one caller may hold open.
     */
    SSE_SAFETY_POLL: z
      .string()
      .regex(/^\d{1,6}(ms|s|m)$/, 'must be a duration such as 500ms, 15s or 1m')
      .default('15s'),
    /**
     * How often a watched booking whose saga moves (PENDING, COMPENSATING) is read: its steps'
     * attempts are in Temporal alone (their services' databases are their own), so the watcher asks.
     */
    SSE_LIVE_POLL: z
      .string()
      .regex(/^\d{1,6}(ms|s|m)$/, 'must be a duration such as 500ms, 1s or 1m')
      .refine((v) => durationMs(v) >= 100, 'must be at least 100ms')
      .default('500ms'),
    SSE_MAX_STREAMS_PER_CALLER: z.coerce.number().int().min(1).max(100_000).default(10),
    /**
     * The reconciler (a Temporal Schedule the worker and npm run dev ensure): how often a pass looks
     * for bookings whose workflow closed without unwinding (terminated, timed out, gone), and how many
     * one pass gives back at most.
     */
    RECONCILE_INTERVAL: z
      .string()
      .regex(/^\d{1,6}(s|m|h)$/, 'must be a duration such as 30s, 1m or 1h')
      .refine((v) => durationMs(v) >= 1_000, 'must be at least 1s')
      .default('1m'),
    RECONCILE_BATCH: z.coerce.number().int().min(1).max(1_000).default(20),
    /** OTLP/HTTP collector, e.g. http://localhost:4318 (spans go to <it>/v1/traces). Unset: tracing off. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).optional(),
    /** Service name of the spans. Default: trip-api, trip-worker or trip-dev. */
    OTEL_SERVICE_NAME: z.string().min(1).optional(),
    /** The worker's Prometheus endpoint (/metrics) on 0.0.0.0:<port>. */
    METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    /** The worker's Prometheus endpoint as host:port (instead of METRICS_PORT). */
    PROMETHEUS_BIND_ADDRESS: z
      .string()
      .regex(/^[^\s/]+:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9464')
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (env.METRICS_PORT !== undefined && env.PROMETHEUS_BIND_ADDRESS !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_PORT'],
        message: 'and PROMETHEUS_BIND_ADDRESS are both set: set one',
      });
    }
  });

export interface Config {
  nodeEnv: 'development' | 'test' | 'production';
  /** DATABASE_URL: the booking service's database; undefined: none configured (`npm run dev` brings one). */
  databaseUrl: string | undefined;
  /** Every database's URL, the booking service's and each service's; undefined without DATABASE_URL. */
  databaseUrls: DatabaseUrls | undefined;
  /** The URLs of the databases this process uses (loadConfig's `databases`; default every one), as far as known. */
  ownDatabaseUrls: Partial<DatabaseUrls>;
  /** DATABASE_ADMIN_URL: what `npm run db:migrate` provisions the databases and their roles through. */
  databaseAdminUrl: string | undefined;
  databasePoolSize: number;
  /** Temporal's address: TEMPORAL_ADDRESS or the profile's; undefined: none configured. */
  temporalAddress: string | undefined;
  temporalNamespace: string;
  /** How to reach Temporal (src/temporal/connection.ts): address, namespace, TLS, API key, profile. */
  temporal: TemporalSettings;
  temporalDevPort: number;
  temporalUiPort: number;
  temporalUiUrl: string;
  faultInjection: boolean;
  /** SHUTDOWN_GRACE_TIME in milliseconds. */
  shutdownGraceMs: number;
  port: number;
  /** DEV_HOST: where `npm run dev` listens (127.0.0.1 by default). */
  devHost: string;
  logLevel: string;
  workflowBundlePath?: string | undefined;
  workerMaxCachedWorkflows: number;
  /** SERVICES_VIA: how the booking calls its services; undefined: each process's default (activity; nexus under npm run dev). */
  servicesVia: 'activity' | 'nexus' | undefined;
  /** NEXUS_ENDPOINT_PREFIX: the services' endpoints are `<prefix>-<service>`. */
  nexusEndpointPrefix: string;
  /** SERVICE_NAMESPACES: a service's namespace, where it differs from its name. */
  serviceNamespaces: Record<string, string>;
  /** WORKER_DEPLOYMENT_NAME: the Worker Deployment of this app's workers. */
  workerDeploymentName: string;
  /** WORKER_BUILD_ID; undefined outside production: the worker derives one from the workflow code. */
  workerBuildId: string | undefined;
  /** CARD_VAULT_KEY; in development and test a dev key when unset; in production '' when unset (the API refuses to start). */
  cardVaultKey: string;
  /** Keys of payload encryption, the current one first; empty: payloads are not encrypted. */
  payloadEncryptionKeys: PayloadKey[];
  /** Bearer token of the codec endpoint; undefined: the endpoint is off. */
  codecAuthToken: string | undefined;
  /** The OIDC issuer of bearer tokens; undefined (development and test only): the dev issuer. */
  auth: { jwksUrl: string; issuer: string; audience: string } | undefined;
  /** Per-customer limits per window: POST /bookings, the actions, the reads, and calls without an accepted token (per IP). */
  rateLimits: RateLimits;
  /** What one customer may hold at once (HOLD_MAX_*): active holds, and the seats and rooms they hold. */
  holdLimits: HoldLimits;
  /** IDEMPOTENCY_KEY_TTL in milliseconds. */
  idempotencyKeyTtlMs: number;
  /** SSE_SAFETY_POLL and SSE_LIVE_POLL in milliseconds, and SSE_MAX_STREAMS_PER_CALLER. */
  sse: { safetyPollMs: number; livePollMs: number; maxStreamsPerCaller: number };
  /** RECONCILE_INTERVAL in milliseconds, and RECONCILE_BATCH. */
  reconcile: { intervalMs: number; batch: number };
  /** OTLP/HTTP endpoint of tracing; undefined: tracing is off. */
  otlpEndpoint?: string | undefined;
  /** Service name of the spans (OTEL_SERVICE_NAME); undefined: each process names itself. */
  otelServiceName?: string | undefined;
  /** host:port of the worker's Prometheus endpoint; undefined: no metrics endpoint. */
  prometheusBindAddress?: string | undefined;
}

export interface RateLimits {
  windowMs: number;
  bookings: number;
  actions: number;
  anonymous: number;
  /** GET /bookings, GET /bookings/:id and event stream opens, per customer. */
  reads: number;
}

export interface HoldLimits {
  /** Holds not yet confirmed or ended (PENDING or HELD). */
  active: number;
  /** Seats summed over those holds, this one included. */
  seats: number;
  /** Rooms summed over those holds, this one included. */
  rooms: number;
}

/** Production's limits, per customer per minute; development and test allow their own load (tests, chaos, bench). */
const RATE_LIMIT_DEFAULTS = {
  production: { bookings: 10, actions: 30, anonymous: 30, reads: 120 },
  other: { bookings: 100_000, actions: 100_000, anonymous: 100_000, reads: 100_000 },
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEV_VAULT_KEY = 'dev-only-card-vault-key-not-for-production';

/**
 * The process the configuration is for, and so what it cannot start without:
 * - worker: DATABASE_URL; in production a Temporal address (TEMPORAL_ADDRESS or a profile's).
 *   Whoever sets DATABASE_URL in production sets each service's database's URL too.
 *   In development and test the address falls back to localhost:7233.
 * - api: the same, and in production CARD_VAULT_KEY.
 * - dev (`npm run dev`): in production CARD_VAULT_KEY.
 * - rollout (`npm run rollout`): a Temporal address, read as the worker reads it.
 * - unset (scripts, migrations, tests): only the format of what is set.
 * Only the worker, the API and the rollout read the default temporal.toml (~/.config/temporalio), as the CLI
 * does; the others read one only when TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE names it, so that a
 * profile for a cloud namespace never takes over a dev stack or a script.
 */
export type Service = 'worker' | 'api' | 'dev' | 'rollout';

const DURATION_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const durationMs = (value: string) => {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value)!;
  return Number(m[1]) * DURATION_MS[m[2]!]!;
};

/** Reads the configuration; throws one ConfigError that names every bad or missing variable. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: {
    service?: Service;
    /**
     * The databases the process uses (a worker of some roles: a service's worker needs its own
     * database's URL alone). Default: every one.
     */
    databases?: readonly DatabaseName[];
  } = {},
): Config {
  // An empty variable counts as unset.
  const present = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const parsed = schema.safeParse(present);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'env'} ${i.message}`);
  const resolved = resolveTemporal(present, {
    readDefaultConfigFile: options.service === 'worker' || options.service === 'api' || options.service === 'rollout',
  });
  problems.push(
    ...resolved.problems.filter(
      (p) => !(p.startsWith('TEMPORAL_ADDRESS ') && problems.some((q) => q.startsWith('TEMPORAL_ADDRESS '))),
    ),
  );
  const nodeEnv = parsed.data?.NODE_ENV ?? (present.NODE_ENV as Config['nodeEnv'] | undefined) ?? 'production';
  const production = nodeEnv === 'production';
  const { service } = options;
  const temporal = resolved.settings;
  // A process of some databases only (a service's worker) needs only their URLs; in development a
  // service's URL is derived from DATABASE_URL, so that is needed whenever one is not given.
  const needed = options.databases ?? DATABASES;
  const onlySome = needed.length < DATABASES.length;
  const needsBookingUrl =
    needed.includes('booking') || (!production && needed.some((db) => db !== 'booking' && !present[urlVariable(db)]));
  if (service === 'worker' || service === 'api' || service === 'rollout') {
    if (service !== 'rollout' && !present.DATABASE_URL && needsBookingUrl)
      problems.push(
        `DATABASE_URL is required by npm run ${service} (a postgresql:// URL, while npm run dev brings its own database)`,
      );
    if (!temporal.address) {
      if (production) {
        problems.push(
          'TEMPORAL_ADDRESS is required when NODE_ENV=production (the default): set it, or TEMPORAL_PROFILE/TEMPORAL_CONFIG_FILE to a profile with an address (NODE_ENV=development falls back to localhost:7233)',
        );
      } else {
        temporal.address = 'localhost:7233';
        temporal.via.address = 'TEMPORAL_ADDRESS (unset: localhost:7233)';
      }
    }
  }
  const services = serviceUrlsOf(present);
  const urls = present.DATABASE_URL ? databaseUrls(present.DATABASE_URL, services, !production) : undefined;
  const missingOwn = onlySome
    ? needed.filter(
        (db): db is ServiceDatabaseName => db !== 'booking' && !services[db] && (production || !present.DATABASE_URL),
      )
    : [];
  if (onlySome) {
    if (missingOwn.length > 0 && !problems.some((p) => p.startsWith('DATABASE_URL ')))
      problems.push(
        `${missingOwn.map(urlVariable).join(', ')} required by npm run ${service ?? 'worker'} of ${needed.join(', ')}: its own database`,
      );
  } else if (urls && urls.missing.length > 0) {
    problems.push(
      `${urls.missing.map(urlVariable).join(', ')} required with DATABASE_URL when NODE_ENV=production (the default): each service's own database (NODE_ENV=development or test derives them from DATABASE_URL)`,
    );
  } else if (
    !present.DATABASE_URL &&
    Object.keys(services).length > 0 &&
    !problems.some((p) => p.startsWith('DATABASE_URL '))
  ) {
    problems.push(
      `${(Object.keys(services) as ServiceDatabaseName[]).map(urlVariable).join(', ')} set without DATABASE_URL: set the booking service's too`,
    );
  }
  if (service === 'worker' && production && !present.WORKER_BUILD_ID) {
    problems.push(
      'WORKER_BUILD_ID is required by npm run worker when NODE_ENV=production (the default): name the build, e.g. the image tag or commit (docs/deploy.md, rollouts)',
    );
  }
  if ((service === 'api' || service === 'dev') && production && !present.CARD_VAULT_KEY) {
    problems.push(
      'CARD_VAULT_KEY is required when NODE_ENV=production (the default), the dev key exists only with NODE_ENV=development or test',
    );
  }
  // A key, token or password that this repository publishes protects nothing.
  if (production) problems.push(...publishedSecretProblems(present));
  const authVars = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'];
  const authSet = authVars.filter((v) => present[v]);
  if ((service === 'api' || service === 'dev') && production && authSet.length < 3) {
    problems.push(
      `${authVars.filter((v) => !present[v]).join(', ')} required when NODE_ENV=production (the default): the OIDC issuer whose tokens the API accepts (the dev issuer exists only with NODE_ENV=development or test)`,
    );
  } else if (authSet.length > 0 && authSet.length < 3) {
    problems.push(
      `${authVars.filter((v) => !present[v]).join(', ')} must be set with ${authSet.join(', ')} (set all three AUTH_ variables, or none for the dev issuer)`,
    );
  }
  if (problems.length || !parsed.success) throw new ConfigError(`invalid environment: ${problems.join('; ')}`);
  const e = parsed.data;
  const grace = /^(\d+)(ms|s|m)$/.exec(e.SHUTDOWN_GRACE_TIME)!;
  return {
    nodeEnv: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    databaseUrls: urls?.urls,
    ownDatabaseUrls: Object.fromEntries(
      needed.flatMap((db) => {
        const url = urls?.urls[db] ?? (db === 'booking' ? present.DATABASE_URL : services[db]);
        return url ? [[db, url]] : [];
      }),
    ),
    databaseAdminUrl: e.DATABASE_ADMIN_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    temporalAddress: temporal.address,
    temporalNamespace: temporal.namespace,
    temporal,
    temporalDevPort: e.TEMPORAL_DEV_PORT,
    temporalUiPort: e.TEMPORAL_UI_PORT,
    temporalUiUrl: e.TEMPORAL_UI_URL.replace(/\/$/, ''),
    faultInjection: e.FAULT_INJECTION === 'on',
    shutdownGraceMs: Number(grace[1]) * DURATION_MS[grace[2]!]!,
    port: e.PORT,
    devHost: e.DEV_HOST,
    logLevel: e.LOG_LEVEL,
    workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    workerMaxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    servicesVia: e.SERVICES_VIA,
    nexusEndpointPrefix: e.NEXUS_ENDPOINT_PREFIX,
    serviceNamespaces: e.SERVICE_NAMESPACES ?? {},
    workerDeploymentName: e.WORKER_DEPLOYMENT_NAME,
    workerBuildId: e.WORKER_BUILD_ID,
    cardVaultKey: e.CARD_VAULT_KEY ?? (production ? '' : DEV_VAULT_KEY),
    payloadEncryptionKeys: e.PAYLOAD_ENCRYPTION_KEYS ?? [],
    codecAuthToken: e.CODEC_AUTH_TOKEN,
    auth:
      e.AUTH_JWKS_URL && e.AUTH_ISSUER && e.AUTH_AUDIENCE
        ? { jwksUrl: e.AUTH_JWKS_URL, issuer: e.AUTH_ISSUER, audience: e.AUTH_AUDIENCE }
        : undefined,
    rateLimits: {
      windowMs: durationMs(e.RATE_LIMIT_WINDOW ?? '1m'),
      bookings: e.RATE_LIMIT_BOOKINGS ?? RATE_LIMIT_DEFAULTS[production ? 'production' : 'other'].bookings,
      actions: e.RATE_LIMIT_ACTIONS ?? RATE_LIMIT_DEFAULTS[production ? 'production' : 'other'].actions,
      anonymous: e.RATE_LIMIT_ANONYMOUS ?? RATE_LIMIT_DEFAULTS[production ? 'production' : 'other'].anonymous,
      reads: e.RATE_LIMIT_READS ?? RATE_LIMIT_DEFAULTS[production ? 'production' : 'other'].reads,
    },
    holdLimits: { active: e.HOLD_MAX_ACTIVE, seats: e.HOLD_MAX_SEATS, rooms: e.HOLD_MAX_ROOMS },
    idempotencyKeyTtlMs: durationMs(e.IDEMPOTENCY_KEY_TTL),
    sse: {
      safetyPollMs: durationMs(e.SSE_SAFETY_POLL),
      livePollMs: durationMs(e.SSE_LIVE_POLL),
      maxStreamsPerCaller: e.SSE_MAX_STREAMS_PER_CALLER,
    },
    reconcile: { intervalMs: durationMs(e.RECONCILE_INTERVAL), batch: e.RECONCILE_BATCH },
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    otelServiceName: e.OTEL_SERVICE_NAME,
    prometheusBindAddress:
      e.PROMETHEUS_BIND_ADDRESS ?? (e.METRICS_PORT === undefined ? undefined : `0.0.0.0:${e.METRICS_PORT}`),
  };
}

/** The services' database URLs that are set. */
function serviceUrlsOf(present: Record<string, string>): Partial<Record<ServiceDatabaseName, string>> {
  return Object.fromEntries(
    SERVICE_DATABASES.filter((name) => present[urlVariable(name)]).map((name) => [name, present[urlVariable(name)]]),
  );
}

/** The Temporal Web UI page of a booking's workflow. */
export function historyUrl(config: Pick<Config, 'temporalUiUrl' | 'temporalNamespace'>, workflowId: string): string {
  return `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.temporalNamespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
