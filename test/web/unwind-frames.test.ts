// The page's replay of an unwind: several compensations that finished between two events are
// shown one at a time, in the order they ran (no browser needed).
import { describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { unwindFrames } from '../../src/web/live-view.ts';
import type { StepName } from '../../src/booking/steps.ts';
import {
  failedAt,
  ledger,
  pendingEntries,
  statesOf,
  stepOf,
  stepsBefore,
  undoOf,
  unwindFrom,
} from '../helpers/steps.ts';

type Step = BookingView['steps'][number];

function view(overrides: Partial<BookingView>): BookingView {
  return {
    bookingId: 'b1',
    customerId: 'c1',
    status: 'PENDING',
    currentStep: null,
    steps: pendingEntries(),
    compensations: [],
    cancelRequested: false,
    version: 1,
    source: 'workflow',
    createdAt: '2030-01-01T00:00:00Z',
    updatedAt: '2030-01-01T00:00:00Z',
    links: { self: '/bookings/b1', events: '/bookings/b1/events', history: 'http://ui/b1' },
    ...overrides,
  };
}

/** A step the unwind undid. */
const undone = (name: StepName): Step => ({
  name,
  state: 'COMPENSATED',
  attempts: 1,
  reference: `${name}-1`,
  undo: { activity: undoOf(name), attempts: 1, outcome: 'UNDONE' },
});

/** The payment failed (the card expired), with nothing to undo; every step before it was undone, last first. */
const expiredCardDone = view({
  status: 'FAILED',
  version: 15,
  steps: [
    ...stepsBefore('payment').map(undone),
    {
      name: 'payment',
      state: 'FAILED',
      attempts: 1,
      error: { type: 'CardExpired', message: 'expired' },
      undo: { activity: undoOf('payment'), attempts: 1, outcome: 'NOTHING_TO_UNDO' },
    },
  ],
  compensations: unwindFrom('payment').map((activity) => ({
    step: stepOf(activity),
    activity,
    outcome: stepOf(activity) === 'payment' ? 'NOTHING_TO_UNDO' : 'UNDONE',
  })),
});

describe('unwindFrames', () => {
  test('three compensations in one event become one stage each, in the order they ran', () => {
    const frames = unwindFrames(view({}), expiredCardDone);
    expect(frames.map(statesOf)).toEqual([
      ledger({ flight: 'DONE', hotel: 'DONE', payment: 'COMPENSATING' }),
      ledger({ flight: 'DONE', hotel: 'COMPENSATING', payment: 'FAILED' }),
      ledger({ flight: 'COMPENSATING', hotel: 'COMPENSATED', payment: 'FAILED' }),
      failedAt('payment'),
    ]);
    expect(frames.map((f) => f.status)).toEqual(['COMPENSATING', 'COMPENSATING', 'COMPENSATING', 'FAILED']);
    expect(frames.at(-1)).toBe(expiredCardDone);
  });

  test('nothing to replay: a first view, another booking, or one compensation at a time', () => {
    expect(unwindFrames(undefined, expiredCardDone)).toEqual([expiredCardDone]);
    expect(unwindFrames(view({ bookingId: 'other' }), expiredCardDone)).toEqual([expiredCardDone]);
    const twoDone = view({ compensations: expiredCardDone.compensations.slice(0, 2) });
    expect(unwindFrames(twoDone, expiredCardDone)).toEqual([expiredCardDone]);
  });
});
