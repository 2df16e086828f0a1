// The payment service's card vault, over the payment service's own database. The API hands the
// card here at once; only a token, the brand, last4 and the expiry are kept. The number and the CVC
// go nowhere else.
import { createHmac, randomBytes } from 'node:crypto';
import { retryOnUniqueViolation } from '../../db/client.ts';
import type { PaymentsDb } from './db.ts';
import type { PaymentMethodRef } from './types.ts';
import { cardBrand, normalizeExpYear, sandboxDeclineCode } from './cards.ts';

export interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

export interface TokenizedCard extends PaymentMethodRef {
  expMonth: number;
  expYear: number;
}

/**
 * Stores a card as a token. The same customer's same card and expiry give the same token (a keyed
 * fingerprint, never reversible without the vault key), so retried requests make no new rows.
 */
export async function tokenizeCard(
  db: PaymentsDb,
  vaultKey: string,
  customerId: string,
  card: CardInput,
): Promise<TokenizedCard> {
  const expYear = normalizeExpYear(card.expYear);
  const fingerprint = createHmac('sha256', vaultKey)
    .update(`${customerId}:${card.number}:${card.expMonth}/${expYear}`)
    .digest('hex');
  const row = await retryOnUniqueViolation(() =>
    db.paymentMethod.upsert({
      where: { fingerprint },
      update: {},
      create: {
        token: `pm_${randomBytes(12).toString('hex')}`,
        customerId,
        fingerprint,
        brand: cardBrand(card.number),
        last4: card.number.slice(-4),
        expMonth: card.expMonth,
        expYear,
        declineCode: sandboxDeclineCode(card.number),
      },
    }),
  );
  return { token: row.token, brand: row.brand, last4: row.last4, expMonth: row.expMonth, expYear: row.expYear };
}
