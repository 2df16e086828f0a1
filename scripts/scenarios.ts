// The failure table's scenarios as API requests: used to record histories for the replay tests
// (scripts/record-histories.ts) and by the chaos run (scripts/chaos.ts).
import { utcDay } from '../src/common/dates.ts';
import { scenarioById, type Scenario as CatalogueScenario } from '../src/booking/scenarios.ts';
import { sampleCards } from '../src/activities/payments/cards.ts';

/** A recorded scenario: one of the failure table's (src/booking/scenarios.ts), and how it must end. */
export interface Scenario extends Pick<CatalogueScenario, 'card' | 'flightNumber' | 'hotelId' | 'faults'> {
  /** The history's file name. */
  name: string;
  /** What the user or operator does while it runs (a hold's confirm pays with `card`). */
  action?: 'cancel-during-hotel' | 'resolve-when-compensation-failed' | 'confirm-when-held' | 'cancel-when-held';
  /** Hold now, pay later: minutes of the hold; the booking has no payment until its confirm. */
  hold?: number;
  /** POST /bookings with Prefer: wait=N (Update-with-Start of awaitSettled). */
  preferWait?: number;
  expected: 'CONFIRMED' | 'FAILED' | 'CANCELLED' | 'EXPIRED';
}

/** A scenario of the catalogue, by its ID, under a history's name. */
function recorded(name: string, id: string, expected: Scenario['expected'], action?: Scenario['action']): Scenario {
  const { card, flightNumber, hotelId, faults } = scenarioById(id);
  if (scenarioById(id).id !== id) throw new Error(`no scenario ${id} in src/booking/scenarios.ts`);
  return {
    name,
    card,
    faults,
    expected,
    ...(flightNumber ? { flightNumber } : {}),
    ...(hotelId ? { hotelId } : {}),
    ...(action ? { action } : {}),
  };
}

export const SCENARIOS: Scenario[] = [
  recorded('confirmed', 'happy', 'CONFIRMED'),
  recorded('flight-sold-out', 'flight-sold-out', 'FAILED'),
  recorded('flight-not-found', 'flight-not-found', 'FAILED'),
  recorded('hotel-sold-out', 'hotel-sold-out', 'FAILED'),
  recorded('card-declined', 'card-declined', 'FAILED'),
  recorded('card-expired', 'card-expired', 'FAILED'),
  recorded('reserve-flight-fail', 'reserveFlight:fail', 'FAILED'),
  recorded('reserve-hotel-fail', 'reserveHotel:fail', 'FAILED'),
  recorded('charge-payment-fail', 'chargePayment:fail', 'FAILED'),
  recorded('charge-payment-transient', 'chargePayment:transient:2', 'CONFIRMED'),
  recorded('reserve-hotel-transient-out-of-attempts', 'reserveHotel:transient:5', 'FAILED'),
  recorded('reserve-hotel-timeout', 'reserveHotel:timeout', 'CONFIRMED'),
  recorded('reserve-hotel-timeout-every-attempt', 'reserveHotel:timeout:3', 'FAILED'),
  recorded('cancel-hotel-transient', 'cancelHotel:transient:2', 'FAILED'),
  recorded('refund-payment-timeout', 'refundPayment:timeout', 'FAILED'),
  recorded('cancel-hotel-fail-resolved', 'cancelHotel:fail', 'FAILED', 'resolve-when-compensation-failed'),
  recorded('user-cancel-during-hotel', 'reserveHotel:timeout', 'CANCELLED', 'cancel-during-hotel'),
];

/** Holds (#15) and a caller that waits: recorded from the build that has them (v4-hold on). */
export const HOLD_SCENARIOS: Scenario[] = [
  { ...recorded('hold-confirmed', 'happy', 'CONFIRMED', 'confirm-when-held'), hold: 30 },
  { ...recorded('hold-confirmed-card-declined', 'card-declined', 'FAILED', 'confirm-when-held'), hold: 30 },
  { ...recorded('hold-cancelled', 'happy', 'CANCELLED', 'cancel-when-held'), hold: 30 },
  // One minute of real time on the dev server: the hold's timer fires, hotel and flight are undone.
  { ...recorded('hold-expired', 'happy', 'EXPIRED'), hold: 1 },
  { ...recorded('prefer-wait-confirmed', 'happy', 'CONFIRMED'), preferWait: 10 },
  { ...recorded('prefer-wait-hold-confirmed', 'happy', 'CONFIRMED', 'confirm-when-held'), hold: 30, preferWait: 10 },
];

/** The POST /bookings body of a scenario. */
export function bookingBody(scenario: Scenario, customerId = `scenario-${scenario.name}`) {
  const card = sampleCards()[scenario.card ?? 'good'];
  return {
    customerId,
    flight: { flightNumber: scenario.flightNumber ?? 'TB100', date: utcDay(7), seats: 1 },
    hotel: { hotelId: scenario.hotelId ?? 'HTL-TOKYO-SHINJUKU', checkIn: utcDay(7), nights: 3, rooms: 1 },
    // A hold pays at its confirm (confirmBody).
    ...(scenario.hold ? { hold: { minutes: scenario.hold } } : { payment: { card } }),
    ...(scenario.faults && Object.keys(scenario.faults).length > 0 ? { faults: scenario.faults } : {}),
  };
}

/** The POST /bookings/:id/confirm body of a hold scenario: its card. */
export function confirmBody(scenario: Scenario) {
  return { payment: { card: sampleCards()[scenario.card ?? 'good'] } };
}
