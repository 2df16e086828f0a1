// The failure table's scenarios as API requests: used to record histories for the replay tests
// (scripts/record-histories.ts) and by the chaos run (scripts/chaos.ts).
import type { FaultPlan } from '../src/domain/faults.ts';

export const CARD_NUMBERS = { good: '4242424242424242', declined: '4000000000000002' } as const;

export interface Scenario {
  name: string;
  flightNumber?: string;
  hotelId?: string;
  card?: 'good' | 'declined' | 'expired';
  faults?: FaultPlan;
  /** What the user or operator does while it runs. */
  action?: 'cancel-during-hotel' | 'resolve-when-compensation-failed';
  expected: 'CONFIRMED' | 'FAILED' | 'CANCELLED';
}

export const SCENARIOS: Scenario[] = [
  { name: 'confirmed', expected: 'CONFIRMED' },
  { name: 'flight-sold-out', flightNumber: 'TB404', expected: 'FAILED' },
  { name: 'flight-not-found', flightNumber: 'XX999', expected: 'FAILED' },
  { name: 'hotel-sold-out', hotelId: 'HTL-JEJU-FULL', expected: 'FAILED' },
  { name: 'card-declined', card: 'declined', expected: 'FAILED' },
  { name: 'card-expired', card: 'expired', expected: 'FAILED' },
  { name: 'reserve-flight-fail', faults: { reserveFlight: 'fail' }, expected: 'FAILED' },
  { name: 'reserve-hotel-fail', faults: { reserveHotel: 'fail' }, expected: 'FAILED' },
  { name: 'charge-payment-fail', faults: { chargePayment: 'fail' }, expected: 'FAILED' },
  { name: 'charge-payment-transient', faults: { chargePayment: 'transient:2' }, expected: 'CONFIRMED' },
  { name: 'reserve-hotel-transient-out-of-attempts', faults: { reserveHotel: 'transient:5' }, expected: 'FAILED' },
  { name: 'reserve-hotel-timeout', faults: { reserveHotel: 'timeout' }, expected: 'CONFIRMED' },
  { name: 'reserve-hotel-timeout-every-attempt', faults: { reserveHotel: 'timeout:3' }, expected: 'FAILED' },
  { name: 'cancel-hotel-transient', card: 'declined', faults: { cancelHotel: 'transient:3' }, expected: 'FAILED' },
  { name: 'refund-payment-timeout', card: 'declined', faults: { refundPayment: 'timeout' }, expected: 'FAILED' },
  {
    name: 'cancel-hotel-fail-resolved',
    card: 'declined',
    faults: { cancelHotel: 'fail' },
    action: 'resolve-when-compensation-failed',
    expected: 'FAILED',
  },
  { name: 'user-cancel-during-hotel', faults: { reserveHotel: 'timeout' }, action: 'cancel-during-hotel', expected: 'CANCELLED' },
];

function addDays(days: number): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days)).toISOString().slice(0, 10);
}

/** The POST /bookings body of a scenario. */
export function bookingBody(scenario: Scenario, customerId = `scenario-${scenario.name}`) {
  const year = new Date().getUTCFullYear() + 3;
  const card =
    scenario.card === 'declined'
      ? { number: CARD_NUMBERS.declined, expMonth: 12, expYear: year, cvc: '123' }
      : scenario.card === 'expired'
        ? { number: CARD_NUMBERS.good, expMonth: 12, expYear: 19, cvc: '123' }
        : { number: CARD_NUMBERS.good, expMonth: 12, expYear: year, cvc: '123' };
  return {
    customerId,
    flight: { flightNumber: scenario.flightNumber ?? 'TB100', date: addDays(7), seats: 1 },
    hotel: { hotelId: scenario.hotelId ?? 'HTL-TOKYO-SHINJUKU', checkIn: addDays(7), nights: 3, rooms: 1 },
    payment: { card },
    ...(scenario.faults ? { faults: scenario.faults } : {}),
  };
}
