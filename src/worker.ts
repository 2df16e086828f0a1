// npm run worker: runs the trip-booking worker against TEMPORAL_ADDRESS in TEMPORAL_NAMESPACE.
// Shuts down gracefully on SIGINT and SIGTERM: running activities finish or are cancelled first.
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFor, describeEncryption } from './codec.ts';
import { loadConfig } from './config.ts';
import { createDb } from './db/client.ts';
import { TASK_QUEUE } from './shared.ts';
import { createTripWorker } from './temporal.ts';

const config = loadConfig();
if (!config.databaseUrl) {
  console.error('DATABASE_URL is not set (or run `npm run dev`, which brings its own database).');
  process.exit(2);
}
const address = config.temporalAddress ?? 'localhost:7233';
const db = createDb(config.databaseUrl, { max: config.databasePoolSize });
let connection: NativeConnection;
try {
  connection = await NativeConnection.connect({ address });
} catch (error) {
  console.error(`Cannot reach Temporal at ${address}: ${(error as Error).message}`);
  console.error('Start one with `temporal server start-dev`, or set TEMPORAL_ADDRESS.');
  process.exit(1);
}
try {
  const worker = await createTripWorker({
    connection,
    namespace: config.temporalNamespace,
    db,
    faultInjection: config.faultInjection,
    dataConverter: dataConverterFor(config),
  });
  console.log(
    `worker: task queue ${TASK_QUEUE} on ${address} (namespace ${config.temporalNamespace}); fault injection ${config.faultInjection ? 'on' : 'off'}; ${describeEncryption(config)}`,
  );
  await worker.run(); // resolves after SIGINT/SIGTERM, once in-flight tasks are done
} finally {
  await connection.close();
  await db.$disconnect();
}
