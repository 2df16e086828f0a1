// Inputs for bookings: dates inside the seeded range, test cards, tokenization.
import { randomUUID } from 'node:crypto';
import { utcDay } from '../../src/common/dates.ts';
import type { Databases } from '../../src/activities/databases.ts';
import { sampleCards } from '../../src/activities/payments/cards.ts';
import { tokenizeCard, type CardInput } from '../../src/activities/payments/vault.ts';
import type { BookTripInput } from '../../src/booking/booking.ts';
import type { FaultPlan } from '../../src/booking/faults.ts';
import type { FlightRequest } from '../../src/activities/flights/types.ts';
import type { HotelRequest } from '../../src/activities/hotels/types.ts';

export const VAULT_KEY = 'test-vault-key-0123456789';

/** YYYY-MM-DD of today (UTC) plus some days, as the API and the seeds count them. */
export const daysFromNow = (days: number): string => utcDay(days);

export const CARDS = sampleCards() satisfies Record<string, CardInput>;

export const FLIGHT: FlightRequest = { flightNumber: 'TB100', date: daysFromNow(7), seats: 1 };
export const HOTEL: HotelRequest = {
  hotelId: 'HTL-TOKYO-SHINJUKU',
  checkIn: daysFromNow(7),
  checkOut: daysFromNow(10),
  rooms: 1,
};
/** HOTEL as POST /bookings takes it: check-in and nights (the API works out the check-out). */
export const HOTEL_STAY = { hotelId: HOTEL.hotelId, checkIn: HOTEL.checkIn, nights: 3, rooms: HOTEL.rooms };
export type HotelStay = typeof HOTEL_STAY;
/** 1 seat on TB100 ($220) + 3 nights × 1 room at Shinjuku ($180) = $760. */
export const EXPECTED_TOTAL_CENTS = 22_000 + 3 * 18_000;

export interface BookingOverrides {
  bookingId?: string;
  customerId?: string;
  flight?: Partial<FlightRequest>;
  hotel?: Partial<HotelRequest>;
  card?: CardInput;
  faults?: FaultPlan;
  /** Hold now, pay later: no payment in the input (a confirm brings it). */
  hold?: { minutes: number };
}

export async function bookingInput(
  dbs: Pick<Databases, 'payments'>,
  overrides: BookingOverrides = {},
): Promise<BookTripInput> {
  const customerId = overrides.customerId ?? `cust-${randomUUID().slice(0, 8)}`;
  const base = {
    bookingId: overrides.bookingId ?? randomUUID(),
    customerId,
    flight: { ...FLIGHT, ...overrides.flight },
    hotel: { ...HOTEL, ...overrides.hotel },
    ...(overrides.faults ? { faults: overrides.faults } : {}),
  };
  if (overrides.hold) return { ...base, hold: overrides.hold };
  return { ...base, payment: await paymentRef(dbs, customerId, overrides.card ?? CARDS.good) };
}

/** A card tokenized for a customer in the payment service's vault, as the workflow sees it. */
export async function paymentRef(dbs: Pick<Databases, 'payments'>, customerId: string, card: CardInput = CARDS.good) {
  const { token, brand, last4 } = await tokenizeCard(dbs.payments, VAULT_KEY, customerId, card);
  return { token, brand, last4 };
}
