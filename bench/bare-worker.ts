// The bare workflow's worker, a process of its own like the saga's (`npm run worker`).
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createBareActivities } from './bare-activities.ts';

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
const worker = await Worker.create({
  connection,
  taskQueue: 'bench-bare',
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities: createBareActivities(),
});
await worker.run();
await connection.close();
