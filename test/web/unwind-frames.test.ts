// The page's replay of an unwind: several compensations that finished between two events are
// shown one at a time, in the order they ran (no browser needed).
import { describe, expect, test } from 'vitest';
import type { BookingView } from '../../src/api/bookings/view.ts';
import { unwindFrames } from '../../src/web/live-view.ts';

function view(overrides: Partial<BookingView>): BookingView {
  return {
    bookingId: 'b1',
    customerId: 'c1',
    status: 'PENDING',
    currentStep: null,
    steps: [
      { name: 'flight', state: 'PENDING', attempts: 0 },
      { name: 'hotel', state: 'PENDING', attempts: 0 },
      { name: 'payment', state: 'PENDING', attempts: 0 },
    ],
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

const expiredCardDone = view({
  status: 'FAILED',
  version: 15,
  steps: [
    { name: 'flight', state: 'COMPENSATED', attempts: 1, reference: 'f', undo: { activity: 'cancelFlight', attempts: 1, outcome: 'UNDONE' } },
    { name: 'hotel', state: 'COMPENSATED', attempts: 1, reference: 'h', undo: { activity: 'cancelHotel', attempts: 1, outcome: 'UNDONE' } },
    {
      name: 'payment',
      state: 'FAILED',
      attempts: 1,
      error: { type: 'CardExpired', message: 'expired' },
      undo: { activity: 'refundPayment', attempts: 1, outcome: 'NOTHING_TO_UNDO' },
    },
  ],
  compensations: [
    { step: 'payment', activity: 'refundPayment', outcome: 'NOTHING_TO_UNDO' },
    { step: 'hotel', activity: 'cancelHotel', outcome: 'UNDONE' },
    { step: 'flight', activity: 'cancelFlight', outcome: 'UNDONE' },
  ],
});

const states = (v: BookingView) => v.steps.map((s) => `${s.name}:${s.state}`).join(' ');

describe('unwindFrames', () => {
  test('three compensations in one event become one stage each, in the order they ran', () => {
    const frames = unwindFrames(view({}), expiredCardDone);
    expect(frames.map(states)).toEqual([
      'flight:DONE hotel:DONE payment:COMPENSATING',
      'flight:DONE hotel:COMPENSATING payment:FAILED',
      'flight:COMPENSATING hotel:COMPENSATED payment:FAILED',
      'flight:COMPENSATED hotel:COMPENSATED payment:FAILED',
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
