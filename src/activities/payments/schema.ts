// The payment's part of the booking request (POST /bookings' `payment`, and the card of a hold's
// confirm), in zod: a card as a client sends it, tokenized at once, never stored or passed on. The
// API composes the request from each service's part (src/api/bookings/services.ts).
import { z } from 'zod';
import { luhnValid } from './cards.ts';
import type { CardInput } from './vault.ts';

/** The card number: 12–19 digits that pass the Luhn check. `format: luhn` names the check, which no pattern can state. */
export const cardNumber = z
  .string()
  .regex(/^[0-9]{12,19}$/, 'must be 12–19 digits')
  .refine(luhnValid, 'is not a valid card number (Luhn check)')
  .meta({
    format: 'luhn',
    description: 'Digits whose last one is the Luhn check digit (format: luhn). Tokenized at once; stored nowhere.',
    example: '4242424242424242',
  });

export const cardSchema = z.strictObject({
  number: cardNumber,
  expMonth: z.int().min(1).max(12),
  expYear: z
    .union([z.int().min(0).max(99), z.int().min(2000).max(2099)], { error: 'must be YY or YYYY' })
    .meta({ description: 'YY or YYYY. An expired card is accepted here and declined by the payment step.' }),
  cvc: z.string().regex(/^[0-9]{3,4}$/, 'must be 3 or 4 digits'),
}) satisfies z.ZodType<CardInput>;

/** What pays: the card. */
export const paymentSchema = z.strictObject({ card: cardSchema });

/** The request's field that is the payment's, and what it takes: a hold brings its card later, with its confirm. */
export const paymentRequestPart = {
  field: 'payment',
  schema: paymentSchema.optional().meta({ description: 'The card: required unless the booking is a hold.' }),
} as const;
