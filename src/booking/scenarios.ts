// The failure table as named scenarios, one catalogue for the page's scenario picker, the recorded
// histories and the chaos run: each sets the card, maybe a sold-out flight or hotel, and the
// `faults` of the request (honoured only with FAULT_INJECTION=on). Pure: the page bundles it.
import { TRIP_STEPS } from './steps.ts';
import type { FaultPlan, FaultTarget } from './faults.ts';

export type CardChoice = 'good' | 'declined' | 'expired';

export interface Scenario {
  id: string;
  label: string;
  group: string;
  card: CardChoice;
  flightNumber?: string;
  hotelId?: string;
  faults: FaultPlan;
}

/** Sold out by the seed data (src/db/seed.ts). */
export const SOLD_OUT_FLIGHT = 'TB404';
export const SOLD_OUT_HOTEL = 'HTL-JEJU-FULL';
/** A flight number that no schedule has: the FlightNotFound scenario. */
export const UNKNOWN_FLIGHT = 'XX999';

const FORWARD: readonly FaultTarget[] = TRIP_STEPS.map((s) => s.activity);
/** The undos in the order an unwind runs them. */
const COMPENSATIONS: readonly FaultTarget[] = TRIP_STEPS.map((s) => s.undo).reverse();

const MODES = [
  { mode: 'fail', words: 'fails' },
  { mode: 'transient:2', words: 'fails twice, then works' },
  { mode: 'timeout', words: 'times out once (5 s), then works' },
] as const;

export const SCENARIOS: readonly Scenario[] = [
  { id: 'happy', label: 'Happy path', group: 'Outcomes', card: 'good', faults: {} },
  {
    id: 'flight-sold-out',
    label: `Flight sold out (${SOLD_OUT_FLIGHT})`,
    group: 'Outcomes',
    card: 'good',
    flightNumber: SOLD_OUT_FLIGHT,
    faults: {},
  },
  {
    id: 'flight-not-found',
    label: `Unknown flight (${UNKNOWN_FLIGHT})`,
    group: 'Outcomes',
    card: 'good',
    flightNumber: UNKNOWN_FLIGHT,
    faults: {},
  },
  {
    id: 'hotel-sold-out',
    label: `Hotel sold out (${SOLD_OUT_HOTEL})`,
    group: 'Outcomes',
    card: 'good',
    hotelId: SOLD_OUT_HOTEL,
    faults: {},
  },
  { id: 'card-declined', label: 'Card declined', group: 'Outcomes', card: 'declined', faults: {} },
  { id: 'card-expired', label: 'Card expired (12/19)', group: 'Outcomes', card: 'expired', faults: {} },
  ...FORWARD.flatMap((target) =>
    MODES.map(({ mode, words }) => ({
      id: `${target}:${mode}`,
      label: `${target} ${words}`,
      group: 'A step fails',
      card: 'good' as const,
      faults: { [target]: mode },
    })),
  ),
  ...COMPENSATIONS.flatMap((target) =>
    MODES.map(({ mode, words }) => ({
      id: `${target}:${mode}`,
      label: `${target} ${words} (card declined, so it runs)`,
      group: 'A compensation fails',
      card: 'declined' as const,
      faults: { [target]: mode },
    })),
  ),
  {
    id: 'reserveHotel:transient:5',
    label: 'reserveHotel fails 5 times: out of attempts (3), the flight is undone',
    group: 'A step fails for good',
    card: 'good',
    faults: { reserveHotel: 'transient:5' },
  },
  {
    id: 'reserveHotel:timeout:3',
    label: 'reserveHotel reserves but answers too late every time (3 × 5 s): its reservation is undone',
    group: 'A step fails for good',
    card: 'good',
    faults: { reserveHotel: 'timeout:3' },
  },
  {
    id: 'chargePayment:outage:2h',
    label: 'Payment outage 2 h (real time: it retries for 2 hours)',
    group: 'Slow',
    card: 'good',
    faults: { chargePayment: 'outage:2h' },
  },
];

/** The scenario with this ID; the happy path for an unknown one. */
export function scenarioById(id: string): Scenario {
  return SCENARIOS.find((s) => s.id === id) ?? SCENARIOS[0]!;
}

export function faultsInWords(faults: FaultPlan): string {
  const entries = Object.entries(faults);
  return entries.length === 0
    ? 'no injected faults'
    : `injected faults: ${entries.map(([k, v]) => `${k}=${v}`).join(', ')}`;
}
