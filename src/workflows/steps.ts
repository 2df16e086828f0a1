// The trip's steps, declared once: each step's forward activity and its undo, their timeouts and
// retry policies, the summary the Web UI shows, the activity's input, and what its result adds to
// the booking. The saga runner (@trip-saga/saga, through saga.ts) runs this table in order;
// everything else that lists steps or their activities (fault targets, the ledger, the API's view,
// the page) derives from it.
//
// To add a step: write its service (src/activities/), add a row here (and its request and state
// below), its request schema (src/api/schemas.ts), and its migration (prisma/). See the README.
//
// Imported by the workflow, the API and the page: type imports and plain data only.
import type { ActivityOptions } from '@temporalio/common';
import type { Activities } from '../activities/index.ts';
import type { BookTripInput, BookingState } from '../domain/booking.ts';
import type { SagaStep } from '@trip-saga/saga';

// ---------- What each step needs, and what it adds to the booking ----------

export const SEAT_PREFERENCES = ['window', 'aisle', 'any'] as const;
export type SeatPreference = (typeof SEAT_PREFERENCES)[number];

export interface FlightRequest {
  flightNumber: string;
  /** YYYY-MM-DD */
  date: string;
  seats: number;
  /** Which seats the reservation assigns (default: any). */
  seatPreference?: SeatPreference;
}

export interface HotelRequest {
  hotelId: string;
  checkIn: string;
  checkOut: string;
  rooms: number;
}

/** A tokenized card: the number and the CVC never reach the workflow. */
export interface PaymentMethodRef {
  token: string;
  brand: string;
  last4: string;
}

/** The workflow input's part that belongs to the steps. */
export interface TripRequest {
  flight: FlightRequest;
  hotel: HotelRequest;
  /** Absent while a hold waits for its confirm, which fills it in before the payment step. */
  payment?: PaymentMethodRef;
}

/** The booking state's part that belongs to the steps. */
export interface TripDetails {
  flight?: FlightRequest & {
    priceCents?: number;
    reservationId?: string;
    /** Assigned with the reservation (sagas of builds before seat selection have none). */
    seatNumbers?: string[];
    /** A hold's trip currency, until its confirm brings the payment. */
    currency?: string;
  };
  hotel?: HotelRequest & { nights?: number; priceCents?: number; reservationId?: string };
  payment?: { amountCents?: number; currency: string; last4: string; brand: string; paymentId?: string };
}

/** The booking's details before its first step. */
export function initialTripDetails(input: TripRequest): TripDetails {
  return {
    flight: { ...input.flight },
    hotel: { ...input.hotel },
    ...(input.payment ? { payment: { currency: 'USD', last4: input.payment.last4, brand: input.payment.brand } } : {}),
  };
}

// ---------- Timeouts and retry policies ----------

// Each reserve is one short database transaction: five seconds is ample, and a step that takes
// longer is retried (safely: every step is idempotent).
const RESERVE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
};

/** The payment's retry budget: the provider may be down for a while; after this, compensate. */
export const PAYMENT_RETRY_BUDGET_MS = 3 * 3_600_000;

/** The payment provider may be down for a while: retry for up to three hours, then compensate. */
const PAYMENT_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: PAYMENT_RETRY_BUDGET_MS,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 40 },
};

/**
 * Undos keep retrying transient errors: for a day, backing off to one attempt every ten minutes.
 * Only a business failure, or a day of failures, escalates to an operator.
 */
export const UNDO_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m' },
};

function formatMoney(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency}`;
}

/** A moment as the Web UI's summaries name a deadline: "14:05 UTC", with its day when not today. */
export function deadlineInWords(at: Date, now: Date): string {
  const iso = at.toISOString();
  const sameDay = iso.slice(0, 10) === now.toISOString().slice(0, 10);
  return `${iso.slice(11, 16)} UTC${sameDay ? '' : ` on ${iso.slice(0, 10)}`}`;
}

/** A step of the trip: its activities are the worker's; its label is how the page and the docs name it. */
type TripStep = SagaStep<Activities, BookTripInput, BookingState> & { label: string };

/** Every trip undo takes the booking's ID: the services find what to undo by it. */
const undoArgs = ({ input }: { input: BookTripInput }) => ({ bookingId: input.bookingId });

// ---------- The table ----------

export const TRIP_STEPS = [
  {
    name: 'flight',
    label: 'Flight',
    activity: 'reserveFlight',
    options: RESERVE_OPTIONS,
    undo: 'cancelFlight',
    undoOptions: UNDO_OPTIONS,
    undoArgs,
    summary: ({ input: { flight } }) => `Reserve ${flight.seats} ${flight.seatPreference ?? 'any'} seat(s) on ${flight.flightNumber} ${flight.date}`,
    args: ({ input }) => ({ bookingId: input.bookingId, ...input.flight }),
    // The seats are assigned in the reservation's own transaction (seatPreference, default any).
    record: ({ input, state }, result) => {
      const { priceCents, currency, reservationId, seatNumbers } = result as Awaited<ReturnType<Activities['reserveFlight']>>;
      // The trip is priced in the flight's currency; a hold has no payment yet, so its flight keeps
      // the currency for the confirm.
      state.flight = { ...input.flight, priceCents, reservationId, seatNumbers, ...(state.payment ? {} : { currency }) };
      if (state.payment) state.payment = { ...state.payment, currency };
      return reservationId;
    },
  },
  {
    name: 'hotel',
    label: 'Hotel',
    activity: 'reserveHotel',
    options: RESERVE_OPTIONS,
    undo: 'cancelHotel',
    undoOptions: UNDO_OPTIONS,
    undoArgs,
    summary: ({ input: { hotel } }) => `Reserve ${hotel.rooms} room(s) at ${hotel.hotelId}, ${hotel.checkIn} → ${hotel.checkOut}`,
    args: ({ input }) => ({ bookingId: input.bookingId, ...input.hotel }),
    record: ({ input, state }, result) => {
      const { nights, priceCents, reservationId } = result as Awaited<ReturnType<Activities['reserveHotel']>>;
      state.hotel = { ...input.hotel, nights, priceCents, reservationId };
      return reservationId;
    },
  },
  {
    name: 'payment',
    label: 'Payment',
    activity: 'chargePayment',
    options: PAYMENT_OPTIONS,
    undo: 'refundPayment',
    undoOptions: UNDO_OPTIONS,
    undoArgs,
    // The amount is computed here from the reserved prices, never taken from the client.
    prepare: ({ state }) => {
      state.payment = { ...state.payment!, amountCents: reservedCents(state) };
    },
    // The retry budget reads as a deadline in the history (workflow time: the same on replay).
    summary: ({ input, state }) =>
      `Charge ${formatMoney(state.payment!.amountCents!, state.payment!.currency)} to ${input.payment!.brand} •••• ${input.payment!.last4}` +
      ` (retrying until ${deadlineInWords(new Date(Date.now() + PAYMENT_RETRY_BUDGET_MS), new Date())})`,
    args: ({ input, state }) => ({
      bookingId: input.bookingId,
      token: input.payment!.token,
      amountCents: state.payment!.amountCents!,
      currency: state.payment!.currency,
    }),
    record: ({ state }, result) => {
      const { paymentId } = result as Awaited<ReturnType<Activities['chargePayment']>>;
      state.payment = { ...state.payment!, paymentId };
      return paymentId;
    },
  },
] as const satisfies readonly TripStep[];

export type TripStepDefinition = (typeof TRIP_STEPS)[number];
export type StepName = TripStepDefinition['name'];
export type StepActivity = TripStepDefinition['activity'];
/** The undos of the steps that have one (a read-only step has none). */
export type UndoActivity = Extract<TripStepDefinition, { undo: string }>['undo'];

export const STEP_NAMES: readonly StepName[] = TRIP_STEPS.map((s) => s.name);

/** Each step's row by its name. */
export const STEP_BY_NAME = Object.fromEntries(TRIP_STEPS.map((s) => [s.name, s])) as { [N in StepName]: Extract<TripStepDefinition, { name: N }> };

/** Every step's forward activity and undo, forward ones first, then the undos in unwind order. */
export const STEP_ACTIVITY_NAMES: readonly (StepActivity | UndoActivity)[] = [
  ...TRIP_STEPS.map((s) => s.activity),
  ...TRIP_STEPS.flatMap((s): UndoActivity[] => ('undo' in s ? [s.undo] : [])).reverse(),
];

/** The step a forward or undo activity belongs to. */
export function stepOfActivity(activity: string): StepName | undefined {
  return TRIP_STEPS.find((s) => s.activity === activity || ('undo' in s && s.undo === activity))?.name;
}

/** What the steps before the payment reserved, in cents: every step's `priceCents` in the booking. */
function reservedCents(state: TripDetails): number {
  return TRIP_STEPS.reduce((sum, step) => {
    const details = (state as Record<string, { priceCents?: number } | undefined>)[step.name];
    return step.name === 'payment' ? sum : sum + (details?.priceCents ?? 0);
  }, 0);
}
