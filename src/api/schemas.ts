// The API's contract, in zod: these schemas validate requests, type the responses, and are the
// one source of the OpenAPI document (src/api/openapi.ts).
import { z } from 'zod';
import { luhnValid } from '../payments/cards.ts';
import { BOOKING_ID_PATTERN, BOOKING_STATUSES, STEP_STATES } from '../domain/booking.ts';
import { FAULT_TARGETS, parseFault, type FaultTarget } from '../domain/faults.ts';
import { SEAT_PREFERENCES, STEP_NAMES } from '../workflows/steps.ts';

const DAY_MS = 86_400_000;
export const MAX_DAYS_AHEAD = 365;
export const MAX_NIGHTS = 30;

function utcToday(): number {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
}

/** A real calendar date, YYYY-MM-DD. */
const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'must be a real calendar date');

/** A real calendar date from today (UTC) up to a year ahead. */
const travelDate = calendarDate
  .refine((s) => Date.parse(`${s}T00:00:00Z`) >= utcToday(), 'must not be in the past')
  .refine((s) => Date.parse(`${s}T00:00:00Z`) <= utcToday() + MAX_DAYS_AHEAD * DAY_MS, `must be within ${MAX_DAYS_AHEAD} days`)
  .meta({ format: 'date', example: '2027-03-14' });

const count = (what: string) => z.int().min(1, `at least 1 ${what}`).max(9, `at most 9 ${what}`);

export const faultMode = z
  .string()
  .max(32)
  .refine((mode) => parseFault(mode) !== undefined, 'must be fail, transient:N, timeout, timeout:N or outage:DURATION (e.g. outage:2h)')
  .meta({ examples: ['fail', 'transient:2', 'timeout', 'outage:2h'] });

export const faultsSchema = z
  .strictObject(Object.fromEntries(FAULT_TARGETS.map((t) => [t, faultMode.optional()])) as Record<FaultTarget, z.ZodOptional<typeof faultMode>>)
  .meta({ description: 'Failure injection per activity (only with FAULT_INJECTION=on).' });

export const bookingRequestSchema = z
  .strictObject({
    customerId: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'must be 1–64 letters, digits or _ . @ -'),
    flight: z.strictObject({
      flightNumber: z.string().regex(/^[A-Z0-9]{2,8}$/, 'must be 2–8 capital letters or digits'),
      date: travelDate,
      seats: count('seat'),
      seatPreference: z.enum(SEAT_PREFERENCES).optional().meta({ description: 'For the seat-selection step (default any).' }),
    }),
    hotel: z
      .strictObject({
        hotelId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -'),
        checkIn: travelDate,
        checkOut: travelDate,
        rooms: count('room'),
      })
      .refine((h) => h.checkOut > h.checkIn, { path: ['checkOut'], message: 'must be after checkIn' })
      .refine((h) => Date.parse(h.checkOut) - Date.parse(h.checkIn) <= MAX_NIGHTS * DAY_MS, {
        path: ['checkOut'],
        message: `a stay is at most ${MAX_NIGHTS} nights`,
      }),
    payment: z.strictObject({
      card: z.strictObject({
        number: z
          .string()
          .regex(/^\d{12,19}$/, 'must be 12–19 digits')
          .refine(luhnValid, 'is not a valid card number (Luhn check)')
          .meta({ description: 'Tokenized at once; stored nowhere.', example: '4242424242424242' }),
        expMonth: z.int().min(1).max(12),
        expYear: z
          .int()
          .refine((y) => (y >= 0 && y <= 99) || (y >= 2000 && y <= 2099), 'must be YY or YYYY')
          .meta({ description: 'YY or YYYY. An expired card is accepted here and declined by the payment step.' }),
        cvc: z.string().regex(/^\d{3,4}$/, 'must be 3 or 4 digits'),
      }),
    }),
    faults: faultsSchema.optional(),
  })
  .meta({ id: 'BookingRequest' });
export type BookingRequest = z.infer<typeof bookingRequestSchema>;

export const idempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'Idempotency-Key must be 1–64 of A-Z a-z 0-9 _ -');

export const bookingIdSchema = z.string().regex(BOOKING_ID_PATTERN, 'must be 1–64 of A-Z a-z 0-9 _ -');

const stepError = z.object({ type: z.string(), message: z.string() });

export const bookingViewSchema = z
  .object({
    bookingId: z.string(),
    customerId: z.string(),
    status: z.enum(BOOKING_STATUSES),
    currentStep: z.enum(STEP_NAMES).nullable(),
    steps: z.array(
      z.object({
        name: z.enum(STEP_NAMES),
        state: z.enum(STEP_STATES),
        attempts: z.int(),
        error: stepError.optional(),
        reference: z.string().optional(),
        /** Live, while the step's activity runs: its attempt and the last failure. */
        live: z.object({ attempt: z.int(), lastFailure: z.string().optional(), nextAttemptAt: z.string().optional() }).optional(),
        undo: z
          .object({
            activity: z.string(),
            attempts: z.int(),
            outcome: z.enum(['UNDONE', 'NOTHING_TO_UNDO', 'FAILED']).optional(),
            error: stepError.optional(),
          })
          .optional(),
      }),
    ),
    compensations: z.array(z.object({ step: z.enum(STEP_NAMES), activity: z.string(), outcome: z.string(), error: stepError.optional() })),
    flight: z
      .object({
        flightNumber: z.string(),
        date: z.string(),
        seats: z.int(),
        seatNumbers: z.array(z.string()).optional(),
        price: z.string().optional(),
        reservationId: z.string().optional(),
      })
      .optional(),
    hotel: z
      .object({
        hotelId: z.string(),
        checkIn: z.string(),
        checkOut: z.string(),
        rooms: z.int(),
        nights: z.int().optional(),
        price: z.string().optional(),
        reservationId: z.string().optional(),
      })
      .optional(),
    payment: z
      .object({ amount: z.string().optional(), currency: z.string(), last4: z.string(), brand: z.string(), paymentId: z.string().optional() })
      .optional(),
    failure: z.object({ step: z.enum(STEP_NAMES), type: z.string(), message: z.string() }).optional(),
    resolution: z.object({ note: z.string(), at: z.string() }).optional(),
    cancelRequested: z.boolean(),
    version: z.int().meta({ description: 'Grows with every change of the saga.' }),
    source: z.enum(['workflow', 'read-model']).meta({ description: 'Live from the workflow, or from the read model.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    links: z.object({ self: z.string(), events: z.string(), history: z.string() }),
  })
  .meta({ id: 'Booking' });
export type BookingView = z.infer<typeof bookingViewSchema>;

export const bookingListQuerySchema = z.strictObject({
  status: z.enum(BOOKING_STATUSES).optional(),
  customerId: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export const bookingSummarySchema = z
  .object({
    bookingId: z.string(),
    customerId: z.string(),
    status: z.enum(BOOKING_STATUSES),
    currentStep: z.string().nullable(),
    failure: z.object({ step: z.string(), type: z.string(), message: z.string() }).optional(),
    total: z.string().optional(),
    currency: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'BookingSummary' });

export const bookingListSchema = z
  .object({ items: z.array(bookingSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'BookingList' });

export const cancelRequestSchema = z.strictObject({ reason: z.string().max(200).optional() }).meta({ id: 'CancelRequest' });
export const resolveRequestSchema = z
  .strictObject({ note: z.string().trim().min(1, 'a note is required').max(1000) })
  .meta({ id: 'ResolveRequest' });

export const flightsQuerySchema = z.strictObject({
  date: calendarDate.optional(),
  flightNumber: z.string().regex(/^[A-Z0-9]{2,8}$/).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const flightSchema = z
  .object({
    flightNumber: z.string(),
    date: z.string(),
    origin: z.string(),
    destination: z.string(),
    capacity: z.int(),
    seatsAvailable: z.int(),
    price: z.string(),
    currency: z.string(),
  })
  .meta({ id: 'Flight' });

export const hotelSchema = z
  .object({
    hotelId: z.string(),
    name: z.string(),
    city: z.string(),
    capacity: z.int(),
    roomsAvailable: z.int(),
    nightlyPrice: z.string(),
    currency: z.string(),
  })
  .meta({ id: 'Hotel' });

export const flightListSchema = z.object({ items: z.array(flightSchema) }).meta({ id: 'FlightList' });
export const hotelListSchema = z.object({ items: z.array(hotelSchema) }).meta({ id: 'HotelList' });

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.object({ temporal: z.string(), database: z.string() }),
    faultInjection: z.boolean(),
    temporalUiUrl: z.string(),
  })
  .meta({ id: 'Health' });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

/** Money in minor units as a decimal string: 76000 → "760.00". */
export function money(cents: number | null | undefined): string | undefined {
  return cents === null || cents === undefined ? undefined : (cents / 100).toFixed(2);
}
