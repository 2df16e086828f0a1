// One test file's real dev server for the services over Nexus (the time-skipping server runs no
// Nexus): the server and its clients, the file's database and workflow bundle, and a namespace of
// its own per service; `close` stops all of it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SERVICE_NAMES } from '../../src/booking/service-contracts.ts';
import type { ServiceName } from '../../src/booking/service-routes.ts';
import { ensureEndpoint, ensureNamespace } from '../../src/temporal/nexus-setup.ts';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../src/temporal/worker-factory.ts';
import { startTemporalDevServer, type DevServer } from '../deploy/support.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { quietLogger } from './temporal.ts';

export interface NexusTestServer {
  /** The file's scratch directory (the server's data), removed by `close`. */
  dir: string;
  server: DevServer;
  tdb: TestDatabase;
  bundle: WorkflowBundleWithSourceMap;
  connection: Connection;
  native: NativeConnection;
  /** A client of the booking's namespace (default). */
  client: Client;
  close(): Promise<void>;
}

/** The server, with `namespaceOf(service)` made for each service; `label` names the database. */
export async function startNexusTestServer(
  label: string,
  namespaceOf: (service: ServiceName) => string,
): Promise<NexusTestServer> {
  const dir = await mkdtemp(join(tmpdir(), `trip-${label}-`));
  const [server, tdb, bundle] = await Promise.all([
    startTemporalDevServer(dir),
    createTestDatabase(label),
    bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: quietLogger }),
  ]);
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  for (const service of SERVICE_NAMES) await ensureNamespace(connection, namespaceOf(service));
  return {
    dir,
    server,
    tdb,
    bundle,
    connection,
    native,
    client: new Client({ connection }),
    async close() {
      await native.close();
      await connection.close();
      await server.stop();
      await tdb.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Each service's endpoint, `<prefix>-<service>`, on its namespace and the task queue its worker polls there. */
export async function ensureServiceTestEndpoints(
  connection: Connection,
  prefix: string,
  target: (service: ServiceName) => { namespace: string; taskQueue: string },
): Promise<void> {
  for (const service of SERVICE_NAMES) {
    await ensureEndpoint(connection, {
      endpoint: `${prefix}-${service}`,
      ...target(service),
      description: `The ${service} service (test)`,
    });
  }
}
