// The chaos run: bookings with a mix of faults and concurrent cancels while the workers (the
// booking's and each service's, separate processes) are SIGKILLed and restarted, the Temporal dev
// server restarts, and PostgreSQL becomes unreachable through a TCP proxy. Then every booking must have ended, and every invariant must hold.
// The services are called one way per run (`via`): as activities on their task queues, or over
// Nexus, each service's worker in its own namespace behind its endpoint (made on the run's server
// as `npm run dev` makes them); over Nexus every service operation's workflow must have ended too.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { pino } from 'pino';
import { createApp } from '../../src/api/http/app.ts';
import { createDevIssuer } from '../../src/api/identity/dev-issuer.ts';
import { connectDatabases, disconnectDatabases, seedDatabases } from '../../src/activities/databases.ts';
import { invariantViolations } from '../../src/activities/invariants.ts';
import { databaseEnv, databaseUrlsOn, databaseUrlsVia } from '../../src/db/databases.ts';
import { dropDatabases, prepareDatabases } from '../../src/db/provision.ts';
import { freePort, startEmbeddedPostgres } from '../../src/dev/postgres.ts';
import { isTerminal, workflowIdFor, type BookingState } from '../../src/booking/booking.ts';
import { TRIP_STEPS } from '../../src/booking/steps.ts';
import { utcDay } from '../../src/common/dates.ts';
import { WORKER_ROLES, WORKFLOW_BUNDLE_OPTIONS, type WorkerRole } from '../../src/temporal/worker-factory.ts';
import { temporalCli } from '../../src/temporal/executables.ts';
import { loadConfig } from '../../src/config.ts';
import type { ServiceName, ServiceTransport } from '../../src/booking/service-routes.ts';
import { ensureServiceEndpoints } from '../../src/temporal/nexus-setup.ts';
import { serviceTransport, type ServiceNexusTarget } from '../../src/temporal/service-transport.ts';
import { SCENARIOS, bookingBody, type Scenario } from '../scenarios.ts';
import { startTcpProxy } from './tcp-proxy.ts';

export interface ChaosOptions {
  bookings: number;
  /** How long PostgreSQL is unreachable. */
  pgOutageMs: number;
  /** SIGKILLs of worker processes: the roles in turn (booking, flights, hotels, payments, booking, …), from a random one. */
  workerKills: number;
  /** The booking's worker processes, sharing its task queue. Default 1; each service has one process of its own. */
  workers?: number;
  /** Share of bookings that the user cancels while they run. */
  cancelShare: number;
  /** How the booking calls its services (SERVICES_VIA of every worker process). Default `activity`. */
  via?: ServiceTransport;
  /** PostgreSQL server URL; an embedded one when absent. */
  databaseServerUrl?: string;
  seed?: number;
  log?: (line: string) => void;
}

/** A service operation whose activity ran on a service's worker when that worker was SIGKILLed (the Nexus way). */
export interface OperationAtKill {
  /** The serviceOperation workflow, in the service's namespace. */
  workflowId: string;
  service: ServiceName;
  bookingId: string | undefined;
  activity: string;
  /** The attempt that ran on the killed worker. */
  attemptAtKill: number;
  /** The attempt whose result the workflow took, and whether it ran on a later process of the service's slot. */
  lastAttempt: number | undefined;
  onRestartedWorker: boolean;
  /** What the attempt before the last one ended with (the kill's: a start-to-close timeout). */
  lastFailure: string | undefined;
  /** How the activity ended: completed, failed, timed out (its last attempt), cancelled; and the workflow. */
  activityOutcome: string;
  workflowStatus: string;
  /**
   * The operation workflow's tasks that timed out (SCHEDULE_TO_START: one put on the killed
   * worker's sticky queue, which no one polls any more; START_TO_CLOSE: one the kill cut short).
   */
  workflowTaskTimeouts: string[];
  /** From the kill to the activity's last event. */
  msAfterKill: number | undefined;
  /** How the booking's Nexus operation of this call ended in its history, and when: it waits on it. */
  bookingSaw: string;
  bookingMsAfterKill: number | undefined;
  bookingStatus: string | undefined;
}

export interface ChaosReport {
  /** How the booking called its services. */
  via: ServiceTransport;
  seed: number;
  bookings: number;
  byStatus: Record<string, number>;
  workerKills: number;
  temporalRestarts: number;
  /** Workflow and activity tasks each worker slot completed (a slot keeps its number across restarts). */
  tasksByWorker: number[];
  /** Each slot's role (booking, or a service), in the order of tasksByWorker. */
  workerRoles: WorkerRole[];
  /** The SIGKILLs, per role. */
  killsByRole: Partial<Record<WorkerRole, number>>;
  pgOutageMs: number;
  /** Hotel nights whose rooms taken the invariants checked against the stays that cover them. */
  hotelNights: number;
  /** The Nexus way: the serviceOperation workflows the services ran (each must have ended). */
  serviceOperations: number;
  /** The Nexus way: the operations whose activity a service worker's SIGKILL interrupted. */
  operationsAtKill: OperationAtKill[];
  violations: string[];
  seconds: number;
}

/** The scenarios the run mixes: those that end on their own (no operator needed). */
const MIX: Scenario[] = SCENARIOS.filter((s) => !s.action && !/every-attempt|out-of-attempts/.test(s.name));

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await delay(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const random = rng(seed);
  const via = options.via ?? 'activity';
  const dir = await mkdtemp(join(tmpdir(), 'trip-chaos-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  const report: ChaosReport = {
    via,
    seed,
    bookings: options.bookings,
    byStatus: {},
    workerKills: 0,
    temporalRestarts: 0,
    tasksByWorker: [],
    workerRoles: [],
    killsByRole: {},
    pgOutageMs: options.pgOutageMs,
    hotelNights: 0,
    serviceOperations: 0,
    operationsAtKill: [],
    violations: [],
    seconds: 0,
  };
  try {
    // PostgreSQL (the booking service's database and each service's), and the proxy that the
    // worker and the API reach it through: an outage cuts every database at once.
    let serverUrl = options.databaseServerUrl;
    if (!serverUrl) {
      const pg = await startEmbeddedPostgres({ dir: join(dir, 'pg'), persistent: false, ephemeral: true });
      cleanups.push(() => pg.stop());
      serverUrl = pg.serverUrl;
    }
    const directUrls = databaseUrlsOn(serverUrl, `trip_chaos_${Date.now()}`);
    // Dropped once all that starts after this has stopped (cleanups run in reverse): on a server of
    // the caller's, the run leaves nothing behind.
    cleanups.push(() => dropDatabases(serverUrl, Object.values(directUrls)));
    await prepareDatabases(directUrls);
    const direct = connectDatabases(directUrls, { max: 4 });
    cleanups.push(() => disconnectDatabases(direct));
    await seedDatabases(direct);
    const target = new URL(serverUrl);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    cleanups.push(() => proxy.close());
    const proxiedUrls = databaseUrlsVia(directUrls, '127.0.0.1', proxy.port);

    // Temporal: a dev server process with its history in a file, so it survives a restart.
    const [temporalPort, uiPort] = [await freePort(), await freePort()];
    const address = `127.0.0.1:${temporalPort}`;
    let temporal: ChildProcess | undefined;
    const startTemporal = async () => {
      temporal = spawn(
        temporalCli()?.path ?? 'temporal',
        [
          'server',
          'start-dev',
          '--ip',
          '127.0.0.1',
          '--port',
          String(temporalPort),
          '--ui-port',
          String(uiPort),
          '--db-filename',
          join(dir, 'temporal.db'),
          '--log-level',
          'error',
          '--search-attribute',
          'BookingStatus=Keyword',
        ],
        { stdio: 'ignore' },
      );
      await waitFor(() => fetch(`http://127.0.0.1:${uiPort}/`).then((r) => r.ok), 30_000, 'the Temporal dev server');
    };
    const stopTemporal = async () => {
      const t = temporal;
      if (!t || t.exitCode !== null) return;
      const exited = new Promise((resolve) => t.once('exit', resolve));
      t.kill('SIGTERM');
      // The dev server sometimes hangs on its way down: after 10 s it is killed.
      const timer = setTimeout(() => t.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    };
    await startTemporal();
    cleanups.push(stopTemporal);
    // The run's connection: the API's client, the Nexus way's setup and its checks.
    const connection = await Connection.connect({ address });
    cleanups.push(() => connection.close());

    // The workers: the booking's (`--workers` of them, sharing its task queue) and one per service,
    // each a separate process running one role (`src/worker.ts <role>`), so that one can be SIGKILLed. Like a
    // process supervisor (compose's `restart: unless-stopped`), the run restarts one that exits on
    // its own. Each slot's processes (a kill starts a new one) are known by their PIDs, which the
    // workers' default identity (`<pid>@<host>`) puts in every task they complete.
    // One workflow bundle for every worker process, as a deployment ships it: a restarted worker
    // polls within a second instead of bundling again.
    const bundlePath = join(dir, 'workflow-bundle.js');
    await writeFile(
      bundlePath,
      (await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: new DefaultLogger('WARN') })).code,
    );
    const workerEnv = {
      ...process.env,
      ...databaseEnv(proxiedUrls),
      TEMPORAL_ADDRESS: address,
      FAULT_INJECTION: 'on',
      NODE_ENV: 'development',
      WORKFLOW_BUNDLE_PATH: bundlePath,
      SERVICES_VIA: via,
    };
    // The plan every worker process makes of the same environment (src/temporal/service-transport.ts):
    // over Nexus, each service's namespace and endpoint, made on this server before any worker
    // starts, as `npm run dev` does. The server keeps them in its database file across its restart.
    const services = serviceTransport(loadConfig(workerEnv, { service: 'worker' }), { fallback: via });
    const nexusTargets = Object.entries(services.nexus ?? {}) as [ServiceName, ServiceNexusTarget][];
    if (services.nexus) await ensureServiceEndpoints(connection, services.nexus);
    const roles: WorkerRole[] = [
      ...Array.from({ length: options.workers ?? 1 }, () => 'booking' as const),
      ...WORKER_ROLES.filter((role) => role !== 'booking'),
    ];
    report.workerRoles = roles;
    const slots = roles.map((role) => ({
      role,
      process: undefined as ChildProcess | undefined,
      pids: new Set<number>(),
      killing: false,
    }));
    let supervising = true;
    /** Starts a slot's worker; resolves once it says it runs (then it polls), like a readiness probe. */
    const startWorker = (slot: (typeof slots)[number]): Promise<void> => {
      const w = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts', slot.role], {
        env: workerEnv,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      slot.process = w;
      if (w.pid) slot.pids.add(w.pid);
      // Its last log line is kept, to say why it exited if it exits on its own.
      let lastLine = '';
      const ready = new Promise<void>((resolve) => {
        let output = '';
        let started = false;
        w.stdout.on('data', (chunk: Buffer) => {
          const text = chunk.toString();
          lastLine = text.trim().split('\n').at(-1) || lastLine;
          if (started) return; // the rest of its log is drained and dropped
          output += text;
          started = output.includes('worker: task queue');
          if (started) resolve();
        });
        w.once('exit', () => resolve());
      });
      w.once('exit', (code) => {
        if (supervising && slot.process === w && !slot.killing) {
          log(
            `chaos: a worker (${slot.role}) exited on its own (${code}; its last line: ${lastLine.slice(0, 300)}); restarting it`,
          );
          setTimeout(() => supervising && slot.process === w && void startWorker(slot), 1_000);
        }
      });
      return ready;
    };
    /** What the Nexus way asks of the server, and is not there (a namespace, an endpoint, or its target). */
    const nexusSetupMissing = async (): Promise<string[]> => {
      const fresh = await Connection.connect({ address }); // the run's own may still back off after a restart
      try {
        const missing: string[] = [];
        for (const [service, target] of nexusTargets) {
          const known = await fresh.workflowService.describeNamespace({ namespace: target.namespace }).then(
            () => true,
            () => false,
          );
          if (!known) missing.push(`namespace ${target.namespace} (${service})`);
          const { endpoints } = await fresh.operatorService.listNexusEndpoints({ name: target.endpoint });
          const worker = endpoints?.[0]?.spec?.target?.worker;
          if (worker?.namespace !== target.namespace || worker.taskQueue !== target.taskQueue)
            missing.push(`endpoint ${target.endpoint} (${service})`);
        }
        return missing;
      } finally {
        await fresh.close();
      }
    };
    /** The Nexus way: the service's operations whose activity runs on its worker right now. */
    const operationsRunningOn = async (service: ServiceName) => {
      const target = services.nexus?.[service];
      if (!target) return [];
      const client = new Client({ connection, namespace: target.namespace });
      const running: { workflowId: string; activity: string; attempt: number }[] = [];
      for await (const execution of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
        const { raw } = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
        for (const pending of raw.pendingActivities ?? []) {
          if (pending.state !== proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)
            continue;
          running.push({
            workflowId: execution.workflowId,
            activity: pending.activityType?.name ?? '?',
            attempt: pending.attempt ?? 1,
          });
        }
      }
      return running;
    };
    const atKill: {
      service: ServiceName;
      pid: number;
      at: number;
      workflowId: string;
      activity: string;
      attempt: number;
    }[] = [];
    const killWorker = async (slot: (typeof slots)[number]) => {
      const w = slot.process;
      if (!w || w.exitCode !== null) return;
      slot.killing = true;
      const exited = new Promise((resolve) => w.once('exit', resolve));
      w.kill('SIGKILL');
      await exited;
      slot.killing = false;
    };
    // Traffic starts once every worker runs, as in a deployment.
    await Promise.race([
      Promise.all(slots.map(startWorker)),
      delay(60_000).then(() => Promise.reject(new Error('a worker did not start within 60 s'))),
    ]);
    cleanups.push(async () => {
      supervising = false;
      await Promise.all(slots.map(killWorker));
    });

    // The API, in this process, also through the proxy. Its bookings name the services' routes.
    const apiDbs = connectDatabases(proxiedUrls, { max: 10 });
    cleanups.push(() => disconnectDatabases(apiDbs));
    // Identity on, as everywhere: a dev issuer of the run's own; each booking's customer calls with
    // their own token. Limits high enough for the run's own traffic.
    const issuer = await createDevIssuer();
    const app = createApp({
      verifier: issuer.verifier,
      rateLimits: { windowMs: 60_000, bookings: 100_000, actions: 100_000, anonymous: 100_000, reads: 100_000 },
      client: new Client({ connection }),
      dbs: apiDbs,
      serviceRoutes: services.routes,
      config: {
        temporalUiUrl: `http://localhost:${uiPort}`,
        temporalNamespace: 'default',
        faultInjection: true,
        cardVaultKey: 'chaos-vault-key-0123456789',
      },
      logger: pino({ level: 'silent' }),
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, () => resolve(s));
    });
    cleanups.push(
      () =>
        new Promise((resolve) => {
          server.close(resolve);
          server.closeAllConnections();
        }),
    );
    const api = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    /** Retries through outages: a repeat with the same Idempotency-Key is safe. */
    async function call(
      path: string,
      token: string,
      body: unknown,
      key?: string,
    ): Promise<{ status: number; json: Record<string, unknown> }> {
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await fetch(`${api}${path}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${token}`,
              ...(key ? { 'idempotency-key': key } : {}),
            },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(10_000),
          });
          if (res.status < 500) return { status: res.status, json: (await res.json()) as Record<string, unknown> };
        } catch {
          // connection refused or timed out: the stack is having a bad moment
        }
        if (attempt > 120) throw new Error(`POST ${path} kept failing`);
        await delay(500);
      }
    }

    // The bookings, staggered, some cancelled while they run.
    const runId = randomUUID().slice(0, 8);
    const planned = Array.from({ length: options.bookings }, (_, i) => ({
      scenario: MIX[Math.floor(random() * MIX.length)]!,
      cancelAfterMs: random() < options.cancelShare ? 200 + Math.floor(random() * 3000) : undefined,
      // Stays of 1 to 4 nights from 5 to 9 days ahead: they overlap on some nights and not others.
      stay: { checkIn: utcDay(5 + Math.floor(random() * 5)), nights: 1 + Math.floor(random() * 4) },
      key: `chaos-${runId}-${i}`,
    }));
    const bookingIds: { id: string; scenario: Scenario; cancelled: boolean }[] = [];
    const traffic = Promise.all(
      planned.map(async (plan, i) => {
        await delay(i * 150);
        const token = await issuer.mint(`chaos-${i}`);
        const body = bookingBody(plan.scenario, `chaos-${i}`);
        const created = await call('/bookings', token, { ...body, hotel: { ...body.hotel, ...plan.stay } }, plan.key);
        if (created.status !== 201 && created.status !== 200)
          throw new Error(`booking ${i}: ${created.status} ${JSON.stringify(created.json)}`);
        const entry = { id: created.json.bookingId as string, scenario: plan.scenario, cancelled: false };
        bookingIds.push(entry);
        if (plan.cancelAfterMs !== undefined) {
          await delay(plan.cancelAfterMs);
          // Requested, whatever the answer: an answer lost in an outage may still have been accepted.
          entry.cancelled = true;
          await call(`/bookings/${entry.id}/cancel`, token, {});
        }
      }),
    );

    // The chaos, while the traffic runs.
    const spread = Math.max(options.bookings * 150, 4_000);
    const chaos = (async () => {
      const kills = Array.from({ length: options.workerKills }, () => Math.floor(random() * spread)).sort(
        (a, b) => a - b,
      );
      // Every role is killed in turn, from a random one: with as many kills as roles, each role's worker dies once.
      const first = Math.floor(random() * WORKER_ROLES.length);
      const killOrder = WORKER_ROLES.map((_, i, all) => all[(first + i) % all.length]!);
      // The outages come once the first bookings are under way: each service's worker is a fresh
      // process whose first tasks are its slowest, and a cut before any booking passed its first
      // step would leave the later services nothing to do.
      const pgAt = Math.floor(spread * 0.5);
      const temporalAt = Math.floor(spread * 0.75);
      const events = [
        ...kills.map((at, k) => ({
          at,
          run: async () => {
            const ofRole = slots.filter((s) => s.role === killOrder[k % killOrder.length]);
            const slot = ofRole[Math.floor(random() * ofRole.length)]!;
            // Over Nexus, a service's kill is meant to interrupt an activity of one of its
            // operations' workflows: it waits up to 5 s for one to run, and the ones running then
            // are followed to their end.
            let running: Awaited<ReturnType<typeof operationsRunningOn>> = [];
            if (slot.role !== 'booking' && services.nexus) {
              const until = Date.now() + 5_000;
              while (running.length === 0 && Date.now() < until) {
                running = await operationsRunningOn(slot.role).catch(() => []);
                if (running.length === 0) await delay(100);
              }
            }
            const pid = slot.process?.pid ?? 0;
            await killWorker(slot);
            if (slot.role !== 'booking')
              atKill.push(...running.map((op) => ({ ...op, service: slot.role as ServiceName, pid, at: Date.now() })));
            report.workerKills++;
            report.killsByRole[slot.role] = (report.killsByRole[slot.role] ?? 0) + 1;
            log(`chaos: worker ${slots.indexOf(slot) + 1} of ${slots.length} (${slot.role}) SIGKILLed at ${at} ms`);
            await delay(500 + random() * 1500);
            await Promise.race([startWorker(slot), delay(60_000)]); // a supervisor waits for readiness
          },
        })),
        {
          at: pgAt,
          run: async () => {
            log(`chaos: PostgreSQL unreachable for ${options.pgOutageMs} ms`);
            await proxy.cut(options.pgOutageMs);
          },
        },
        {
          at: temporalAt,
          run: async () => {
            log('chaos: Temporal dev server restarting');
            await stopTemporal();
            await startTemporal();
            report.temporalRestarts++;
            // The services' namespaces and endpoints are in the server's database file: still there.
            if (services.nexus) {
              const missing = await nexusSetupMissing();
              if (missing.length > 0) {
                report.violations.push(`after the Temporal restart the server had lost ${missing.join(', ')}`);
                await ensureServiceEndpoints(connection, services.nexus);
              }
            }
          },
        },
      ].sort((a, b) => a.at - b.at);
      const t0 = Date.now();
      for (const event of events) {
        await delay(Math.max(0, event.at - (Date.now() - t0)));
        await event.run();
      }
    })();
    await Promise.all([traffic, chaos]);

    // Every booking ends.
    log(`chaos: ${bookingIds.length} bookings made; waiting for all of them to end`);
    await waitFor(
      async () => {
        const rows = await direct.booking.booking.findMany({
          where: { id: { in: bookingIds.map((b) => b.id) } },
          select: { status: true },
        });
        return rows.length === bookingIds.length && rows.every((r) => isTerminal(r.status));
      },
      300_000,
      'every booking to end',
    );

    // Checks: the invariants, and each booking's status against its ledger, its workflow and its scenario.
    report.violations.push(...(await invariantViolations(direct)));
    report.hotelNights = await direct.hotels.hotelNight.count();
    // A connection of its own for the checks: the API's lived through the server's restart, and its
    // channel may still be backing off from it (grpc's reconnect backoff grows while the server is
    // down), so a describe on it could fail to connect before its deadline.
    const checkConnection = await Connection.connect({ address });
    cleanups.push(() => checkConnection.close());
    const client = new Client({ connection: checkConnection });
    /** Each task's worker, by the PID in its identity, counts for that worker's slot. */
    const countTasks = (events: proto.temporal.api.history.v1.IHistoryEvent[]) => {
      for (const event of events) {
        const identity =
          event.workflowTaskCompletedEventAttributes?.identity ?? event.activityTaskStartedEventAttributes?.identity;
        const pid = Number(identity?.split('@')[0]);
        const slot = slots.findIndex((s) => s.pids.has(pid));
        if (slot >= 0) report.tasksByWorker[slot] = (report.tasksByWorker[slot] ?? 0) + 1;
      }
    };
    const statusOf = new Map<string, string>();
    /** The services whose step some booking ran (an outage may fail every booking before the payment). */
    const reached = new Set<string>();
    for (const { id, scenario, cancelled } of bookingIds) {
      const row = await direct.booking.booking.findUniqueOrThrow({ where: { id } });
      statusOf.set(id, row.status);
      const state = row.state as unknown as BookingState;
      for (const s of state.steps)
        if (s.attempts > 0) reached.add(TRIP_STEPS.find((step) => step.name === s.name)?.service ?? s.name);
      report.byStatus[row.status] = (report.byStatus[row.status] ?? 0) + 1;
      const done = state.steps.filter((s) => s.state === 'DONE').length;
      if (row.status === 'CONFIRMED' && done !== 3)
        report.violations.push(`${id}: CONFIRMED with ${done} step(s) done`);
      if (row.status !== 'CONFIRMED' && done !== 0)
        report.violations.push(`${id}: ${row.status} but ${done} step(s) still DONE`);
      if (row.status === 'CANCELLED' && !cancelled)
        report.violations.push(`${id}: CANCELLED but no cancel was requested`);
      if (scenario.expected === 'FAILED' && row.status === 'CONFIRMED')
        report.violations.push(`${id}: ${scenario.name} must not be CONFIRMED`);
      // The read model is terminal just before the workflow's last task: let the workflow close.
      const handle = client.workflow.getHandle(workflowIdFor(id));
      await client.withDeadline(Date.now() + 30_000, () => handle.result()).catch(() => undefined);
      const description = await handle.describe();
      countTasks((await handle.fetchHistory()).events ?? []);
      const expectedWorkflow = row.status === 'FAILED' ? 'FAILED' : 'COMPLETED';
      if (description.status.name !== expectedWorkflow)
        report.violations.push(`${id}: booking ${row.status} but workflow ${description.status.name}`);
    }
    // The Nexus way: each operation's workflow, in its service's namespace, ended too (no booking
    // that ended leaves one running), and its tasks count for the service's worker.
    const serviceClients = new Map<ServiceName, Client>();
    for (const [service, target] of nexusTargets) {
      const serviceClient = new Client({ connection: checkConnection, namespace: target.namespace });
      serviceClients.set(service, serviceClient);
      let open: string[] = [];
      await waitFor(
        async () => {
          open = [];
          for await (const execution of serviceClient.workflow.list({ query: 'ExecutionStatus = "Running"' }))
            open.push(execution.workflowId);
          return open.length === 0;
        },
        60_000,
        `the ${service} operations to end`,
      ).catch(() =>
        report.violations.push(
          `${service}: ${open.length} operation workflow(s) still running after every booking ended: ${open.slice(0, 5).join(', ')}`,
        ),
      );
      for await (const execution of serviceClient.workflow.list()) {
        report.serviceOperations++;
        countTasks(
          (await serviceClient.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory()).events ?? [],
        );
      }
    }
    // What became of the operations a service's kill interrupted.
    for (const op of atKill) {
      const serviceClient = serviceClients.get(op.service)!;
      const handle = serviceClient.workflow.getHandle(op.workflowId);
      const events = (await handle.fetchHistory()).events ?? [];
      const started = events.filter((e) => e.activityTaskStartedEventAttributes).at(-1);
      const end = events.find(
        (e) =>
          e.activityTaskCompletedEventAttributes ||
          e.activityTaskFailedEventAttributes ||
          e.activityTaskTimedOutEventAttributes ||
          e.activityTaskCanceledEventAttributes,
      );
      const outcome = !end
        ? 'none'
        : end.activityTaskCompletedEventAttributes
          ? 'completed'
          : end.activityTaskFailedEventAttributes
            ? 'failed'
            : end.activityTaskTimedOutEventAttributes
              ? 'timed out'
              : 'cancelled';
      const pid = Number(started?.activityTaskStartedEventAttributes?.identity?.split('@')[0]);
      const bookingId = bookingIds.find((b) => op.workflowId.includes(b.id))?.id;
      // The booking's side: its operation of this call (the workflow is named after the call's
      // request ID, src/temporal/service-nexus.ts), and the event that ended it.
      const bookingEvents = bookingId
        ? ((await client.workflow.getHandle(workflowIdFor(bookingId)).fetchHistory()).events ?? [])
        : [];
      const scheduled = bookingEvents.find((e) => {
        const requestId = e.nexusOperationScheduledEventAttributes?.requestId;
        return requestId && op.workflowId.endsWith(`-${requestId}`);
      });
      const closedBy = (e: proto.temporal.api.history.v1.IHistoryEvent) =>
        (
          [
            ['completed', e.nexusOperationCompletedEventAttributes],
            ['failed', e.nexusOperationFailedEventAttributes],
            ['cancelled', e.nexusOperationCanceledEventAttributes],
            ['timed out', e.nexusOperationTimedOutEventAttributes],
          ] as const
        ).find(([, a]) => a && scheduled && String(a.scheduledEventId) === String(scheduled.eventId))?.[0];
      const bookingEnd = bookingEvents.find((e) => closedBy(e));
      report.operationsAtKill.push({
        workflowId: op.workflowId,
        service: op.service,
        bookingId,
        activity: op.activity,
        attemptAtKill: op.attempt,
        lastAttempt: started?.activityTaskStartedEventAttributes?.attempt ?? undefined,
        onRestartedWorker: pid !== op.pid && slots.some((s) => s.role === op.service && s.pids.has(pid)),
        activityOutcome: outcome,
        lastFailure: started?.activityTaskStartedEventAttributes?.lastFailure?.message ?? undefined,
        workflowStatus: (await handle.describe()).status.name,
        workflowTaskTimeouts: events.flatMap((e) => {
          const type = e.workflowTaskTimedOutEventAttributes?.timeoutType;
          return type === undefined || type === null
            ? []
            : [proto.temporal.api.enums.v1.TimeoutType[type].replace('TIMEOUT_TYPE_', '')];
        }),
        msAfterKill: end?.eventTime ? tsToMs(end.eventTime) - op.at : undefined,
        bookingSaw: bookingEnd ? closedBy(bookingEnd)! : scheduled ? 'none' : 'no such operation',
        bookingMsAfterKill: bookingEnd?.eventTime ? tsToMs(bookingEnd.eventTime) - op.at : undefined,
        bookingStatus: bookingId ? statusOf.get(bookingId) : undefined,
      });
    }
    // Several workers share the work: each ran some of it.
    report.tasksByWorker = slots.map((_, i) => report.tasksByWorker[i] ?? 0);
    // A service's worker has nothing to do when no booking got as far as its step: said, not a violation.
    if (slots.length > 1) {
      report.tasksByWorker.forEach((tasks, i) => {
        const { role } = slots[i]!;
        if (tasks > 0) return;
        if (role === 'booking' || reached.has(role))
          report.violations.push(`worker ${i + 1} of ${slots.length} (${role}) ran no task`);
        else log(`chaos: worker ${i + 1} of ${slots.length} (${role}) ran no task: no booking reached its step`);
      });
    }
  } finally {
    // Each step may take 15 s at most: a hung shutdown must not hang the run.
    for (const cleanup of cleanups.reverse()) await Promise.race([cleanup().catch(() => undefined), delay(15_000)]);
    await rm(dir, { recursive: true, force: true });
    report.seconds = Math.round((Date.now() - started) / 1000);
  }
  return report;
}

export function summary(r: ChaosReport): string {
  const statuses = Object.entries(r.byStatus)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const tasks = r.tasksByWorker.map((n, i) => `${r.workerRoles[i]} ${n}`).join(', ');
  const workers = r.tasksByWorker.length > 1 ? ` across ${r.tasksByWorker.length} workers (tasks: ${tasks})` : '';
  const way = r.via === 'nexus' ? 'services over Nexus' : 'services as activities';
  const interrupted = r.operationsAtKill.length;
  const resumed = r.operationsAtKill.filter((op) => op.onRestartedWorker).length;
  const operations =
    r.via === 'nexus'
      ? `; ${r.serviceOperations} service operation(s) ran, ${interrupted} in flight at a service's kill (${resumed} finished on its restarted worker)`
      : '';
  return `chaos (${way}): ${r.bookings} bookings (${statuses})${workers}; ${r.workerKills} worker kill(s), ${r.temporalRestarts} Temporal restart(s), PostgreSQL cut ${r.pgOutageMs / 1000} s${operations}; ${r.hotelNights} hotel nights checked; ${r.violations.length} violation(s) in ${r.seconds} s (seed ${r.seed})`;
}
