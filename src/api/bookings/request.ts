// What a client sends to /bookings, in zod: the booking request (each service's part, composed
// from the list of services, with a hold and faults) and the bodies of the actions on a booking.
// They validate the requests and are the OpenAPI document's request bodies, documented as a
// client sends them (zod's input side).
import { z } from 'zod';
import { CUSTOMER_ID_PATTERN, CUSTOMER_ID_RULE, MAX_HOLD_MINUTES } from '../../booking/booking.ts';
import { FAULT_TARGETS, type FaultTarget } from '../../booking/faults.ts';
import { paymentSchema } from '../../activities/payments/schema.ts';
import { serviceRequestShape } from './services.ts';
import { personText } from './text.ts';

/**
 * A fault mode, as parseFault (src/booking/faults.ts) reads it, spelled as one regex so that the OpenAPI
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
  .strictObject(
    Object.fromEntries(FAULT_TARGETS.map((t) => [t, faultMode.optional()])) as Record<
      FaultTarget,
      z.ZodOptional<typeof faultMode>
    >,
  )
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
    customerId: z.string().regex(CUSTOMER_ID_PATTERN, CUSTOMER_ID_RULE).optional().meta({
      description:
        "Optional: the customer is the bearer token's sub. A customer naming another customer gets 403; an operator may book on a customer's behalf.",
    }),
    ...serviceRequestShape,
    hold: holdSchema.optional(),
    faults: faultsSchema.optional(),
  })
  .refine((body) => !(body.payment && body.hold), {
    path: ['hold'],
    message: 'a hold has no payment yet: send hold or payment, not both',
  })
  // Checked even when other fields failed, so that a body without a card says so at once.
  .refine((body) => Boolean(body.payment ?? body.hold), {
    path: ['payment'],
    message: 'is required (or a hold)',
    when: ({ value }) => typeof value === 'object' && value !== null && !Array.isArray(value),
  })
  // The document says it too: exactly one of payment and hold.
  .meta({ id: 'BookingRequest', oneOf: [{ required: ['payment'] }, { required: ['hold'] }] });

/** POST /bookings/:id/hold/extend: minutes more for a HELD booking, once. */
export const extendHoldRequestSchema = z
  .strictObject({ minutes: holdSchema.shape.minutes })
  .meta({ id: 'ExtendHoldRequest' });

/** POST /bookings/:id/confirm: the card that pays for a HELD booking. */
export const confirmRequestSchema = z.strictObject({ payment: paymentSchema }).meta({ id: 'ConfirmRequest' });
/** A request as the booking service takes it (the stay with its check-out day). */
export type BookingRequest = z.output<typeof bookingRequestSchema>;
/** A request body as a client sends it. */
export type BookingRequestBody = z.input<typeof bookingRequestSchema>;

export const idempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'Idempotency-Key must be 1–64 of A-Z a-z 0-9 _ -');

export const cancelRequestSchema = z
  .strictObject({
    reason: personText({ max: 200 }).optional().meta({
      description:
        'One line of up to 200 characters, without control characters (the pattern says which) or lone surrogates (half of a UTF-16 pair; refused with 400 too).',
    }),
  })
  .meta({ id: 'CancelRequest' });
export const resolveRequestSchema = z
  .strictObject({
    // A note with something in it: the document's pattern says what trim().min(1) checks.
    note: personText({ max: 1000, multiline: true })
      .regex(/\S/, 'a note is required')
      .trim()
      .min(1, 'a note is required')
      .meta({
        description:
          'Up to 1000 characters; line feeds and tabs are allowed, other control characters (the pattern says which) and lone surrogates (half of a UTF-16 pair) are refused with 400.',
      }),
  })
  .meta({ id: 'ResolveRequest' });
