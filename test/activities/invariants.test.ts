// The invariants can fail. Each test starts from books where every rule holds, breaks one thing
// with a direct UPDATE or INSERT (what a faulty service could write), checks that
// invariantViolations names exactly that, and mends it, so no test sees another's damage (each
// one's trips are its own too). Where the database itself refuses a corruption (a unique index, a
// CHECK), the test shows that it does, then lifts the constraint for a moment to show that the rule
// behind it still catches what it is there for.
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createActivities, type Activities } from '../../src/activities/index.ts';
import { tokenizeCard } from '../../src/activities/payments/vault.ts';
import { TERMINAL_STATUSES, type BookingStatus } from '../../src/booking/booking.ts';
import { STEP_NAMES, TRIP_STEPS, type StepName } from '../../src/booking/steps.ts';
import { toDbDate, utcDay } from '../../src/common/dates.ts';
import type { Databases } from '../../src/activities/databases.ts';
import { sqlStateOf } from '../../src/db/client.ts';
import { CARDS, FLIGHT, HOTEL, VAULT_KEY, daysFromNow } from '../helpers/booking.ts';
import { createTestDatabase, invariantViolations, type TestDatabase } from '../helpers/db.ts';

const UNIQUE_VIOLATION = '23505';
const CHECK_VIOLATION = '23514';
const GIVEN_BACK = TERMINAL_STATUSES.filter((status) => status !== 'CONFIRMED');

let tdb: TestDatabase;
let dbs: Databases;
let activities: Activities;
let customerId: string;
let token: string;

beforeAll(async () => {
  tdb = await createTestDatabase('invariants');
  dbs = tdb.dbs;
  activities = createActivities({ dbs, faultInjection: false });
  customerId = `cust-${randomUUID().slice(0, 8)}`;
  token = (await tokenizeCard(dbs.payments, VAULT_KEY, customerId, CARDS.good)).token;
});

afterAll(async () => {
  await tdb?.close();
});

afterEach(async () => {
  expect(await violations()).toEqual([]);
});

// ---------- helpers ----------

/** Every violation, sorted: a rule's lines come in no particular order. */
async function violations(): Promise<string[]> {
  return (await invariantViolations(dbs)).sort();
}

const quietLogger = new DefaultLogger('ERROR');

/** Runs one activity as the worker would (attempt 1). */
function run<I, R>(fn: (input: I) => Promise<R>, input: I): Promise<R> {
  const env = new MockActivityEnvironment({ attempt: 1, startToCloseTimeoutMs: 10_000 }, { logger: quietLogger });
  return env.run<[I], R, (input: I) => Promise<R>>(fn, input);
}

let tripsBooked = 0;

/**
 * A trip booked by the real activities and CONFIRMED in the read model: a seat on TB100 and a
 * 3-night stay at Shinjuku, charged their sum. Each trip flies on a day of its own (unless `day`
 * is given) and checks in that day.
 */
async function confirmedTrip({ day = 1 + (tripsBooked % 50) } = {}) {
  tripsBooked += 1;
  const bookingId = randomUUID();
  const date = daysFromNow(day);
  const flight = await run(activities.reserveFlight, { bookingId, ...FLIGHT, date });
  const hotel = await run(activities.reserveHotel, { bookingId, ...HOTEL, checkIn: date, checkOut: utcDay(3, date) });
  const amountCents = flight.priceCents + hotel.priceCents;
  await run(activities.chargePayment, { bookingId, token, amountCents, currency: 'USD' });
  await dbs.booking.$executeRaw`
    INSERT INTO bookings (id, customer_id, status, state, version, updated_at)
    VALUES (${bookingId}, ${customerId}, 'CONFIRMED', '{}'::jsonb, 1, now())`;
  return {
    bookingId,
    day,
    date,
    nights: [0, 1, 2].map((i) => utcDay(i, date)),
    flight: await dbs.flights.flightReservation.findUniqueOrThrow({ where: { bookingId } }),
    hotel: await dbs.hotels.hotelReservation.findUniqueOrThrow({ where: { bookingId } }),
    payment: await dbs.payments.payment.findUniqueOrThrow({ where: { bookingId } }),
  };
}
type Trip = Awaited<ReturnType<typeof confirmedTrip>>;

/** How each service gives back what it holds for a booking: its step's undo, from the table. */
const UNDO = Object.fromEntries(
  TRIP_STEPS.map((step) => [step.name, (bookingId: string) => run(activities[step.undo], { bookingId })]),
) as Record<StepName, (bookingId: string) => Promise<unknown>>;
type Service = StepName;
const SERVICES: readonly Service[] = STEP_NAMES;

async function setStatus(bookingId: string, status: BookingStatus): Promise<void> {
  await dbs.booking.$executeRaw`UPDATE bookings SET status = ${status}::"BookingStatus" WHERE id = ${bookingId}`;
}

/** Breaks the books, checks what the invariants say while they are broken, and mends them whatever they said. */
async function expectWhileBroken(
  damage: { breakIt: () => Promise<unknown>; mend: () => Promise<unknown> },
  expected: string[],
) {
  await damage.breakIt();
  try {
    expect(await violations()).toEqual([...expected].sort());
  } finally {
    await damage.mend();
  }
}

/** A constraint of a service's database, and how to lift it and put it back. */
interface Constraint {
  /** The service's database. */
  db: () => { $executeRawUnsafe(sql: string): PromiseLike<number> };
  lift: string;
  restore: string;
}

/** The unique index that gives a service one row per booking. */
const uniqueBookingIndex = (service: 'flights' | 'hotels' | 'payments', table: string): Constraint => ({
  db: () => dbs[service],
  lift: `DROP INDEX ${table}_booking_id_key`,
  restore: `CREATE UNIQUE INDEX ${table}_booking_id_key ON ${table} (booking_id)`,
});
const HOTEL_NIGHT_ROOMS_IN_RANGE: Constraint = {
  db: () => dbs.hotels,
  lift: 'ALTER TABLE hotel_nights DROP CONSTRAINT hotel_nights_rooms_in_range',
  restore:
    'ALTER TABLE hotel_nights ADD CONSTRAINT hotel_nights_rooms_in_range CHECK (rooms_taken >= 0 AND rooms_taken <= capacity)',
};
const HOTEL_STAY_HAS_NIGHTS: Constraint = {
  db: () => dbs.hotels,
  lift: 'ALTER TABLE hotel_reservations DROP CONSTRAINT hotel_reservations_stay',
  restore:
    'ALTER TABLE hotel_reservations ADD CONSTRAINT hotel_reservations_stay CHECK (hotel_id IS NULL OR (check_in IS NOT NULL AND check_out IS NOT NULL AND check_out > check_in))',
};

/** Runs `body` with a constraint lifted (the books must be mended when it ends: the constraint comes back). */
async function withoutConstraint(constraint: Constraint, body: () => Promise<void>): Promise<void> {
  await constraint.db().$executeRawUnsafe(constraint.lift);
  try {
    await body();
  } finally {
    await constraint.db().$executeRawUnsafe(constraint.restore);
  }
}

/** The SQLSTATE a statement was refused with; fails the test if the database accepted it. */
async function refusal(statement: Promise<unknown>): Promise<string | undefined> {
  const outcome = await statement.then(
    () => ({ accepted: true as const }),
    (error: unknown) => ({ accepted: false as const, error }),
  );
  if (outcome.accepted) throw new Error('the database accepted the corruption');
  return sqlStateOf(outcome.error);
}

function hotelNight(hotelId: string, night: string) {
  return dbs.hotels.hotelNight.findUniqueOrThrow({ where: { hotelId_night: { hotelId, night: toDbDate(night) } } });
}

async function roomsTaken(hotelId: string, night: string): Promise<number> {
  return (await hotelNight(hotelId, night)).roomsTaken;
}

/** The line of a night whose rooms taken are not the rooms of the RESERVED stays that cover it. */
function nightLine(hotelId: string, night: string, taken: number, stays: number): string {
  return `hotel ${hotelId} on the night of ${night}: ${taken} room(s) taken <> ${stays} in RESERVED stays`;
}

/** The lines of the trip's nights once its stay no longer covers them: each still counts its room. */
function nightsUncovered(trip: Trip): Promise<string[]> {
  const hotelId = trip.hotel.hotelId!;
  return Promise.all(
    trip.nights.map(async (night) => {
      const taken = await roomsTaken(hotelId, night);
      return nightLine(hotelId, night, taken, taken - 1);
    }),
  );
}

// ---------- the flight service ----------

describe('flights', () => {
  test('seats available plus seats reserved must be the capacity', async () => {
    const trip = await confirmedTrip();
    expect(await violations()).toEqual([]);
    const flight = await dbs.flights.flight.findUniqueOrThrow({ where: { id: trip.flight.flightId! } });
    const reserved = flight.capacity - flight.seatsAvailable;
    expect(reserved).toBe(trip.flight.seats);
    // A reserve that took the seats twice, and a cancel that gave them back twice.
    for (const leak of [-1, 1]) {
      await expectWhileBroken(
        {
          breakIt: () =>
            dbs.flights
              .$executeRaw`UPDATE flights SET seats_available = seats_available + ${leak} WHERE id = ${flight.id}`,
          mend: () =>
            dbs.flights
              .$executeRaw`UPDATE flights SET seats_available = ${flight.seatsAvailable} WHERE id = ${flight.id}`,
        },
        [
          `flight TB100 ${trip.date}: ${flight.seatsAvailable + leak} available + ${reserved} reserved <> ${flight.capacity}`,
        ],
      );
    }
    // A cancel that kept the seats: the booking lacks its flight, and the seats are lost.
    await expectWhileBroken(
      {
        breakIt: () =>
          dbs.flights.$executeRaw`UPDATE flight_reservations SET status = 'CANCELLED' WHERE id = ${trip.flight.id}`,
        mend: () =>
          dbs.flights.$executeRaw`UPDATE flight_reservations SET status = 'RESERVED' WHERE id = ${trip.flight.id}`,
      },
      [
        `flight TB100 ${trip.date}: ${flight.seatsAvailable} available + 0 reserved <> ${flight.capacity}`,
        `booking ${trip.bookingId} is CONFIRMED but lacks a reservation or its payment`,
      ],
    );
  });

  test('the database keeps seats available between 0 and the capacity', async () => {
    const trip = await confirmedTrip();
    expect(await violations()).toEqual([]);
    const id = trip.flight.flightId!;
    expect(await refusal(dbs.flights.$executeRaw`UPDATE flights SET seats_available = -1 WHERE id = ${id}`)).toBe(
      CHECK_VIOLATION,
    );
    expect(
      await refusal(dbs.flights.$executeRaw`UPDATE flights SET seats_available = capacity + 1 WHERE id = ${id}`),
    ).toBe(CHECK_VIOLATION);
  });

  test('no seat is held by two bookings', async () => {
    const first = await confirmedTrip();
    const second = await confirmedTrip({ day: first.day });
    expect(second.flight.flightId).toBe(first.flight.flightId);
    expect(await violations()).toEqual([]);
    expect(second.flight.seatNumbers).not.toEqual(first.flight.seatNumbers);
    const [seat] = first.flight.seatNumbers;
    await expectWhileBroken(
      {
        breakIt: () =>
          dbs.flights
            .$executeRaw`UPDATE flight_reservations SET seat_numbers = ${first.flight.seatNumbers} WHERE id = ${second.flight.id}`,
        mend: () =>
          dbs.flights
            .$executeRaw`UPDATE flight_reservations SET seat_numbers = ${second.flight.seatNumbers} WHERE id = ${second.flight.id}`,
      },
      [`seat ${seat} on flight ${first.flight.flightId} is held by 2 bookings`],
    );
  });

  test('one flight reservation per booking: the database refuses a second, and the rule names one', async () => {
    const trip = await confirmedTrip();
    expect(await violations()).toEqual([]);
    const { bookingId, flightId, priceCents } = trip.flight;
    // A second reservation, cancelled (it holds no seat) and priced as the first (the charge adds up).
    const insertSecond = () => dbs.flights.$executeRaw`
      INSERT INTO flight_reservations (id, booking_id, flight_id, seats, price_cents, status)
      VALUES (gen_random_uuid(), ${bookingId}, ${flightId}, 1, ${priceCents}, 'CANCELLED')`;
    expect(await refusal(insertSecond())).toBe(UNIQUE_VIOLATION);
    await withoutConstraint(uniqueBookingIndex('flights', 'flight_reservations'), () =>
      expectWhileBroken(
        {
          breakIt: insertSecond,
          mend: () =>
            dbs.flights
              .$executeRaw`DELETE FROM flight_reservations WHERE booking_id = ${bookingId} AND status = 'CANCELLED'`,
        },
        [`booking ${bookingId} has 2 flight reservations`],
      ),
    );
    expect(await refusal(insertSecond())).toBe(UNIQUE_VIOLATION);
  });
});

// ---------- the hotel service ----------

describe('hotels', () => {
  test("a night's rooms taken must be the rooms of the RESERVED stays that cover it", async () => {
    const trip = await confirmedTrip();
    expect(await violations()).toEqual([]);
    const hotelId = trip.hotel.hotelId!;
    const [firstNight, , lastNight] = trip.nights as [string, string, string];
    const taken = await roomsTaken(hotelId, lastNight);
    // A reserve that took one night too many rooms.
    await expectWhileBroken(
      {
        breakIt: () =>
          dbs.hotels
            .$executeRaw`UPDATE hotel_nights SET rooms_taken = rooms_taken + 1 WHERE hotel_id = ${hotelId} AND night = ${lastNight}::date`,
        mend: () =>
          dbs.hotels
            .$executeRaw`UPDATE hotel_nights SET rooms_taken = ${taken} WHERE hotel_id = ${hotelId} AND night = ${lastNight}::date`,
      },
      [nightLine(hotelId, lastNight, taken + 1, taken)],
    );
    // A stay whose first night was never counted (no row for it).
    const first = await hotelNight(hotelId, firstNight);
    await expectWhileBroken(
      {
        breakIt: () =>
          dbs.hotels.$executeRaw`DELETE FROM hotel_nights WHERE hotel_id = ${hotelId} AND night = ${firstNight}::date`,
        mend: () => dbs.hotels.$executeRaw`
          INSERT INTO hotel_nights (hotel_id, night, capacity, rooms_taken) VALUES (${hotelId}, ${firstNight}::date, ${first.capacity}, ${first.roomsTaken})`,
      },
      [nightLine(hotelId, firstNight, 0, first.roomsTaken)],
    );
    // A cancel that kept the nights: the booking lacks its stay, and its nights stay taken.
    const lines = await nightsUncovered(trip);
    await expectWhileBroken(
      {
        breakIt: () =>
          dbs.hotels.$executeRaw`UPDATE hotel_reservations SET status = 'CANCELLED' WHERE id = ${trip.hotel.id}`,
        mend: () =>
          dbs.hotels.$executeRaw`UPDATE hotel_reservations SET status = 'RESERVED' WHERE id = ${trip.hotel.id}`,
      },
      [...lines, `booking ${trip.bookingId} is CONFIRMED but lacks a reservation or its payment`],
    );
  });

  test("a night's rooms taken never exceed its capacity: the database refuses it, and the rule names it", async () => {
    const trip = await confirmedTrip();
    expect(await violations()).toEqual([]);
    const hotelId = trip.hotel.hotelId!;
    const night = trip.nights[0]!;
    const { capacity, roomsTaken: taken } = await hotelNight(hotelId, night);
    expect(
      await refusal(
        dbs.hotels
          .$executeRaw`UPDATE hotel_nights SET rooms_taken = capacity + 1 WHERE hotel_id = ${hotelId} AND night = ${night}::date`,
      ),
    ).toBe(CHECK_VIOLATION);
    expect(
      await refusal(
        dbs.hotels
          .$executeRaw`UPDATE hotel_nights SET capacity = ${taken - 1} WHERE hotel_id = ${hotelId} AND night = ${night}::date`,
      ),
    ).toBe(CHECK_VIOLATION);
    const sfNight = daysFromNow(55);
    await withoutConstraint(HOTEL_NIGHT_ROOMS_IN_RANGE, async () => {
      // A night sold beyond what the hotel has: its rooms still match its stays.
      await expectWhileBroken(
        {
          breakIt: () =>
            dbs.hotels
              .$executeRaw`UPDATE hotel_nights SET capacity = ${taken - 1} WHERE hotel_id = ${hotelId} AND night = ${night}::date`,
          mend: () =>
            dbs.hotels
              .$executeRaw`UPDATE hotel_nights SET capacity = ${capacity} WHERE hotel_id = ${hotelId} AND night = ${night}::date`,
        },
        [`hotel ${hotelId} on the night of ${night}: ${taken} room(s) taken of ${taken - 1}`],
      );
      // A night given back more rooms than were taken (no stay covers it).
      await expectWhileBroken(
        {
          breakIt: () => dbs.hotels.$executeRaw`
            INSERT INTO hotel_nights (hotel_id, night, capacity, rooms_taken) VALUES ('HTL-SF-UNION', ${sfNight}::date, 25, -1)`,
          mend: () =>
            dbs.hotels
              .$executeRaw`DELETE FROM hotel_nights WHERE hotel_id = 'HTL-SF-UNION' AND night = ${sfNight}::date`,
        },
        [
          `hotel HTL-SF-UNION on the night of ${sfNight}: -1 room(s) taken <> 0 in RESERVED stays`,
          `hotel HTL-SF-UNION on the night of ${sfNight}: -1 room(s) taken of 25`,
        ],
      );
    });
    expect(
      await refusal(
        dbs.hotels
          .$executeRaw`UPDATE hotel_nights SET rooms_taken = capacity + 1 WHERE hotel_id = ${hotelId} AND night = ${night}::date`,
      ),
    ).toBe(CHECK_VIOLATION);
  });

  test('a RESERVED stay has at least one night: the database refuses check-out <= check-in and a missing date', async () => {
    const trip = await confirmedTrip();
    expect(await violations()).toEqual([]);
    const { id } = trip.hotel;
    const withoutAStay = `hotel reservation ${id} is RESERVED without a stay`;
    // Whatever the dates say, the stay no longer covers the nights it took.
    const uncovered = await nightsUncovered(trip);
    const mend = () =>
      dbs.hotels.$executeRaw`UPDATE hotel_reservations SET check_out = ${utcDay(3, trip.date)}::date WHERE id = ${id}`;
    for (const days of [0, -1]) {
      expect(
        await refusal(
          dbs.hotels.$executeRaw`UPDATE hotel_reservations SET check_out = check_in + ${days}::int WHERE id = ${id}`,
        ),
      ).toBe(CHECK_VIOLATION);
    }
    expect(await refusal(dbs.hotels.$executeRaw`UPDATE hotel_reservations SET check_out = NULL WHERE id = ${id}`)).toBe(
      CHECK_VIOLATION,
    );
    await withoutConstraint(HOTEL_STAY_HAS_NIGHTS, async () => {
      // With the CHECK lifted, the rule still names a missing check-out.
      await expectWhileBroken(
        {
          breakIt: () => dbs.hotels.$executeRaw`UPDATE hotel_reservations SET check_out = NULL WHERE id = ${id}`,
          mend,
        },
        [withoutAStay, ...uncovered],
      );
      for (const days of [0, -1]) {
        await expectWhileBroken(
          {
            breakIt: () =>
              dbs.hotels
                .$executeRaw`UPDATE hotel_reservations SET check_out = check_in + ${days}::int WHERE id = ${id}`,
            mend,
          },
          [withoutAStay, ...uncovered],
        );
      }
    });
  });

  test('one hotel reservation per booking: the database refuses a second, and the rule names one', async () => {
    const trip = await confirmedTrip();
    expect(await violations()).toEqual([]);
    const { bookingId, hotelId, priceCents } = trip.hotel;
    // A second reservation, cancelled (it holds no room) and priced as the first (the charge adds up).
    const insertSecond = () => dbs.hotels.$executeRaw`
      INSERT INTO hotel_reservations (id, booking_id, hotel_id, rooms, check_in, check_out, nights, price_cents, status)
      VALUES (gen_random_uuid(), ${bookingId}, ${hotelId}, 1, ${trip.date}::date, ${utcDay(3, trip.date)}::date, 3, ${priceCents}, 'CANCELLED')`;
    expect(await refusal(insertSecond())).toBe(UNIQUE_VIOLATION);
    await withoutConstraint(uniqueBookingIndex('hotels', 'hotel_reservations'), () =>
      expectWhileBroken(
        {
          breakIt: insertSecond,
          mend: () =>
            dbs.hotels
              .$executeRaw`DELETE FROM hotel_reservations WHERE booking_id = ${bookingId} AND status = 'CANCELLED'`,
        },
        [`booking ${bookingId} has 2 hotel reservations`],
      ),
    );
    expect(await refusal(insertSecond())).toBe(UNIQUE_VIOLATION);
  });
});

// ---------- the payment service ----------

describe('payments', () => {
  test('a booking is never charged twice: the database refuses it, and the rule names it', async () => {
    const trip = await confirmedTrip();
    expect(await violations()).toEqual([]);
    const { bookingId, amountCents } = trip.payment;
    const insertCharge = (status: 'CAPTURED' | 'REFUNDED' | 'VOIDED') => () => dbs.payments.$executeRaw`
      INSERT INTO payments (id, booking_id, payment_method_token, amount_cents, status)
      VALUES (gen_random_uuid(), ${bookingId}, ${status === 'VOIDED' ? null : token}, ${status === 'VOIDED' ? 0 : amountCents},
              ${status}::"PaymentStatus")`;
    expect(await refusal(insertCharge('CAPTURED')())).toBe(UNIQUE_VIOLATION);
    const mend = () =>
      dbs.payments.$executeRaw`DELETE FROM payments WHERE booking_id = ${bookingId} AND id <> ${trip.payment.id}`;
    await withoutConstraint(uniqueBookingIndex('payments', 'payments'), async () => {
      for (const status of ['CAPTURED', 'REFUNDED'] as const) {
        await expectWhileBroken({ breakIt: insertCharge(status), mend }, [`booking ${bookingId} was charged 2 times`]);
      }
      // A tombstone beside the charge took no money.
      await expectWhileBroken({ breakIt: insertCharge('VOIDED'), mend }, []);
    });
    expect(await refusal(insertCharge('REFUNDED')())).toBe(UNIQUE_VIOLATION);
  });
});

// ---------- the services against the read model ----------

describe('a booking that ended without its trip holds nothing', () => {
  const cases = GIVEN_BACK.flatMap((status) => SERVICES.map((service) => ({ status, service })));
  test.each(cases)('$status while the $service service still holds it', async ({ status, service }) => {
    expect(GIVEN_BACK).toEqual(['FAILED', 'CANCELLED', 'EXPIRED', 'TERMINATED']);
    const trip = await confirmedTrip();
    // The unwinding gave back all but one service's hold, then the booking's row took its end.
    for (const other of SERVICES.filter((s) => s !== service)) await UNDO[other](trip.bookingId);
    expect(await violations()).toEqual([
      `booking ${trip.bookingId} is CONFIRMED but lacks a reservation or its payment`,
    ]);
    await setStatus(trip.bookingId, status);
    expect(await violations()).toEqual([`booking ${trip.bookingId} is ${status} but holds a reservation or a payment`]);
    // The forgotten undo runs: nothing is held, and the ended booking is in order.
    await UNDO[service](trip.bookingId);
  });

  test('a booking on its way (or stuck unwinding) may hold everything', async () => {
    const trip = await confirmedTrip();
    for (const status of ['PENDING', 'HELD', 'COMPENSATING', 'COMPENSATION_FAILED'] as const) {
      await setStatus(trip.bookingId, status);
      expect(await violations()).toEqual([]);
    }
    await setStatus(trip.bookingId, 'CONFIRMED');
  });
});

describe('a CONFIRMED booking holds something at every service', () => {
  test.each(SERVICES)('not when the %s service gave its hold back', async (service) => {
    const trip = await confirmedTrip();
    expect(await violations()).toEqual([]);
    await UNDO[service](trip.bookingId);
    expect(await violations()).toEqual([
      `booking ${trip.bookingId} is CONFIRMED but lacks a reservation or its payment`,
    ]);
    // Mended as a cancel would end it: everything given back, the booking CANCELLED.
    for (const other of SERVICES.filter((s) => s !== service)) await UNDO[other](trip.bookingId);
    await setStatus(trip.bookingId, 'CANCELLED');
  });
});

describe('every charge is the sum of the prices of the booking', () => {
  test('a charge equal to the flight and hotel prices passes; one cent off either way does not', async () => {
    const trip = await confirmedTrip();
    expect(trip.payment.amountCents).toBe(22_000 + 3 * 18_000);
    expect(trip.payment.amountCents).toBe(trip.flight.priceCents + trip.hotel.priceCents);
    expect(await violations()).toEqual([]);
    const { id, amountCents } = trip.payment;
    const mendCharge = () =>
      dbs.payments.$executeRaw`UPDATE payments SET amount_cents = ${amountCents} WHERE id = ${id}`;
    for (const off of [1, -1]) {
      await expectWhileBroken(
        {
          breakIt: () =>
            dbs.payments.$executeRaw`UPDATE payments SET amount_cents = amount_cents + ${off} WHERE id = ${id}`,
          mend: mendCharge,
        },
        [`booking ${trip.bookingId} was charged ${amountCents + off} for ${amountCents}`],
      );
    }
    // A reservation priced differently from what was charged.
    await expectWhileBroken(
      {
        breakIt: () =>
          dbs.hotels
            .$executeRaw`UPDATE hotel_reservations SET price_cents = price_cents + 1 WHERE id = ${trip.hotel.id}`,
        mend: () =>
          dbs.hotels
            .$executeRaw`UPDATE hotel_reservations SET price_cents = ${trip.hotel.priceCents} WHERE id = ${trip.hotel.id}`,
      },
      [`booking ${trip.bookingId} was charged ${amountCents} for ${amountCents + 1}`],
    );
  });

  test('only an ended booking is judged: there is no snapshot across databases, a running one may be read mid-step', async () => {
    const trip = await confirmedTrip();
    const { id, amountCents } = trip.payment;
    await setStatus(trip.bookingId, 'PENDING');
    // While it runs its services' books may be read at different moments (here: a charge that does
    // not add up yet); it is judged once it has ended.
    await dbs.payments.$executeRaw`UPDATE payments SET amount_cents = amount_cents + 1 WHERE id = ${id}`;
    try {
      expect(await violations()).toEqual([]);
      await setStatus(trip.bookingId, 'CONFIRMED');
      expect(await violations()).toEqual([
        `booking ${trip.bookingId} was charged ${amountCents + 1} for ${amountCents}`,
      ]);
    } finally {
      await dbs.payments.$executeRaw`UPDATE payments SET amount_cents = ${amountCents} WHERE id = ${id}`;
      await setStatus(trip.bookingId, 'CONFIRMED');
    }
  });

  test('a refunded charge still answers to the prices of the reservations it paid for', async () => {
    const trip = await confirmedTrip();
    for (const service of SERVICES) await UNDO[service](trip.bookingId);
    await setStatus(trip.bookingId, 'CANCELLED');
    expect(await violations()).toEqual([]);
    const { id, amountCents } = trip.payment;
    await expectWhileBroken(
      {
        breakIt: () => dbs.payments.$executeRaw`UPDATE payments SET amount_cents = amount_cents + 1 WHERE id = ${id}`,
        mend: () => dbs.payments.$executeRaw`UPDATE payments SET amount_cents = ${amountCents} WHERE id = ${id}`,
      },
      [`booking ${trip.bookingId} was charged ${amountCents + 1} for ${amountCents}`],
    );
  });
});
