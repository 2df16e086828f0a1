// How every process reaches Temporal: the worker (NativeConnection), the API and the dev stack
// (Connection for the client, NativeConnection for the stack's worker). The settings come from
// @temporalio/envconfig, as for the Temporal CLI and the other SDKs: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, and a profile of a temporal.toml
// (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml). An API key turns
// TLS on. A refusal (wrong API key, no or a refused client certificate, an unknown CA) fails at once
// with one line naming the variable to check; only a server that does not answer is retried.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import {
  loadClientConfigProfile,
  toClientOptions,
  type ClientConfigProfile,
  type ConfigDataSource,
} from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';

/** Where Temporal is and how to talk to it. No secret is a property: logging this prints none. */
export interface TemporalSettings {
  /** host:port; undefined: none configured (`npm run dev` then starts a dev server). */
  address: string | undefined;
  namespace: string;
  /** off: plain gRPC; tls: TLS, the server's certificate checked; mtls: TLS with a client certificate. */
  tls: 'off' | 'tls' | 'mtls';
  apiKey: boolean;
  /** `profile "prod" of /etc/temporal.toml`, when a config file gave settings. */
  profile: string | undefined;
  /** The variable (or profile key) behind each setting: what an error tells the user to check. */
  via: Record<'address' | 'namespace' | 'apiKey' | 'tls' | 'serverCaCert' | 'serverName' | 'clientCert', string>;
  /** The options of NativeConnection.connect (worker) and Connection.connect (client), secrets included. */
  connectionOptions(): NativeConnectionOptions & ConnectionOptions;
}

export interface ResolveOptions {
  /**
   * Read ~/.config/temporalio/temporal.toml when neither TEMPORAL_CONFIG_FILE nor TEMPORAL_PROFILE
   * names one. The worker and the API do (as the CLI does); `npm run dev` and scripts do not, so
   * that a profile for your cloud namespace does not take over a zero-configuration dev stack.
   */
  readDefaultConfigFile?: boolean;
}

/** Each problem as `<VARIABLE> <what is wrong>`, in the style of config.ts. */
export type Problems = string[];

const ENV_NAMES = {
  address: 'TEMPORAL_ADDRESS',
  namespace: 'TEMPORAL_NAMESPACE',
  apiKey: 'TEMPORAL_API_KEY',
  tls: 'TEMPORAL_TLS',
  serverCaCert: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  serverName: 'TEMPORAL_TLS_SERVER_NAME',
  clientCert: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  clientKey: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
} as const;
const TOML_KEYS: Record<keyof typeof ENV_NAMES, string> = {
  address: 'address',
  namespace: 'namespace',
  apiKey: 'api_key',
  tls: 'tls',
  serverCaCert: 'tls.server_ca_cert_path',
  serverName: 'tls.server_name',
  clientCert: 'tls.client_cert_path',
  clientKey: 'tls.client_key_path',
};

function defaultConfigFile(env: Record<string, string>): string | undefined {
  const dir = env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, '.config') : undefined);
  return dir ? join(dir, 'temporalio', 'temporal.toml') : undefined;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/**
 * Reads the Temporal settings from `env` (non-empty values only) and the profile it names, through
 * @temporalio/envconfig. Checks what envconfig lets through silently: a TEMPORAL_TLS that is not a
 * boolean, a certificate without its key, a file that cannot be read.
 */
export function resolveTemporal(
  env: Record<string, string>,
  options: ResolveOptions = {},
): { settings: TemporalSettings; problems: Problems } {
  const problems: Problems = [];
  const namedFile = env.TEMPORAL_CONFIG_FILE;
  const fileInUse =
    namedFile ??
    (options.readDefaultConfigFile === false && !env.TEMPORAL_PROFILE ? undefined : defaultConfigFile(env));
  const profileName = env.TEMPORAL_PROFILE ?? 'default';
  let profile: ClientConfigProfile = {};
  let fromFile: ClientConfigProfile = {};
  try {
    if (namedFile && !existsSync(namedFile)) problems.push(`TEMPORAL_CONFIG_FILE ${namedFile} does not exist`);
    // No file (or none to read): an empty one, so envconfig looks nowhere else.
    const file = fileInUse && existsSync(fileInUse) ? fileInUse : undefined;
    const source = {
      configSource: file ? { path: file } : { data: '[profile]\n' },
      ...(env.TEMPORAL_PROFILE ? { profile: env.TEMPORAL_PROFILE } : {}),
    };
    fromFile = loadClientConfigProfile({ ...source, disableEnv: true });
    profile = loadClientConfigProfile({ ...source, overrideEnvVars: env });
  } catch (error) {
    const message = firstLine(error);
    if (/^Profile '.*' not found/.test(message))
      problems.push(`TEMPORAL_PROFILE "${profileName}" is not a profile of ${fileInUse ?? 'any config file'}`);
    else if (!problems.length)
      problems.push(
        `${namedFile ? 'TEMPORAL_CONFIG_FILE' : 'the Temporal config file'} ${fileInUse} cannot be read: ${message}`,
      );
  }
  const inFile = Object.keys(fromFile).length > 0;
  const profileLabel = inFile ? `profile "${profileName}" of ${fileInUse}` : undefined;
  // Each setting names its variable when the environment set it, else the profile's key.
  const via = (key: keyof typeof ENV_NAMES): string => {
    if (env[ENV_NAMES[key]] !== undefined || !profileLabel) return ENV_NAMES[key];
    const fileHas =
      key === 'address' || key === 'namespace' || key === 'apiKey'
        ? fromFile[key] !== undefined
        : fromFile.tls !== undefined;
    return fileHas ? `${TOML_KEYS[key]} of ${profileLabel}` : ENV_NAMES[key];
  };

  if (env.TEMPORAL_TLS !== undefined && !/^(true|false|1|0)$/.test(env.TEMPORAL_TLS))
    problems.push('TEMPORAL_TLS must be true or false');
  if (profile.address !== undefined && !/^[^\s:/]+:\d{1,5}$/.test(profile.address))
    problems.push(`${via('address')} must be host:port`);
  const tls = profile.tls;
  const check = (source: ConfigDataSource | undefined, key: keyof typeof ENV_NAMES) => {
    if (source && 'path' in source && !existsSync(source.path))
      problems.push(`${via(key)}: ${source.path} does not exist`);
  };
  check(tls?.serverCACert, 'serverCaCert');
  check(tls?.clientCert, 'clientCert');
  check(tls?.clientKey, 'clientKey');
  if (Boolean(tls?.clientCert) !== Boolean(tls?.clientKey)) {
    problems.push(
      `${ENV_NAMES.clientCert} and ${ENV_NAMES.clientKey} (or their _DATA forms) go together: set both or neither`,
    );
  }

  let connectOptions: NativeConnectionOptions = { address: profile.address };
  if (!problems.length) {
    try {
      connectOptions = toClientOptions(profile).connectionOptions;
    } catch (error) {
      problems.push(`the TLS files of Temporal cannot be read: ${firstLine(error)}`);
    }
  }
  const tlsOption = connectOptions.tls;
  const mode: TemporalSettings['tls'] = !tlsOption
    ? 'off'
    : typeof tlsOption === 'object' && tlsOption.clientCertPair
      ? 'mtls'
      : 'tls';
  const settings: TemporalSettings = {
    address: profile.address,
    namespace: profile.namespace ?? 'default',
    tls: mode,
    apiKey: Boolean(profile.apiKey),
    profile: profileLabel,
    via: {
      address: via('address'),
      namespace: via('namespace'),
      apiKey: via('apiKey'),
      tls: via('tls'),
      serverCaCert: via('serverCaCert'),
      serverName: via('serverName'),
      clientCert: via('clientCert'),
    },
    connectionOptions: () => {
      const { tls: tlsConfig, apiKey, metadata } = connectOptions;
      return {
        address: settings.address,
        ...(tlsConfig ? { tls: tlsConfig } : {}),
        ...(apiKey ? { apiKey } : {}),
        ...(metadata && Object.keys(metadata).length ? { metadata } : {}),
      };
    },
  };
  return { settings, problems };
}

/** A settings' one-line description, secrets left out: `localhost:7233 (namespace default, TLS, API key)`. */
export function describeTemporal(settings: TemporalSettings): string {
  const how = [
    `namespace ${settings.namespace}`,
    settings.tls === 'off' ? 'plain gRPC' : settings.tls === 'mtls' ? 'mTLS' : 'TLS',
  ];
  if (settings.apiKey) how.push('API key');
  if (settings.profile) how.push(settings.profile);
  return `${settings.address ?? '(no address)'} (${how.join(', ')})`;
}

// ---------- Connecting ----------

/** A connection that failed: `line` says why, in one line, naming what to check. */
export class TemporalConnectError extends Error {
  override name = 'TemporalConnectError';
  readonly line: string;
  /** unavailable: nothing answered (worth retrying); refused: the server or TLS said no. */
  readonly kind: 'unavailable' | 'refused';
  constructor(line: string, kind: 'unavailable' | 'refused') {
    super(line);
    this.line = line;
    this.kind = kind;
  }
}

/**
 * Reads an error of NativeConnection (Rust: tonic, rustls) or Connection (grpc-js) and says what
 * the user should check; undefined when it is not about the connection. Pure: unit-testable on the
 * messages the SDK gives.
 */
export function explainIfConnectError(error: unknown, settings: TemporalSettings): TemporalConnectError | undefined {
  const e = error as { message?: string; cause?: { message?: string; code?: number } };
  const text = `${e.message ?? String(error)} ${e.cause?.message ?? ''}`;
  const at = `Temporal at ${settings.address}`;
  const refused = (why: string, check: string) =>
    new TemporalConnectError(`${at} refused the connection: ${why}. Check ${check}.`, 'refused');
  const has = (pattern: RegExp) => pattern.test(text);
  const v = settings.via;

  if (has(/\b401\b|Unauthenticated|UNAUTHENTICATED/)) {
    return settings.apiKey
      ? refused('it does not accept the API key (401 Unauthenticated)', v.apiKey)
      : refused(
          'it wants credentials and none were sent (401 Unauthenticated)',
          `${v.apiKey} (or a client certificate: ${v.clientCert})`,
        );
  }
  if (has(/\b403\b|PermissionDenied|PERMISSION_DENIED|permission denied/i)) {
    return refused(
      `permission denied for namespace ${settings.namespace}`,
      `${settings.apiKey ? v.apiKey : v.clientCert} and ${v.namespace}`,
    );
  }
  // The server's certificate first: the handshake checks it before the client's.
  if (
    has(/UnknownIssuer|self[- ]signed certificate|unable to get local issuer|unable to verify the first certificate/i)
  ) {
    return refused('its TLS certificate is signed by a CA this process does not trust (UnknownIssuer)', v.serverCaCert);
  }
  if (has(/NotValidForName|Hostname\/IP does not match|altnames/)) {
    return refused(
      'its TLS certificate is not valid for this host name (NotValidForName)',
      `${v.serverName} and ${v.address}`,
    );
  }
  if (has(/InvalidCertificate|certificate has expired|certificate expired/i)) {
    return refused(
      `its TLS certificate is not valid (${/InvalidCertificate\((\w+)/.exec(text)?.[1] ?? 'expired'})`,
      v.serverCaCert,
    );
  }
  if (
    has(/CertificateRequired|certificate required|No required SSL certificate/i) ||
    (has(/\b400\b/) && settings.tls === 'tls')
  ) {
    return refused(
      'it requires a client certificate and none was sent (mTLS)',
      `${v.clientCert} and ${ENV_NAMES.clientKey}`,
    );
  }
  if (
    has(/BadCertificate|UnknownCA|bad certificate|unknown ca|CertificateUnknown|HandshakeFailure|\b400\b/i) &&
    settings.tls === 'mtls'
  ) {
    return refused('it does not accept the client certificate', `${v.clientCert} and ${ENV_NAMES.clientKey}`);
  }
  if (has(/InvalidContentType|CorruptMessage|wrong version number|InvalidMessage/)) {
    return refused(
      'it does not speak TLS, but this process does',
      `${v.tls}${settings.apiKey ? ` (an API key turns TLS on: ${v.apiKey})` : ''}`,
    );
  }
  if (
    settings.tls === 'off' &&
    has(/FRAME_SIZE_ERROR|GoAway|h2 protocol error|Received HTTP status code 400|protocol error/)
  ) {
    return refused(
      'it wants TLS, and this process speaks plain gRPC',
      `${v.tls} (set it to true, and ${v.serverCaCert} for a private CA)`,
    );
  }
  if (has(/[Nn]amespace\b.*\bnot found|NamespaceNotFound/)) {
    return new TemporalConnectError(`${at} has no namespace ${settings.namespace}. Check ${v.namespace}.`, 'refused');
  }
  if (
    has(
      /tcp connect error|Connection ?refused|ECONNREFUSED|dns error|ENOTFOUND|EAI_AGAIN|failed to lookup|timed out|deadline|Unavailable|UNAVAILABLE|ECONNRESET|connection reset|broken pipe/i,
    )
  ) {
    return new TemporalConnectError(
      `Cannot reach ${at}: nothing answers (${firstLine(error).slice(0, 160)}). Check ${v.address}.`,
      'unavailable',
    );
  }
  return undefined;
}

/** explainIfConnectError, or for an error it does not know, the error's first line and what to check. */
export function explainConnectError(error: unknown, settings: TemporalSettings): TemporalConnectError {
  return (
    explainIfConnectError(error, settings) ??
    new TemporalConnectError(
      `Temporal at ${settings.address} failed: ${firstLine(error).slice(0, 200)}. Check ${settings.via.address} and the TEMPORAL_TLS* variables.`,
      'refused',
    )
  );
}

export interface ConnectOptions {
  /** Keep trying a server that does not answer for this long (0: once). A refusal is never retried. */
  retryForMs?: number;
  /** Told about each retry. */
  onRetry?: (line: string, attempt: number) => void;
  /** Check that the namespace exists (the API: refuse to serve requests it cannot complete). */
  checkNamespace?: boolean;
}

async function withRetry<T>(
  settings: TemporalSettings,
  options: ConnectOptions,
  attempt: () => Promise<T>,
): Promise<T> {
  const until = Date.now() + (options.retryForMs ?? 0);
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const explained = error instanceof TemporalConnectError ? error : explainConnectError(error, settings);
      if (explained.kind !== 'unavailable' || Date.now() + 2_000 > until) throw explained;
      options.onRetry?.(explained.line, n);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

function requireAddress(settings: TemporalSettings): void {
  if (!settings.address)
    throw new TemporalConnectError(
      `No Temporal address: set ${ENV_NAMES.address} (or TEMPORAL_PROFILE with a profile that has one).`,
      'refused',
    );
}

/** The worker's connection (Rust core): its errors say exactly what went wrong. */
export async function connectNative(
  settings: TemporalSettings,
  options: ConnectOptions = {},
): Promise<NativeConnection> {
  requireAddress(settings);
  return withRetry(settings, options, async () => {
    const connection = await NativeConnection.connect(settings.connectionOptions());
    try {
      // connect() checks the TCP and TLS layers; a call checks what the server (or a proxy) says.
      await connection.workflowService.getSystemInfo({});
      if (options.checkNamespace) await connection.workflowService.describeNamespace({ namespace: settings.namespace });
      return connection;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  });
}

/**
 * The client's connection (grpc-js). grpc-js says only "Failed to connect before the deadline"
 * for any TLS failure: then a NativeConnection to the same place says why.
 */
export async function connectClient(settings: TemporalSettings, options: ConnectOptions = {}): Promise<Connection> {
  requireAddress(settings);
  return withRetry(settings, options, async () => {
    let connection: Connection;
    try {
      connection = await Connection.connect({ ...settings.connectionOptions(), connectTimeout: 10_000 });
    } catch (error) {
      const explained = explainConnectError(error, settings);
      if (explained.kind === 'refused') throw explained;
      const diagnosis = await NativeConnection.connect(settings.connectionOptions())
        .then(
          async (native) => {
            await native.workflowService.getSystemInfo({}).finally(() => native.close());
            return undefined;
          },
          (nativeError: unknown) => explainConnectError(nativeError, settings),
        )
        .catch((nativeError: unknown) => explainConnectError(nativeError, settings));
      throw diagnosis ?? explained;
    }
    if (options.checkNamespace) {
      try {
        await connection.workflowService.describeNamespace({ namespace: settings.namespace });
      } catch (error) {
        await connection.close().catch(() => undefined);
        throw error;
      }
    }
    return connection;
  });
}
