// chooseSeats: the seat map walk behind reserveFlight's seat assignment (pure: no database).
import { describe, expect, test } from 'vitest';
import { chooseSeats } from '../../src/activities/flights/activities.ts';
import type { SeatPreference } from '../../src/activities/flights/types.ts';

/** The rule, spelled out over the whole seat map: free preferred seats in order, then the rest. */
function reference(capacity: number, taken: Set<string>, count: number, preference: SeatPreference): string[] {
  const letters = { window: ['A', 'F'], aisle: ['C', 'D'], any: [] as string[] }[preference];
  const free = Array.from({ length: capacity }, (_, i) => `${Math.floor(i / 6) + 1}${'ABCDEF'[i % 6]}`).filter(
    (s) => !taken.has(s),
  );
  const isPreferred = (s: string) => letters.includes(s.slice(-1));
  return [...free.filter(isPreferred), ...free.filter((s) => !isPreferred(s))].slice(0, count);
}

describe('chooseSeats', () => {
  test('window and aisle seats first, in row order; "any" takes the first free seats', () => {
    expect(chooseSeats(180, new Set(), 3, 'window')).toEqual(['1A', '1F', '2A']);
    expect(chooseSeats(180, new Set(), 2, 'aisle')).toEqual(['1C', '1D']);
    expect(chooseSeats(180, new Set(), 4, 'any')).toEqual(['1A', '1B', '1C', '1D']);
  });

  test('skips taken seats, and falls back to other seats once the preferred ones are gone', () => {
    expect(chooseSeats(180, new Set(['1A', '1F']), 2, 'window')).toEqual(['2A', '2F']);
    // A 2-row aircraft: four window seats, all taken, so the middle seats come next.
    expect(chooseSeats(12, new Set(['1A', '1F', '2A', '2F']), 2, 'window')).toEqual(['1B', '1C']);
    // Never beyond capacity: 8 seats are 1A…2B.
    expect(chooseSeats(8, new Set(['1A', '1B', '1C', '1D', '1E', '1F']), 3, 'any')).toEqual(['2A', '2B']);
  });

  test('a 100,000-seat flight picks the same seats as the whole-map rule', () => {
    const taken = new Set(['1A', '1F', '2A', '7C']);
    for (const preference of ['window', 'aisle', 'any'] as const) {
      expect(chooseSeats(100_000, taken, 9, preference)).toEqual(reference(100_000, taken, 9, preference));
    }
  });

  test('agrees with the whole-map rule on random seat maps', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 300; run++) {
      const capacity = 1 + Math.floor(random() * 60);
      const taken = new Set(
        Array.from({ length: Math.floor(random() * capacity) }, () => {
          const i = Math.floor(random() * capacity);
          return `${Math.floor(i / 6) + 1}${'ABCDEF'[i % 6]}`;
        }),
      );
      const count = 1 + Math.floor(random() * 9);
      const preference = (['window', 'aisle', 'any'] as const)[run % 3]!;
      expect(chooseSeats(capacity, taken, count, preference), `run ${run}`).toEqual(
        reference(capacity, taken, count, preference),
      );
    }
  });
});
