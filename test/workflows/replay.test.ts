// Every recorded history (test/histories/, from `npm run record-histories` against a real dev
// server) must replay on the workflow code of the build it ran on: today's code for this build's
// set, an archived bundle for a retired build's (bookTrip is PINNED, so its sagas never move to a
// newer build). A non-deterministic change must fail the replay.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, test } from 'vitest';
import { WORKFLOWS_PATH } from '../../src/temporal/worker-factory.ts';
import {
  activitySequence,
  activityTaskQueues,
  eventSummaries,
  patchesIn,
  quietLogger,
  scheduledActivities,
} from '../helpers/temporal.ts';

const HISTORIES = fileURLToPath(new URL('../histories/', import.meta.url));

/** The patches of the builds before v5 (v5 and later ship as new PINNED builds, without patches). */
const SEAT_SELECTION_PATCH = 'seat-selection';
const LOCAL_READ_MODEL_PATCH = 'local-first-read-model-update';

/** The sets recorded on this build: they replay on today's code. */
/** The sets recorded on this build, both ways of calling the services: they replay on today's code. */
const CURRENT_SETS = ['v7-services-on-their-own-queues', 'v7-services-over-nexus'];
/** Retired builds: the sets recorded on them, and their archived workflow code (`npm run build:workflows -- --archive`). */
const RETIRED_BUILDS = [
  {
    bundle: fileURLToPath(new URL('../histories/builds/v4.js', import.meta.url)),
    sets: ['v1-before-seat-selection', 'v2-seat-selection', 'v3-local-first-read-model-update', 'v4-hold'],
  },
  { bundle: fileURLToPath(new URL('../histories/builds/v5.js', import.meta.url)), sets: ['v5-one-call-per-step'] },
  {
    bundle: fileURLToPath(new URL('../histories/builds/v6.js', import.meta.url)),
    sets: ['v6-read-model-beside-the-saga'],
  },
];

/** Every set of bookTrip's histories, of every build. */
const BOOKING_SETS = [...CURRENT_SETS, ...RETIRED_BUILDS.flatMap((b) => b.sets)];
/**
 * The reconciler's recorded workflows (`npm run record-reconcile-passes`): a pass is AUTO_UPGRADE
 * (one in flight during a rollout goes on on the new build), so every set replays on today's code.
 */
const RECONCILE_SETS = ['reconcile-passes/before-hand-over', 'reconcile-passes/hand-over'];
const GIVE_BACK_PATCH = 'give-back-hand-over';

/** Every history of every recorded set (one folder per workflow code version), as "set/scenario". */
type Recorded = { workflowId: string; history: ReturnType<typeof historyFromJSON> };

async function loadHistories(set?: string | string[]): Promise<Recorded[]> {
  if (Array.isArray(set)) return (await Promise.all(set.map((one) => loadHistories(one)))).flat();
  const files = (await readdir(HISTORIES, { recursive: true }))
    .filter((f) => f.endsWith('.json') && (!set || f.startsWith(`${set}/`) || f === `${set}.json`))
    .sort();
  return Promise.all(
    files.map(async (file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(await readFile(`${HISTORIES}${file}`, 'utf8'))),
    })),
  );
}

async function replayAll(bundle: WorkflowBundleWithSourceMap | { codePath: string }, sets?: string[]) {
  const results: { workflowId: string; error?: unknown }[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: bundle, replayName: 'replay-test' },
    await loadHistories(sets),
  )) {
    results.push({ workflowId: result.workflowId, ...(result.error ? { error: result.error } : {}) });
  }
  return results;
}

let currentBundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  currentBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
});

describe('recorded histories', () => {
  test('cover the failure table, before and after the seat-selection step and the local read-model updates', async () => {
    for (const set of [
      'v1-before-seat-selection',
      'v2-seat-selection',
      'v3-local-first-read-model-update',
      'v4-hold',
      'v5-one-call-per-step',
      'v6-read-model-beside-the-saga',
      'v7-services-on-their-own-queues',
      'v7-services-over-nexus',
    ]) {
      const names = (await loadHistories(set)).map((h) => h.workflowId.slice(set.length + 1));
      expect(names).toEqual(
        expect.arrayContaining([
          'confirmed',
          'flight-sold-out',
          'hotel-sold-out',
          'card-declined',
          'card-expired',
          'charge-payment-fail',
          'reserve-hotel-timeout-every-attempt',
          'cancel-hotel-fail-resolved',
          'user-cancel-during-hotel',
        ]),
      );
    }
    // The old histories never chose seats; the new ones do, behind the patch marker.
    const [v1] = await loadHistories('v1-before-seat-selection/confirmed');
    const [v2] = await loadHistories('v2-seat-selection/confirmed');
    expect(scheduledActivities(v1!.history)).not.toContain('selectSeats');
    expect(scheduledActivities(v2!.history)).toContain('selectSeats');
    expect(patchesIn(v2!.history)).toContain(SEAT_SELECTION_PATCH);
    // v2 updated the read model with (remote) activities; v3 makes the first update local, behind its patch.
    const [v3] = await loadHistories('v3-local-first-read-model-update/confirmed');
    expect(activitySequence(v2!.history).filter((a) => a.startsWith('syncBooking'))).toEqual([
      'syncBooking',
      'syncBooking',
    ]);
    expect(patchesIn(v2!.history)).not.toContain(LOCAL_READ_MODEL_PATCH);
    expect(activitySequence(v3!.history).filter((a) => a.startsWith('syncBooking'))).toEqual([
      'syncBooking (local)',
      'syncBooking',
    ]);
    expect(patchesIn(v3!.history)).toContain(LOCAL_READ_MODEL_PATCH);
  });

  test("name no machine's paths: stack traces point into the checkout relative to it (./src/…)", async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const files = (await readdir(HISTORIES, { recursive: true })).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(90);
    const absolute = /"[^"]*?(?:\/(?:home|root|tmp|Users|work)\/[^"\s]*?(?:node_modules|src)\/)/;
    const named: string[] = [];
    for (const file of files) {
      const text = await readFile(`${HISTORIES}${file}`, 'utf8');
      if (text.includes(root) || absolute.test(text)) named.push(file);
    }
    expect(named).toEqual([]);
    // What the stack traces say instead.
    expect(await readFile(`${HISTORIES}v1-before-seat-selection/card-declined.json`, 'utf8')).toContain(
      '(./src/activities/index.ts:',
    );
  });

  test('v4-hold covers holds and callers that wait; a booking without a hold has the same commands as in v3', async () => {
    const names = (await loadHistories('v4-hold')).map((h) => h.workflowId.slice('v4-hold/'.length));
    expect(names).toEqual(
      expect.arrayContaining([
        'hold-confirmed',
        'hold-confirmed-card-declined',
        'hold-cancelled',
        'hold-expired',
        'prefer-wait-confirmed',
        'prefer-wait-hold-confirmed',
      ]),
    );
    const [expired] = await loadHistories('v4-hold/hold-expired');
    expect(eventSummaries(expired!.history).some((s) => s.startsWith('timer: Hold until '))).toBe(true);
    expect(expired!.history.events?.some((e) => e.timerFiredEventAttributes)).toBe(true);
    expect(scheduledActivities(expired!.history)).not.toContain('chargePayment');
    const [confirmed] = await loadHistories('v4-hold/hold-confirmed');
    expect(
      confirmed!.history.events?.some(
        (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'confirmHold',
      ),
    ).toBe(true);
    const [waited] = await loadHistories('v4-hold/prefer-wait-confirmed');
    expect(
      waited!.history.events?.some(
        (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'awaitSettled',
      ),
    ).toBe(true);
    // Without a hold, v4 runs the activities v3 ran, in the same order (only the payment's summary
    // names its deadline now).
    const [v3] = await loadHistories('v3-local-first-read-model-update/confirmed');
    const [v4] = await loadHistories('v4-hold/confirmed');
    expect(activitySequence(v4!.history)).toEqual(activitySequence(v3!.history));
    expect(eventSummaries(v4!.history).find((s) => s.startsWith('activity: Charge'))).toMatch(
      /\(retrying until \d\d:\d\d UTC/,
    );
  });

  test('v5 costs three service calls and one read-model write, with no markers; seats come with the flight', async () => {
    const names = (await loadHistories('v5-one-call-per-step')).map((h) =>
      h.workflowId.slice('v5-one-call-per-step/'.length),
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'confirmed',
        'card-declined',
        'user-cancel-during-hotel',
        'hold-expired',
        'cancel-hotel-fail-resolved',
      ]),
    );
    const [confirmed] = await loadHistories('v5-one-call-per-step/confirmed');
    expect(activitySequence(confirmed!.history)).toEqual([
      'reserveFlight',
      'reserveHotel',
      'chargePayment',
      'syncBooking',
    ]);
    expect(confirmed!.history.events?.filter((e) => e.markerRecordedEventAttributes)).toEqual([]);
    // Before: a local PENDING write, seat selection and three patch markers (47 events); now 30.
    const [v4] = await loadHistories('v4-hold/confirmed');
    expect(v4!.history.events).toHaveLength(47);
    expect(confirmed!.history.events).toHaveLength(30);
  });

  test("v6 writes the read model beside the saga: the unwind and the operator's wait start in the task that asked for the write", async () => {
    // A confirmed booking is what it was in v5: three steps, then its one write, 30 events.
    const [confirmed] = await loadHistories('v6-read-model-beside-the-saga/confirmed');
    expect(activitySequence(confirmed!.history)).toEqual([
      'reserveFlight',
      'reserveHotel',
      'chargePayment',
      'syncBooking',
    ]);
    expect(confirmed!.history.events).toHaveLength(30);
    // A declined card: the COMPENSATING write and the first undo leave in one workflow task (v5:
    // the undo waited for the write).
    const firstUndoTask = async (set: string) => {
      const [declined] = await loadHistories(`${set}/card-declined`);
      const events = declined!.history.events ?? [];
      const undo = events.findIndex(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'refundPayment',
      );
      const write = events.findLastIndex(
        (e, i) => i < undo && e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncBooking',
      );
      return events.slice(write, undo).some((e) => e.activityTaskCompletedEventAttributes)
        ? 'after the write'
        : 'beside the write';
    };
    expect(await firstUndoTask('v5-one-call-per-step')).toBe('after the write');
    expect(await firstUndoTask('v6-read-model-beside-the-saga')).toBe('beside the write');
  });

  test("v7 (this build) runs each step on its service's task queue, with v6's commands otherwise", async () => {
    const [v6] = await loadHistories('v6-read-model-beside-the-saga/card-declined');
    const [v7] = await loadHistories('v7-services-on-their-own-queues/card-declined');
    expect(activitySequence(v7!.history)).toEqual(activitySequence(v6!.history));
    expect(v7!.history.events).toHaveLength(v6!.history.events!.length);
    const bookingQueue = v7!.history.events![0]!.workflowExecutionStartedEventAttributes!.taskQueue!.name!;
    const queues = (history: Recorded['history']) =>
      activityTaskQueues(history).map(
        ({ activity, taskQueue }) => `${activity} on ${taskQueue.replace(bookingQueue, 'Q')}`,
      );
    // v6: every activity on the booking's task queue; v7: each service's on its own.
    expect(new Set(activityTaskQueues(v6!.history).map((a) => a.taskQueue)).size).toBe(1);
    expect(queues(v7!.history)).toEqual([
      'reserveFlight on Q-flights',
      'reserveHotel on Q-hotels',
      'chargePayment on Q-payments',
      'syncBooking on Q',
      'refundPayment on Q-payments',
      'cancelHotel on Q-hotels',
      'cancelFlight on Q-flights',
      'syncBooking on Q',
    ]);
  });

  test("v7 over Nexus: each step and undo a Nexus operation on its service's endpoint, the same ledger as the activity way", async () => {
    for (const scenario of ['confirmed', 'card-declined', 'cancel-hotel-fail-resolved', 'hold-confirmed']) {
      const [activities] = await loadHistories(`v7-services-on-their-own-queues/${scenario}`);
      const [nexus] = await loadHistories(`v7-services-over-nexus/${scenario}`);
      const operations = (history: Recorded['history']) =>
        (history.events ?? []).flatMap((e) =>
          e.nexusOperationScheduledEventAttributes
            ? [
                `${e.nexusOperationScheduledEventAttributes.operation} at ${e.nexusOperationScheduledEventAttributes.endpoint}`,
              ]
            : [],
        );
      // The same steps and undos, in the same order: as activities one way, as operations the other.
      const serviceActivities = activitySequence(activities!.history).filter((a) => a !== 'syncBooking');
      expect(
        operations(nexus!.history).map((o) => o.split(' at ')[0]),
        scenario,
      ).toEqual(serviceActivities);
      expect(
        operations(nexus!.history).every((o) => /at trip-(flights|hotels|payments)$/.test(o)),
        scenario,
      ).toBe(true);
      expect(
        activitySequence(nexus!.history).every((a) => a === 'syncBooking'),
        scenario,
      ).toBe(true);
    }
  });

  test("each set replays on the code of the build it ran on: today's for v7, the archived v6, v5 and v4 builds for the others", async () => {
    const current = await replayAll(currentBundle, CURRENT_SETS);
    expect(current.length).toBeGreaterThanOrEqual(20);
    expect(current.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`)).toEqual([]);
    for (const { bundle, sets } of RETIRED_BUILDS) {
      const retired = await replayAll({ codePath: bundle }, sets);
      expect(retired.length).toBeGreaterThanOrEqual(20);
      expect(retired.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`)).toEqual([]);
    }
  });

  test("v4 and v5 histories do not replay on today's code: each change shipped as a new PINNED build, not a patch", async () => {
    const results = await replayAll(currentBundle, ['v4-hold', 'v5-one-call-per-step']);
    expect(results.find((r) => r.workflowId === 'v4-hold/confirmed')?.error).toBeInstanceOf(DeterminismViolationError);
    // v6 sends v5's commands sooner: where an Update completes meanwhile (a caller waiting on a
    // hold), the order differs.
    expect(
      results.find((r) => r.workflowId === 'v5-one-call-per-step/prefer-wait-hold-confirmed')?.error,
    ).toBeInstanceOf(DeterminismViolationError);
  });

  test('a non-deterministic change (hotel before flight) fails the replay', async () => {
    const reordered = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../fixtures/reordered-workflow/index.ts', import.meta.url)),
      logger: quietLogger,
    });
    const results = await replayAll(reordered, BOOKING_SETS);
    // Every history that got as far as reserving the flight now disagrees with the code.
    const failed = results.filter((r) => r.error);
    expect(failed.map((r) => r.workflowId)).toContain('v1-before-seat-selection/confirmed');
    expect(failed.map((r) => r.workflowId)).toContain('v2-seat-selection/confirmed');
    expect(failed.map((r) => r.workflowId)).toContain('v3-local-first-read-model-update/confirmed');
    expect(failed.map((r) => r.workflowId)).toContain('v4-hold/hold-expired');
    expect(failed.map((r) => r.workflowId)).toContain('v5-one-call-per-step/confirmed');
    expect(failed.map((r) => r.workflowId)).toContain('v6-read-model-beside-the-saga/confirmed');
    expect(failed.length).toBe(results.length);
    for (const { error } of failed) expect(error).toBeInstanceOf(DeterminismViolationError);
  });
});

describe("the reconciler's recorded workflows", () => {
  test("replay on today's code: a pass from before hand-overs keeps its path (no patch marker, no child), a pass since hands the booking over", async () => {
    const names = (await loadHistories(RECONCILE_SETS)).map((h) => h.workflowId);
    expect(names).toEqual([
      'reconcile-passes/before-hand-over/gave-back',
      'reconcile-passes/before-hand-over/refused',
      'reconcile-passes/hand-over/gave-back',
      'reconcile-passes/hand-over/give-back',
      'reconcile-passes/hand-over/refused',
    ]);
    const results = await replayAll(currentBundle, RECONCILE_SETS);
    expect(results.filter((r) => r.error)).toEqual([]);
    expect(results).toHaveLength(names.length);

    // Before: the pass stopped at the refused refund and left the booking to the next pass.
    const [before] = await loadHistories('reconcile-passes/before-hand-over/refused');
    expect(patchesIn(before!.history)).toEqual([]);
    expect(scheduledActivities(before!.history)).toEqual(['findUnwoundBookings', 'refundPayment']);
    // Since: every undo runs, and what failed goes to the booking's give-back workflow, behind the patch.
    const [since] = await loadHistories('reconcile-passes/hand-over/refused');
    expect(patchesIn(since!.history)).toContain(GIVE_BACK_PATCH);
    expect(scheduledActivities(since!.history)).toEqual(
      expect.arrayContaining(['findUnwoundBookings', 'refundPayment', 'cancelHotel', 'cancelFlight']),
    );
    const children = (since!.history.events ?? []).flatMap((e) => {
      const started = e.startChildWorkflowExecutionInitiatedEventAttributes;
      return started ? [`${started.workflowType?.name} ${started.workflowId?.replace(/[0-9a-f-]{36}$/, '<id>')}`] : [];
    });
    expect(children).toEqual(['giveBackBooking give-back-<id>']);
    const [giveBack] = await loadHistories('reconcile-passes/hand-over/give-back');
    expect(scheduledActivities(giveBack!.history)).toEqual(['recordGiveBack', 'refundPayment', 'markTerminated']);
  });
});
