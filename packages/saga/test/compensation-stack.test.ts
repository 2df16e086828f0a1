// CompensationStack on its own: no Temporal.
import { describe, expect, test } from 'vitest';
import { CompensationStack, type UnwindHooks } from '../src/compensation-stack.ts';

/** An undo that logs its key when it runs, and fails while `failures` says so. */
function makeUndo(log: string[], key: string, failures = 0) {
  let calls = 0;
  const run = async () => {
    calls++;
    log.push(key);
    // Yield, so an unwind that did not await each undo would interleave them.
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (calls <= failures) throw new Error(`${key} failed (call ${calls})`);
    return `${key} undone`;
  };
  return { run, calls: () => calls };
}

/** Hooks that record every call, in order. */
function recordingHooks() {
  const events: unknown[][] = [];
  const hooks: UnwindHooks<string> = {
    onStart: (key) => events.push(['start', key]),
    onSuccess: (key, result) => events.push(['success', key, result]),
    onFailure: (key, error) => events.push(['failure', key, (error as Error).message]),
  };
  return { events, hooks };
}

describe('CompensationStack', () => {
  test('unwinds in LIFO order, each undo awaited before the next', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    for (const key of ['flight', 'hotel', 'payment']) stack.push(key, makeUndo(log, key).run);
    const result = await stack.unwind();
    expect(result).toEqual({ ran: ['payment', 'hotel', 'flight'], failed: [] });
    expect(log).toEqual(['payment', 'hotel', 'flight']);
    expect((await stack.unwind()).ran).toEqual([]); // nothing left on the stack
    expect(stack.failed).toEqual([]);
  });

  test('undos run only when unwound, and each runs once', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    const flight = makeUndo(log, 'flight');
    stack.push('flight', flight.run);
    expect(log).toEqual([]);
    await stack.unwind();
    await stack.unwind();
    expect(flight.calls()).toBe(1);
    expect(log).toEqual(['flight']);
  });

  test('a failing undo does not stop the others and is reported in failed', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    const flight = makeUndo(log, 'flight');
    const hotel = makeUndo(log, 'hotel', Infinity);
    const payment = makeUndo(log, 'payment');
    stack.push('flight', flight.run);
    stack.push('hotel', hotel.run);
    stack.push('payment', payment.run);
    const result = await stack.unwind();
    expect(result).toEqual({ ran: ['payment', 'hotel', 'flight'], failed: ['hotel'] });
    expect(log).toEqual(['payment', 'hotel', 'flight']);
    expect(stack.failed).toEqual(['hotel']);
    expect((await stack.unwind()).ran).toEqual([]); // nothing left on the stack
    expect([flight.calls(), hotel.calls(), payment.calls()]).toEqual([1, 1, 1]);
  });

  test('several failures are reported in the order they ran; a synchronous throw counts too', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    stack.push('a', makeUndo(log, 'a', 1).run);
    stack.push('b', makeUndo(log, 'b').run);
    stack.push('c', () => {
      log.push('c');
      throw new Error('c threw synchronously');
    });
    const result = await stack.unwind();
    expect(result).toEqual({ ran: ['c', 'b', 'a'], failed: ['c', 'a'] });
    expect(log).toEqual(['c', 'b', 'a']);
  });

  test('hooks are called in order, with results and errors', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    stack.push('flight', makeUndo(log, 'flight').run);
    stack.push('hotel', makeUndo(log, 'hotel', 1).run);
    stack.push('payment', makeUndo(log, 'payment').run);
    const { events, hooks } = recordingHooks();
    await stack.unwind(hooks);
    expect(events).toEqual([
      ['start', 'payment'],
      ['success', 'payment', 'payment undone'],
      ['start', 'hotel'],
      ['failure', 'hotel', 'hotel failed (call 1)'],
      ['start', 'flight'],
      ['success', 'flight', 'flight undone'],
    ]);
  });

  test('onStart runs before its undo, and the outcome hook after it', async () => {
    const trace: string[] = [];
    const stack = new CompensationStack<string>();
    stack.push('flight', () => {
      trace.push('run flight');
      return Promise.resolve(1);
    });
    await stack.unwind({
      onStart: (key) => trace.push(`start ${key}`),
      onSuccess: (key, result) => trace.push(`success ${key} ${String(result)}`),
    });
    expect(trace).toEqual(['start flight', 'run flight', 'success flight 1']);
  });

  test('unwind works without hooks and with only some hooks', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    stack.push('a', makeUndo(log, 'a').run);
    stack.push('b', makeUndo(log, 'b', 1).run);
    const failures: string[] = [];
    const result = await stack.unwind({ onFailure: (key) => failures.push(key) });
    expect(result).toEqual({ ran: ['b', 'a'], failed: ['b'] });
    expect(failures).toEqual(['b']);
  });

  test('retryFailed re-runs only the failed undos, in their original order, and clears them on success', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    const undos = {
      flight: makeUndo(log, 'flight', 1),
      hotel: makeUndo(log, 'hotel'),
      payment: makeUndo(log, 'payment', 1),
      insurance: makeUndo(log, 'insurance'),
    };
    for (const [key, undo] of Object.entries(undos)) stack.push(key, undo.run);
    const first = await stack.unwind();
    expect(first).toEqual({ ran: ['insurance', 'payment', 'hotel', 'flight'], failed: ['payment', 'flight'] });

    log.length = 0;
    const { events, hooks } = recordingHooks();
    const retry = await stack.retryFailed(hooks);
    expect(retry).toEqual({ ran: ['payment', 'flight'], failed: [] });
    expect(log).toEqual(['payment', 'flight']);
    expect(events).toEqual([
      ['start', 'payment'],
      ['success', 'payment', 'payment undone'],
      ['start', 'flight'],
      ['success', 'flight', 'flight undone'],
    ]);
    expect(stack.failed).toEqual([]);
    expect([undos.flight.calls(), undos.hotel.calls(), undos.payment.calls(), undos.insurance.calls()]).toEqual([
      2, 1, 2, 1,
    ]);

    // Nothing is left to retry.
    log.length = 0;
    expect(await stack.retryFailed()).toEqual({ ran: [], failed: [] });
    expect(log).toEqual([]);
  });

  test('an undo that fails again stays failed, keeps its place, and succeeds on a later retry', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    stack.push('flight', makeUndo(log, 'flight', 1).run);
    stack.push('hotel', makeUndo(log, 'hotel', 3).run);
    stack.push('payment', makeUndo(log, 'payment', 2).run);
    expect(await stack.unwind()).toEqual({
      ran: ['payment', 'hotel', 'flight'],
      failed: ['payment', 'hotel', 'flight'],
    });
    expect(await stack.retryFailed()).toEqual({ ran: ['payment', 'hotel', 'flight'], failed: ['payment', 'hotel'] });
    expect(stack.failed).toEqual(['payment', 'hotel']);
    expect(await stack.retryFailed()).toEqual({ ran: ['payment', 'hotel'], failed: ['hotel'] });
    expect(await stack.retryFailed()).toEqual({ ran: ['hotel'], failed: [] });
    expect(stack.failed).toEqual([]);
    expect(log).toEqual(['payment', 'hotel', 'flight', 'payment', 'hotel', 'flight', 'payment', 'hotel', 'hotel']);
  });

  test('unwind of an empty stack does nothing', async () => {
    const stack = new CompensationStack<string>();
    const { events, hooks } = recordingHooks();
    expect(await stack.unwind(hooks)).toEqual({ ran: [], failed: [] });
    expect(await stack.retryFailed(hooks)).toEqual({ ran: [], failed: [] });
    expect(events).toEqual([]);
    expect((await stack.unwind()).ran).toEqual([]); // nothing left on the stack
    expect(stack.failed).toEqual([]);
  });

  test('a push runs nothing: the undos run only when the stack unwinds', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    for (const key of ['flight', 'hotel', 'payment']) stack.push(key, makeUndo(log, key).run);
    expect(log).toEqual([]);
    expect((await stack.unwind()).ran).toEqual(['payment', 'hotel', 'flight']);
    expect(log).toEqual(['payment', 'hotel', 'flight']);
  });

  test('one key may be pushed twice; each registration is undone once', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    stack.push('flight', makeUndo(log, 'flight-outbound').run);
    stack.push('flight', makeUndo(log, 'flight-return').run);
    expect((await stack.unwind()).ran).toEqual(['flight', 'flight']);
    expect(log).toEqual(['flight-return', 'flight-outbound']);
  });

  test('a push after an unwind is unwound next time, on its own', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    stack.push('flight', makeUndo(log, 'flight').run);
    await stack.unwind();
    stack.push('hotel', makeUndo(log, 'hotel').run);
    expect(await stack.unwind()).toEqual({ ran: ['hotel'], failed: [] });
    expect(log).toEqual(['flight', 'hotel']);
  });

  test('a failure from an earlier unwind stays on record for a retry after a later unwind', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>();
    stack.push('flight', makeUndo(log, 'flight', 1).run);
    expect((await stack.unwind()).failed).toEqual(['flight']);
    stack.push('hotel', makeUndo(log, 'hotel', 1).run);
    expect((await stack.unwind()).ran).toEqual(['hotel']);
    expect(stack.failed).toEqual(['flight', 'hotel']);
    expect(await stack.retryFailed()).toEqual({ ran: ['flight', 'hotel'], failed: [] });
    expect(log).toEqual(['flight', 'hotel', 'flight', 'hotel']);
  });

  test('keys may be any type', async () => {
    const stack = new CompensationStack<{ step: number }>();
    const one = { step: 1 };
    const two = { step: 2 };
    stack.push(one, () => Promise.resolve());
    stack.push(two, () => Promise.reject(new Error('no')));
    const result = await stack.unwind();
    expect(result.ran[0]).toBe(two);
    expect(result.ran[1]).toBe(one);
    expect(result.failed).toEqual([two]);
    expect(result.failed[0]).toBe(two);
  });
});

describe('CompensationStack batches', () => {
  /** An undo that records when it starts and when it ends, and fails if told to. */
  function tracedUndo(trace: string[], key: string, fail = false) {
    return async () => {
      trace.push(`start ${key}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      trace.push(`end ${key}`);
      if (fail) throw new Error(`${key} failed`);
    };
  }

  test('undos of one batch next to each other run together; the unwind waits for all before the next', async () => {
    const trace: string[] = [];
    const stack = new CompensationStack<string>();
    stack.push('a', tracedUndo(trace, 'a'));
    stack.push('b', tracedUndo(trace, 'b'), 'together');
    stack.push('c', tracedUndo(trace, 'c'), 'together');
    stack.push('d', tracedUndo(trace, 'd'));
    expect((await stack.unwind()).ran).toEqual(['d', 'c', 'b', 'a']);
    expect(trace).toEqual(['start d', 'end d', 'start c', 'start b', 'end c', 'end b', 'start a', 'end a']);
  });

  test('every failure of a batch is reported, and a retry runs the failed ones together again', async () => {
    const trace: string[] = [];
    const stack = new CompensationStack<string>();
    let failing = true;
    for (const key of ['a', 'b', 'c']) {
      stack.push(
        key,
        async () => {
          trace.push(`start ${key}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (failing && key !== 'b') throw new Error(`${key} failed`);
        },
        'together',
      );
    }
    const result = await stack.unwind();
    expect(result.ran).toEqual(['c', 'b', 'a']);
    expect([...result.failed].sort()).toEqual(['a', 'c']);
    failing = false;
    trace.length = 0;
    expect((await stack.retryFailed()).failed).toEqual([]);
    expect(trace.sort()).toEqual(['start a', 'start c']);
  });

  test('the same batch name apart on the stack makes two batches', async () => {
    const trace: string[] = [];
    const stack = new CompensationStack<string>();
    stack.push('a', tracedUndo(trace, 'a'), 'x');
    stack.push('b', tracedUndo(trace, 'b'));
    stack.push('c', tracedUndo(trace, 'c'), 'x');
    await stack.unwind();
    expect(trace).toEqual(['start c', 'end c', 'start b', 'end b', 'start a', 'end a']);
  });
});

describe('CompensationStack with stopOnFailure', () => {
  test('a failing undo stops the unwind; the rest stay pending; a retry runs the failed one, then the rest', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>({ stopOnFailure: true });
    for (const [key, failures] of [
      ['flight', 0],
      ['hotel', 1],
      ['payment', 0],
    ] as const)
      stack.push(key, makeUndo(log, key, failures).run);
    expect(await stack.unwind()).toEqual({ ran: ['payment', 'hotel'], failed: ['hotel'] });
    expect(stack.failed).toEqual(['hotel']);
    expect(stack.pending).toEqual(['flight']);
    expect(log).toEqual(['payment', 'hotel']);
    expect(await stack.retryFailed()).toEqual({ ran: ['hotel', 'flight'], failed: [] });
    expect(stack.pending).toEqual([]);
    expect(log).toEqual(['payment', 'hotel', 'hotel', 'flight']);
  });

  test('a retry that fails again stops again, before the rest', async () => {
    const log: string[] = [];
    const stack = new CompensationStack<string>({ stopOnFailure: true });
    stack.push('flight', makeUndo(log, 'flight').run);
    stack.push('hotel', makeUndo(log, 'hotel', 2).run);
    await stack.unwind();
    expect(await stack.retryFailed()).toEqual({ ran: ['hotel'], failed: ['hotel'] });
    expect(stack.pending).toEqual(['flight']);
    expect(await stack.retryFailed()).toEqual({ ran: ['hotel', 'flight'], failed: [] });
  });
});
