// What `npm run worker` and `npm run api` do the same way before they serve: read the config or
// say in one line what is wrong, and reach Temporal or say in one line why not.
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.ts';
import type { DatabaseName } from './db/databases.ts';
import { explainConnectError, TemporalConnectError, type ConnectOptions } from './temporal/connection.ts';
import type { Tracing } from './temporal/telemetry.ts';

/**
 * The config of `npm run <service>` (of `databases` only, when given); on any bad or missing
 * variable, one line on stderr and exit 1.
 */
export function configOrExit(service: 'worker' | 'api', databases?: readonly DatabaseName[]): Config {
  try {
    return loadConfig(process.env, { service, ...(databases ? { databases } : {}) }); // every bad or missing variable, named
  } catch (error) {
    // No logger yet (LOG_LEVEL is among what failed): one plain line on stderr, as `npm run dev` says it.
    console.error(`npm run ${service}: ${error instanceof ConfigError ? error.message : String(error)}`);
    process.exit(1);
  }
}

/**
 * Connects, retrying for 30 s while Temporal does not answer (it may be starting, or restarting);
 * a refusal (API key, client certificate, CA, namespace) is not retried: one fatal line, exit 1.
 */
export async function connectOrExit<C>(
  connect: (settings: Config['temporal'], options: ConnectOptions) => Promise<C>,
  config: Config,
  logger: Logger,
  tracing: Tracing | undefined,
  options: Omit<ConnectOptions, 'retryForMs' | 'onRetry'> = {},
): Promise<C> {
  try {
    return await connect(config.temporal, {
      ...options,
      retryForMs: 30_000,
      onRetry: (line, attempt) => logger.warn(`${line} (attempt ${attempt}; retrying for up to 30 s)`),
    });
  } catch (error) {
    logger.fatal(error instanceof TemporalConnectError ? error.line : explainConnectError(error, config.temporal).line);
    await tracing?.shutdown();
    process.exit(1);
  }
}
