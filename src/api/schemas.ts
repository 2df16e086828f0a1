// The API's contract, in zod: these schemas validate requests, type the responses, and are the
// one source of the OpenAPI document (src/api/openapi.ts).
import { z } from 'zod';
import { DAY_MS, fromDbDate } from '../common/dates.ts';
import { CURSOR_PATTERN } from './cursor.ts';
import { personText } from './text.ts';
import { BOOKING_ID_PATTERN, BOOKING_STATUSES, CUSTOMER_ID_PATTERN, CUSTOMER_ID_RULE, MAX_HOLD_MINUTES, STEP_STATES } from '../booking/booking.ts';
import { FAULT_TARGETS, type FaultTarget } from '../booking/faults.ts';
import { STEP_NAMES } from '../booking/steps.ts';
import { FLIGHT_NUMBER_PATTERN } from '../activities/flights/schema.ts';
import { MAX_NIGHTS } from '../activities/hotels/schema.ts';
import { paymentSchema } from '../activities/payments/schema.ts';
import { serviceRequestShape, serviceViewShape } from './services.ts';

const isoDay = (ms: number) => fromDbDate(new Date(ms));

/** A real calendar date, YYYY-MM-DD, from 0001-01-01 on: JSON Schema's `format: date` (RFC 3339 full-date). */
export const calendarDate = z
  .string()
  .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((s) => !s.startsWith('0000') && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && isoDay(Date.parse(`${s}T00:00:00Z`)) === s, 'must be a real calendar date')
  .meta({ format: 'date' });

/** Two-digit numbers from `lo` to `hi` (zero-padded), as a regex alternation. */
function twoDigitRange(lo: number, hi: number): string {
  const parts: string[] = [];
  for (let tens = Math.floor(lo / 10); tens <= Math.floor(hi / 10); tens++) {
    const a = Math.max(lo, tens * 10) % 10;
    const b = Math.min(hi, tens * 10 + 9) % 10;
    parts.push(`${tens}${a === b ? a : a === 0 && b === 9 ? '[0-9]' : `[${a}-${b}]`}`);
  }
  return parts.join('|');
}

/**
 * A regex that matches exactly the dates from `from` to `to` (both YYYY-MM-DD, inclusive): so a
 * generator that honours the document's pattern produces only dates the API accepts.
 */
export function dateRangePattern(from: string, to: string): string {
  const years = new Map<string, string[]>();
  let cursor = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  while (cursor <= end) {
    const d = new Date(cursor);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    const lastOfMonth = Date.UTC(y, m + 1, 0);
    const stop = Math.min(lastOfMonth, end);
    const months = years.get(String(y).padStart(4, '0')) ?? [];
    months.push(`${String(m + 1).padStart(2, '0')}-(?:${twoDigitRange(d.getUTCDate(), new Date(stop).getUTCDate())})`);
    years.set(String(y).padStart(4, '0'), months);
    cursor = stop + DAY_MS;
  }
  return `^(?:${[...years].map(([y, months]) => `${y}-(?:${months.join('|')})`).join('|')})$`;
}

/**
 * A fault mode, as parseFault (src/shared.ts) reads it, spelled as one regex so that the OpenAPI
 * document states it exactly: fail, transient:1–99, timeout, timeout:1–99, or outage:N<unit> of at
 * most 30 days (ms and s to 99999, m to 43200, h to 720, d to 30).
 */
export const FAULT_MODE_PATTERN =
  /^(?:fail|timeout|(?:transient|timeout):[1-9][0-9]?|outage:(?:[1-9][0-9]{0,4}(?:ms|s)|(?:[1-9][0-9]{0,3}|[1-3][0-9]{4}|4[0-2][0-9]{3}|43[01][0-9]{2}|43200)m|(?:[1-9][0-9]?|[1-6][0-9]{2}|7[01][0-9]|720)h|(?:[1-9]|[12][0-9]|30)d))$/;

export const faultMode = z
  .string()
  .regex(FAULT_MODE_PATTERN, 'must be fail, transient:N, timeout, timeout:N or outage:DURATION (e.g. outage:2h)')
  .meta({ examples: ['fail', 'transient:2', 'timeout', 'outage:2h'] });

export const faultsSchema = z
  .strictObject(Object.fromEntries(FAULT_TARGETS.map((t) => [t, faultMode.optional()])) as Record<FaultTarget, z.ZodOptional<typeof faultMode>>)
  .meta({ description: 'Failure injection per activity (only with FAULT_INJECTION=on).' });

export const holdSchema = z
  .strictObject({
    minutes: z.int().min(1, 'at least 1 minute').max(MAX_HOLD_MINUTES, `at most ${MAX_HOLD_MINUTES} minutes (a day)`),
  })
  .meta({
    description: `Hold now, pay later: flight and hotel are reserved and held (status HELD, holdExpiresAt) for 1–${MAX_HOLD_MINUTES} minutes; POST /bookings/{id}/confirm with a card before then, or the hold expires (EXPIRED: hotel and flight released). Send either hold or payment.`,
  });

/**
 * POST /bookings. The body says `nights`; what it parses to says `checkOut`, the shape the
 * workflow's input has always had (recorded histories keep replaying).
 */
export const bookingRequestSchema = z
  .strictObject({
    customerId: z
      .string()
      .regex(CUSTOMER_ID_PATTERN, CUSTOMER_ID_RULE)
      .optional()
      .meta({ description: "Optional: the customer is the bearer token's sub. A customer naming another customer gets 403; an operator may book on a customer's behalf." }),
    ...serviceRequestShape,
    hold: holdSchema.optional(),
    faults: faultsSchema.optional(),
  })
  .refine((body) => !(body.payment && body.hold), { path: ['hold'], message: 'a hold has no payment yet: send hold or payment, not both' })
  // Checked even when other fields failed, so that a body without a card says so at once.
  .refine((body) => Boolean(body.payment ?? body.hold), {
    path: ['payment'],
    message: 'is required (or a hold)',
    when: ({ value }) => typeof value === 'object' && value !== null && !Array.isArray(value),
  })
  // The document says it too: exactly one of payment and hold.
  .meta({ id: 'BookingRequest', oneOf: [{ required: ['payment'] }, { required: ['hold'] }] });

/** POST /bookings/:id/hold/extend: minutes more for a HELD booking, once. */
export const extendHoldRequestSchema = z.strictObject({ minutes: holdSchema.shape.minutes }).meta({ id: 'ExtendHoldRequest' });

/** POST /bookings/:id/confirm: the card that pays for a HELD booking. */
export const confirmRequestSchema = z.strictObject({ payment: paymentSchema }).meta({ id: 'ConfirmRequest' });
/** A request as the booking service takes it (the stay with its check-out day). */
export type BookingRequest = z.output<typeof bookingRequestSchema>;
/** A request body as a client sends it. */
export type BookingRequestBody = z.input<typeof bookingRequestSchema>;

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
    ...serviceViewShape,
    failure: z
      .object({ step: z.enum(STEP_NAMES), type: z.string(), message: z.string() })
      .optional()
      .meta({
        description:
          'Why the booking failed, was cancelled or expired. TERMINATED: its workflow closed without unwinding (type WorkflowTerminated, WorkflowTimedOut or WorkflowGone), and the message says what the reconciler gave back.',
      }),
    resolution: z.object({ note: z.string(), at: z.string(), by: z.string().optional() }).optional(),
    cancelledBy: z.string().optional().meta({ description: 'Who cancelled (the caller\'s sub).' }),
    retriedBy: z.array(z.string()).optional().meta({ description: 'Who retried the failed compensations, in order.' }),
    holdExpiresAt: z.string().optional().meta({ description: 'A hold: until when flight and hotel are held without a payment (HELD), after which it EXPIRES.' }),
    holdExtended: z
      .object({ minutes: z.int(), at: z.string(), by: z.string().optional() })
      .optional()
      .meta({ description: 'A hold may be extended once: by how much, when and by whom.' }),
    confirmed: z.object({ at: z.string(), by: z.string().optional() }).optional().meta({ description: 'When, and by whom, a hold was confirmed with a card.' }),
    operatorWait: z
      .object({ since: z.string(), reminders: z.int(), lastReminderAt: z.string().optional() })
      .optional()
      .meta({ description: 'COMPENSATION_FAILED: since when the booking waits for an operator, and the weekly reminders logged.' }),
    readModelLag: z
      .object({ since: z.string(), version: z.int(), reason: z.string() })
      .optional()
      .meta({
        description:
          'The read model refused this booking\'s state (PostgreSQL found its data invalid): since when, the version it refused, and why. ' +
          'The saga went on regardless; lists show an older state of the booking until a later write succeeds.',
      }),
    cancelRequested: z.boolean(),
    version: z.int().meta({ description: 'Grows with every change of the saga, across the runs of a reset too (at least the change\'s time in epoch ms).' }),
    source: z.enum(['workflow', 'read-model']).meta({ description: 'Live from the workflow, or from the read model.' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    links: z.object({
      self: z.string(),
      events: z.string(),
      history: z
        .string()
        .optional()
        .meta({ description: "The booking's history in the Temporal Web UI: operators' views only (the Web UI shows every booking and can terminate any)." }),
    }),
  })
  .meta({ id: 'Booking' });
export type BookingView = z.infer<typeof bookingViewSchema>;

/** An integer query parameter: only its canonical decimal spelling ("05", "1e1", " 5" are not integers here). */
const queryIntIn = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^(?:0|-?[1-9][0-9]{0,15})$/.test(v) ? Number(v) : v), z.int().min(min).max(max));
const queryInt = (min: number, max: number, fallback: number) => queryIntIn(min, max).default(fallback);

export const bookingListQuerySchema = z.strictObject({
  status: z.enum(BOOKING_STATUSES).optional(),
  customerId: z.string().regex(CUSTOMER_ID_PATTERN, CUSTOMER_ID_RULE).optional(),
  limit: queryInt(1, 100, 20),
  cursor: z
    .string()
    .regex(CURSOR_PATTERN, 'is not a cursor: use nextCursor from a page')
    .optional()
    .meta({ description: 'nextCursor of the page before; a cursor no page handed out answers with the bookings after its position.' }),
});

export const bookingSummarySchema = z
  .object({
    bookingId: z.string(),
    customerId: z.string(),
    status: z.enum(BOOKING_STATUSES),
    currentStep: z.string().nullable(),
    failure: z.object({ step: z.string(), type: z.string(), message: z.string() }).optional(),
    total: z.string().optional(),
    holdExpiresAt: z.string().optional().meta({ description: 'HELD: until when the hold lasts.' }),
    operatorWaitSince: z.string().optional().meta({ description: 'COMPENSATION_FAILED: since when the booking waits for an operator.' }),
    currency: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'BookingSummary' });

export const bookingListSchema = z
  .object({ items: z.array(bookingSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'BookingList' });

export const cancelRequestSchema = z
  .strictObject({
    reason: personText({ max: 200 })
      .optional()
      .meta({ description: 'One line of up to 200 characters, without control characters (the pattern says which) or lone surrogates (half of a UTF-16 pair; refused with 400 too).' }),
  })
  .meta({ id: 'CancelRequest' });
export const resolveRequestSchema = z
  .strictObject({
    // A note with something in it: the document's pattern says what trim().min(1) checks.
    note: personText({ max: 1000, multiline: true })
      .regex(/\S/, 'a note is required')
      .trim()
      .min(1, 'a note is required')
      .meta({ description: 'Up to 1000 characters; line feeds and tabs are allowed, other control characters (the pattern says which) and lone surrogates (half of a UTF-16 pair) are refused with 400.' }),
  })
  .meta({ id: 'ResolveRequest' });

export const flightsQuerySchema = z.strictObject({
  date: calendarDate.optional(),
  flightNumber: z.string().regex(FLIGHT_NUMBER_PATTERN).optional(),
  limit: queryInt(1, 500, 100),
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

/** The stay GET /hotels answers for; each part has a default, so any combination is one. */
export const hotelsQuerySchema = z.strictObject({
  checkIn: calendarDate.optional().meta({ description: 'The first night of the stay (UTC); tonight when absent.' }),
  nights: queryIntIn(1, MAX_NIGHTS).optional().meta({ description: `Nights of the stay (1–${MAX_NIGHTS}); one when absent.` }),
});

export const hotelSchema = z
  .object({
    hotelId: z.string(),
    name: z.string(),
    city: z.string(),
    capacity: z.int(),
    roomsAvailable: z.int().meta({ description: 'Rooms free on every night of the stay: the fewest free on any of its nights.' }),
    nightlyPrice: z.string(),
    currency: z.string(),
  })
  .meta({ id: 'Hotel' });

export const flightListSchema = z.object({ items: z.array(flightSchema) }).meta({ id: 'FlightList' });
export const hotelListSchema = z
  .object({
    stay: z
      .object({ checkIn: z.string(), nights: z.int(), checkOut: z.string() })
      .meta({ description: 'The stay roomsAvailable counts for: its nights run from checkIn to the night before checkOut.' }),
    items: z.array(hotelSchema),
  })
  .meta({ id: 'HotelList' });

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
