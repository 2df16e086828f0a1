// The saga runner on the time-skipping server: for a table of N no-op steps where step k fails, it
// runs steps 1..k and undoes exactly k..1, in that order, for every N and k; a step with no undo (a
// read-only check) is skipped by the unwind; a step added later behind its patch is run by new
// sagas and skipped by the replay of older ones; a cancelled workflow still undoes. Then each
// option: independent undos, a forward group, stopping at a failing undo, a deadline, an executor
// of the saga's own that routes a step to a second worker's task queue.
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure, DeterminismViolationError } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADDED_STEP_PATCH, type ActivityAnswer, type FixtureInput, type runFixtureSaga } from './fixtures/index.ts';
import {
  activityTimeline,
  completedActivities,
  createTimeSkippingEnv,
  patchesIn,
  poll,
  quietLogger,
  scheduledActivities,
  scheduledCalls,
} from './helpers.ts';

const fixturePath = (file: string) => new URL(`./fixtures/${file}`, import.meta.url).pathname;
const WORKFLOWS_PATH = fixturePath('index.ts');
const MAX_STEPS = 6;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([
    createTimeSkippingEnv(),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger }),
  ]);
});

afterAll(async () => {
  await env?.teardown();
});

interface UndoFaults {
  /** This step's undo finds nothing to undo (as a step that failed before it did anything). */
  nothingToUndoAt?: number;
  /** These steps' undos fail on their first run (then the saga retries them). */
  undoFailsOnce?: number[];
  /** Every activity's argument, in the order the activities ran. */
  received?: unknown[];
  /** This step's undo says it started, then waits for the test to release it. */
  gate?: { at: number; started: () => void; released: Promise<void> };
}

type FixtureActivity = (input: never) => Promise<ActivityAnswer>;

/**
 * step1..step6 and undo1..undo6: a step fails for good where the input says; an undo as `faults`
 * says. A worker on another task queue (`routedTo`) says so in each step's reference.
 */
function activitiesFor(faults: UndoFaults, routedTo?: string) {
  const undoFailed = new Set<number>();
  return Object.fromEntries(
    Array.from({ length: MAX_STEPS }, (_, i) => i + 1).flatMap((k): [string, FixtureActivity][] => [
      [
        `step${k}`,
        async (input: { step: number; failAt: number }): Promise<ActivityAnswer> => {
          await Promise.resolve();
          faults.received?.push(input);
          if (input.step === input.failAt)
            throw ApplicationFailure.create({ type: 'StepFailed', message: `step ${k} failed`, nonRetryable: true });
          return { attempt: 1, ...(routedTo ? { reference: `ref-${k} from ${routedTo}` } : {}) };
        },
      ],
      [
        `undo${k}`,
        async (input: unknown): Promise<ActivityAnswer> => {
          await Promise.resolve();
          faults.received?.push(input);
          if (faults.gate?.at === k) {
            faults.gate.started();
            await faults.gate.released;
          }
          if (faults.undoFailsOnce?.includes(k) && !undoFailed.has(k)) {
            undoFailed.add(k);
            throw ApplicationFailure.create({ type: 'UndoFailed', message: `undo ${k} failed`, nonRetryable: true });
          }
          return { attempt: 1, outcome: k === faults.nothingToUndoAt ? 'NOTHING_TO_UNDO' : 'UNDONE' };
        },
      ],
    ]),
  );
}

/** Runs the fixture saga on a fresh task queue; returns its ledger and the activities in the order they were scheduled. */
async function run(input: FixtureInput, faults: UndoFaults = {}, workflowBundle = bundle) {
  return runWith(input, faults, workflowBundle, (handle) => handle.result());
}

type Handle = WorkflowHandleWithFirstExecutionRunId<typeof runFixtureSaga>;

/** Runs the fixture saga on a fresh task queue; `finish` waits for (or provokes) its end and returns the ledger. */
async function runWith<T>(
  input: FixtureInput,
  faults: UndoFaults,
  workflowBundle: WorkflowBundleWithSourceMap,
  finish: (handle: Handle) => Promise<T>,
) {
  const taskQueue = `saga-runner-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: activitiesFor(faults),
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof runFixtureSaga>('runFixtureSaga', {
      taskQueue,
      workflowId: `saga-runner-${randomUUID()}`,
      args: [input],
    });
    const ledger = await finish(handle);
    const history = await handle.fetchHistory();
    // Each timer, as the number of activities scheduled before it.
    const timers: number[] = [];
    let activities = 0;
    for (const e of history.events ?? []) {
      if (e.activityTaskScheduledEventAttributes) activities++;
      if (e.timerStartedEventAttributes) timers.push(activities);
    }
    return {
      ledger,
      history,
      taskQueue,
      scheduled: scheduledActivities(history),
      completed: completedActivities(history),
      timeline: activityTimeline(history),
      timers,
    };
  });
}

/**
 * A second worker, activities only, on a task queue of its own: `during` runs a saga whose
 * executor routes steps there (FixtureInput.route).
 */
async function withRoutedWorker<T>(faults: UndoFaults, during: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `saga-routed-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    activities: activitiesFor(faults, taskQueue),
  });
  return worker.runUntil(() => during(taskQueue));
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const cases = range(1, MAX_STEPS).flatMap((n) => range(1, n).map((k) => [n, k] as const));

describe('the saga runner, for every table size N (1..6) and failing step k', () => {
  test.each(cases)('N=%i, step %i fails: steps 1..k run, then undos k..1', async (n, k) => {
    // The failed step's undo finds nothing: it stays FAILED; every step before it is COMPENSATED.
    const { ledger, scheduled } = await run({ steps: n, failAt: k }, { nothingToUndoAt: k });
    expect(scheduled).toEqual([
      ...range(1, k).map((i) => `step${i}`),
      ...range(1, k)
        .reverse()
        .map((i) => `undo${i}`),
    ]);
    expect(ledger.steps.map((s) => s.state)).toEqual([
      ...range(1, k - 1).map(() => 'COMPENSATED'),
      'FAILED',
      ...range(k + 1, n).map(() => 'SKIPPED'),
    ]);
    expect(ledger.steps[k - 1]!.error?.type).toBe('StepFailed');
    expect(ledger.steps[k - 1]!.undo).toMatchObject({ outcome: 'NOTHING_TO_UNDO' });
    expect(ledger.compensations.map((c) => `${c.activity}:${c.outcome}`)).toEqual(
      range(1, k)
        .reverse()
        .map((i) => `undo${i}:${i === k ? 'NOTHING_TO_UNDO' : 'UNDONE'}`),
    );
  });

  test('a failed step whose undo did undo something (it had done its work) is COMPENSATED', async () => {
    const { ledger } = await run({ steps: 3, failAt: 2 });
    expect(ledger.steps.map((s) => s.state)).toEqual(['COMPENSATED', 'COMPENSATED', 'SKIPPED']);
  });

  test('an undo that fails does not stop the others; retried, it runs again and the step ends COMPENSATED', async () => {
    const { ledger, scheduled } = await run({ steps: 4, failAt: 4 }, { undoFailsOnce: [2] });
    expect(scheduled).toEqual(['step1', 'step2', 'step3', 'step4', 'undo4', 'undo3', 'undo2', 'undo1', 'undo2']);
    expect(ledger.compensations.map((c) => `${c.activity}:${c.outcome}`)).toEqual([
      'undo4:UNDONE',
      'undo3:UNDONE',
      'undo2:FAILED',
      'undo1:UNDONE',
      'undo2:UNDONE',
    ]);
    expect(ledger.steps.map((s) => s.state)).toEqual(['COMPENSATED', 'COMPENSATED', 'COMPENSATED', 'COMPENSATED']);
  });

  test('with no failing step, every step runs once and nothing is undone', async () => {
    const { ledger, scheduled } = await run({ steps: MAX_STEPS, failAt: 0 });
    expect(scheduled).toEqual(range(1, MAX_STEPS).map((i) => `step${i}`));
    expect(ledger.steps.every((s) => s.state === 'DONE' && s.reference === `ref-${s.name.slice(1)}`)).toBe(true);
  });

  test('a step added later behind its patch: new sagas run it; a history from before it replays without it', async () => {
    const input = { steps: 3, failAt: 0, addedAt: 2 };
    // The release before the step: a saga of steps 1 and 3.
    const before = await bundleWorkflowCode({
      workflowsPath: fixturePath('before-step-added.ts'),
      logger: quietLogger,
    });
    const old = await run(input, {}, before);
    expect(old.scheduled).toEqual(['step1', 'step3']);
    // Its history replays on the current code: the added step is skipped, nothing else changes.
    await Worker.runReplayHistory({ workflowBundle: bundle }, old.history);
    // A new saga takes the step, behind its patch marker.
    const current = await run(input);
    expect(current.scheduled).toEqual(['step1', 'step2', 'step3']);
    expect(patchesIn(current.history)).toEqual([ADDED_STEP_PATCH]);
    // The same step added without its patch: the old history no longer replays.
    const unpatched = await bundleWorkflowCode({
      workflowsPath: fixturePath('added-without-patch.ts'),
      logger: quietLogger,
    });
    await expect(Worker.runReplayHistory({ workflowBundle: unpatched }, old.history)).rejects.toBeInstanceOf(
      DeterminismViolationError,
    );
  });

  test('a before hook waits before its step (a timer), then the run goes on', async () => {
    const { ledger, scheduled, timers } = await run({ steps: 4, failAt: 0, pauseBefore: 3 });
    expect(scheduled).toEqual(['step1', 'step2', 'step3', 'step4']);
    expect(timers).toEqual([2]); // the timer started after the second step's activity
    expect(ledger.steps.every((s) => s.state === 'DONE')).toBe(true);
  });

  test('a before hook that throws ends the forward run: its step and the rest are SKIPPED, what ran is undone', async () => {
    const { ledger, scheduled } = await run({ steps: 4, failAt: 0, pauseBefore: 3, stopAtPause: true });
    expect(scheduled).toEqual(['step1', 'step2', 'undo2', 'undo1']);
    expect(ledger.steps.map((s) => s.state)).toEqual(['COMPENSATED', 'COMPENSATED', 'SKIPPED', 'SKIPPED']);
    expect(ledger.steps[2]!.error).toBeUndefined();
  });

  test('a read-only step (no undo) is skipped by the unwind; the steps around it are undone', async () => {
    const { ledger, scheduled } = await run({ steps: 4, failAt: 4, readOnly: [2] });
    expect(scheduled).toEqual(['step1', 'step2', 'step3', 'step4', 'undo4', 'undo3', 'undo1']);
    expect(ledger.steps.map((s) => s.state)).toEqual(['COMPENSATED', 'DONE', 'COMPENSATED', 'COMPENSATED']);
    expect(ledger.steps[1]!.undo).toBeUndefined();
  });
});

/** Whether the activities named ran together: each was scheduled before any of them ended. */
function ranTogether(timeline: string[], ...names: string[]): boolean {
  const lastStart = Math.max(...names.map((n) => timeline.indexOf(`+${n}`)));
  const firstEnd = Math.min(...names.map((n) => timeline.indexOf(`-${n}`)));
  return names.every((n) => timeline.includes(`+${n}`)) && lastStart < firstEnd;
}

/** Whether `first` ended before `then` was scheduled. */
function ranBefore(timeline: string[], first: string, then: string): boolean {
  return timeline.includes(`-${first}`) && timeline.indexOf(`-${first}`) < timeline.indexOf(`+${then}`);
}

describe('the saga runner, cancelled', () => {
  test('a workflow cancelled mid-run still undoes what ran: the unwind is non-cancellable', async () => {
    const { scheduled, completed, history } = await runWith(
      { steps: 4, failAt: 0, pauseBefore: 3 },
      {},
      bundle,
      async (handle) => {
        await poll(
          'the pause before step 3',
          async () =>
            ((await handle.fetchHistory()).events ?? []).some((e) => e.timerStartedEventAttributes) || undefined,
        );
        await handle.cancel();
        const error = await handle.result().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WorkflowFailedError);
        expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
        return undefined;
      },
    );
    expect(scheduled).toEqual(['step1', 'step2', 'undo2', 'undo1']);
    expect(completed).toEqual(['step1', 'step2', 'undo2', 'undo1']);
    expect((history.events ?? []).filter((e) => e.activityTaskCancelRequestedEventAttributes)).toEqual([]);
  });

  /** The fixture, 3 steps, the third failing; a cancel comes in while undo2 runs (on the routed worker if `routed`). */
  async function cancelWhileUndo2Runs(routed: boolean) {
    let started!: () => void;
    let release!: () => void;
    const undoStarted = new Promise<void>((resolve) => (started = resolve));
    const gate = { at: 2, started, released: new Promise<void>((resolve) => (release = resolve)) };
    const cancelDuringUndo = async (handle: Handle) => {
      await undoStarted;
      await handle.cancel();
      await poll(
        'the cancel in the history',
        async () =>
          ((await handle.fetchHistory()).events ?? []).some((e) => e.workflowExecutionCancelRequestedEventAttributes) ||
          undefined,
      );
      release();
      return handle.result();
    };
    const input = { steps: 3, failAt: 3 };
    if (!routed) return runWith(input, { gate }, bundle, cancelDuringUndo);
    return withRoutedWorker({ gate }, (taskQueue) =>
      runWith({ ...input, route: { steps: [2], taskQueue } }, {}, bundle, cancelDuringUndo),
    );
  }

  test.each([
    ['the default executor', false],
    ['an executor that routes the undo to another task queue', true],
  ])(
    'a cancel that comes in while an undo runs does not cancel it (%s): the unwind is non-cancellable',
    async (_, routed) => {
      const { ledger, completed, history } = await cancelWhileUndo2Runs(routed);
      expect(completed).toEqual(['step1', 'step2', 'undo3', 'undo2', 'undo1']);
      expect((history.events ?? []).filter((e) => e.activityTaskCancelRequestedEventAttributes)).toEqual([]);
      expect(ledger.afterUnwind).toEqual({ failed: [], pending: [] });
      expect(ledger.compensations.map((c) => c.outcome)).toEqual(['UNDONE', 'UNDONE', 'UNDONE']);
    },
  );
});

describe('the saga runner, options', () => {
  test('independent undos next to each other run together; the others, one at a time in reverse', async () => {
    const { ledger, scheduled, timeline } = await run({ steps: 4, failAt: 4, independent: [2, 3] });
    expect(scheduled.slice(0, 5)).toEqual(['step1', 'step2', 'step3', 'step4', 'undo4']);
    expect(ranBefore(timeline, 'undo4', 'undo3') && ranBefore(timeline, 'undo4', 'undo2')).toBe(true);
    expect(ranTogether(timeline, 'undo3', 'undo2')).toBe(true);
    expect(ranBefore(timeline, 'undo3', 'undo1') && ranBefore(timeline, 'undo2', 'undo1')).toBe(true);
    expect(ledger.steps.map((s) => s.state)).toEqual(['COMPENSATED', 'COMPENSATED', 'COMPENSATED', 'COMPENSATED']);
  });

  test('without the option, no two undos run together', async () => {
    const { timeline } = await run({ steps: 4, failAt: 4 });
    for (const [first, then] of [
      ['undo4', 'undo3'],
      ['undo3', 'undo2'],
      ['undo2', 'undo1'],
    ] as const)
      expect(ranBefore(timeline, first, then)).toBe(true);
  });

  test('independent undos that fail together are every one reported, and retried', async () => {
    const { ledger, timeline } = await run({ steps: 3, failAt: 3, independent: [1, 2, 3] }, { undoFailsOnce: [1, 3] });
    expect(ranTogether(timeline, 'undo3', 'undo2', 'undo1')).toBe(true);
    expect([...ledger.afterUnwind!.failed].sort()).toEqual(['s1', 's3']);
    const failed = ledger.compensations.filter((c) => c.outcome === 'FAILED');
    expect(failed.map((c) => c.activity).sort()).toEqual(['undo1', 'undo3']);
    expect(failed.every((c) => c.error?.type === 'UndoFailed')).toBe(true);
    expect(
      ledger.compensations
        .slice(-2)
        .map((c) => `${c.activity}:${c.outcome}`)
        .sort(),
    ).toEqual(['undo1:UNDONE', 'undo3:UNDONE']);
    expect(ledger.steps.map((s) => s.state)).toEqual(['COMPENSATED', 'COMPENSATED', 'COMPENSATED']);
  });

  test('a forward group runs together, after the steps before it and before the steps after it', async () => {
    const { ledger, timeline } = await run({ steps: 4, failAt: 0, group: [2, 3] });
    expect(ranBefore(timeline, 'step1', 'step2') && ranBefore(timeline, 'step1', 'step3')).toBe(true);
    expect(ranTogether(timeline, 'step2', 'step3')).toBe(true);
    expect(ranBefore(timeline, 'step2', 'step4') && ranBefore(timeline, 'step3', 'step4')).toBe(true);
    expect(ledger.steps.every((s) => s.state === 'DONE')).toBe(true);
  });

  test('a member of a group fails: the run waits for the others, then the group is undone together, then the steps before it', async () => {
    const { ledger, scheduled, timeline } = await run({ steps: 4, failAt: 3, group: [2, 3] }, { nothingToUndoAt: 3 });
    expect(scheduled).not.toContain('step4');
    expect(ranTogether(timeline, 'undo3', 'undo2')).toBe(true);
    expect(ranBefore(timeline, 'undo2', 'undo1') && ranBefore(timeline, 'undo3', 'undo1')).toBe(true);
    expect(ledger.steps.map((s) => s.state)).toEqual(['COMPENSATED', 'COMPENSATED', 'FAILED', 'SKIPPED']);
    expect(ledger.failure).toMatchObject({ step: 's3', type: 'StepFailed' });
  });

  test('stopOnUndoFailure: a failing undo stops the unwind; the retry runs it, then the rest', async () => {
    const { ledger, scheduled } = await run({ steps: 4, failAt: 4, stopOnUndoFailure: true }, { undoFailsOnce: [2] });
    expect(scheduled).toEqual(['step1', 'step2', 'step3', 'step4', 'undo4', 'undo3', 'undo2', 'undo2', 'undo1']);
    expect(ledger.afterUnwind).toEqual({ failed: ['s2'], pending: ['s1'] });
    expect(ledger.steps.map((s) => s.state)).toEqual(['COMPENSATED', 'COMPENSATED', 'COMPENSATED', 'COMPENSATED']);
  });

  test('by default a failing undo does not stop the unwind: nothing is left pending', async () => {
    const { ledger } = await run({ steps: 4, failAt: 4 }, { undoFailsOnce: [2] });
    expect(ledger.afterUnwind).toEqual({ failed: ['s2'], pending: [] });
  });

  test("callArgs decorates every call's argument, forward and undo; each undo gets the argument its row names", async () => {
    const received: unknown[] = [];
    await run({ steps: 2, failAt: 2, decorate: true }, { received });
    expect(received).toEqual([
      { step: 1, failAt: 2, calledAs: 'step s1' },
      { step: 2, failAt: 2, calledAs: 'step s2' },
      { step: 2, calledAs: 'undo s2' },
      { step: 1, calledAs: 'undo s1' },
    ]);
  });

  test("without callArgs, each activity gets its row's argument as it is", async () => {
    const received: unknown[] = [];
    await run({ steps: 2, failAt: 2 }, { received });
    expect(received).toEqual([{ step: 1, failAt: 2 }, { step: 2, failAt: 2 }, { step: 2 }, { step: 1 }]);
  });

  test('a deadline that passes stops the forward run and compensates, as SagaDeadlineExceeded', async () => {
    const { ledger, scheduled } = await run({ steps: 4, failAt: 0, pauseBefore: 3, deadline: '30 minutes' });
    expect(scheduled).toEqual(['step1', 'step2', 'undo2', 'undo1']);
    expect(ledger.failure).toMatchObject({ step: 's3', type: 'SagaDeadlineExceeded' });
    expect(ledger.steps.map((s) => s.state)).toEqual(['COMPENSATED', 'COMPENSATED', 'SKIPPED', 'SKIPPED']);
  });

  test('a deadline that does not pass changes nothing but its timer', async () => {
    const { ledger, scheduled, history } = await run({ steps: 4, failAt: 0, pauseBefore: 3, deadline: '2 hours' });
    expect(scheduled).toEqual(['step1', 'step2', 'step3', 'step4']);
    expect(ledger.steps.every((s) => s.state === 'DONE')).toBe(true);
    expect((history.events ?? []).filter((e) => e.timerCanceledEventAttributes)).toHaveLength(1); // the deadline's
  });
});

describe('the saga runner, with an executor of its own', () => {
  test("the default executor: each call an activity on the workflow's task queue, with its row's summary", async () => {
    const { scheduled, history, taskQueue } = await run({ steps: 3, failAt: 2, readOnly: [1] });
    expect(scheduled).toEqual(['step1', 'step2', 'undo2']);
    // The histories a saga recorded before `execute` existed replay only if these stay as they are.
    expect(scheduledCalls(history)).toEqual([
      { activity: 'step1', taskQueue, summary: 'Step 1 (read-only)' },
      { activity: 'step2', taskQueue, summary: 'Step 2' },
      { activity: 'undo2', taskQueue, summary: 'Undo s2: undo2' },
    ]);
  });

  test('an executor that routes a step to another task queue runs it and its undo there, with their arguments decorated', async () => {
    const routedReceived: unknown[] = [];
    const received: unknown[] = [];
    const { ledger, history, taskQueue, routedQueue } = await withRoutedWorker(
      { received: routedReceived },
      async (routedQueue) => ({
        routedQueue,
        ...(await run(
          { steps: 3, failAt: 3, decorate: true, route: { steps: [2], taskQueue: routedQueue } },
          {
            received,
            nothingToUndoAt: 3,
          },
        )),
      }),
    );
    // The history: the same calls in the same order, with the same summaries; step 2's on the routed queue.
    expect(scheduledCalls(history)).toEqual([
      { activity: 'step1', taskQueue, summary: 'Step 1' },
      { activity: 'step2', taskQueue: routedQueue, summary: 'Step 2' },
      { activity: 'step3', taskQueue, summary: 'Step 3' },
      { activity: 'undo3', taskQueue, summary: 'Undo s3: undo3' },
      { activity: 'undo2', taskQueue: routedQueue, summary: 'Undo s2: undo2' },
      { activity: 'undo1', taskQueue, summary: 'Undo s1: undo1' },
    ]);
    // The second worker ran step 2 and its undo, with what callArgs made of their arguments; the first, the rest.
    expect(routedReceived).toEqual([
      { step: 2, failAt: 3, calledAs: 'step s2' },
      { step: 2, calledAs: 'undo s2' },
    ]);
    expect(received).toEqual([
      { step: 1, failAt: 3, calledAs: 'step s1' },
      { step: 3, failAt: 3, calledAs: 'step s3' },
      { step: 3, calledAs: 'undo s3' },
      { step: 1, calledAs: 'undo s1' },
    ]);
    // The ledger: step 2's reference is the routed worker's answer, and its undo is recorded as any other.
    expect(ledger.steps.map((s) => [s.state, s.reference])).toEqual([
      ['COMPENSATED', 'ref-1'],
      ['COMPENSATED', `ref-2 from ${routedQueue}`],
      ['FAILED', undefined],
    ]);
    expect(ledger.steps[1]!.undo).toEqual({ activity: 'undo2', attempts: 1, outcome: 'UNDONE' });
    expect(ledger.compensations.map((c) => `${c.activity}:${c.outcome}`)).toEqual([
      'undo3:NOTHING_TO_UNDO',
      'undo2:UNDONE',
      'undo1:UNDONE',
    ]);
  });

  test('a routed step that fails ends the forward run and the others are undone, last first', async () => {
    const { ledger, scheduled, history, routedQueue } = await withRoutedWorker(
      { nothingToUndoAt: 3 },
      async (routedQueue) => ({
        routedQueue,
        ...(await run({ steps: 4, failAt: 3, route: { steps: [3], taskQueue: routedQueue } })),
      }),
    );
    expect(scheduled).toEqual(['step1', 'step2', 'step3', 'undo3', 'undo2', 'undo1']);
    expect(
      scheduledCalls(history)
        .filter((c) => c.taskQueue === routedQueue)
        .map((c) => c.activity),
    ).toEqual(['step3', 'undo3']);
    expect(ledger.steps.map((s) => s.state)).toEqual(['COMPENSATED', 'COMPENSATED', 'FAILED', 'SKIPPED']);
    expect(ledger.steps[2]!.error).toEqual({ type: 'StepFailed', message: 'step 3 failed' });
    expect(ledger.failure).toEqual({ step: 's3', type: 'StepFailed', message: 'step 3 failed' });
    expect(ledger.steps[2]!.undo).toMatchObject({ activity: 'undo3', outcome: 'NOTHING_TO_UNDO' });
  });
});
