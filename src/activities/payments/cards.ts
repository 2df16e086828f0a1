// Card facts that need no database: the Luhn check, the brand, and the sandbox issuer's test
// numbers. Pure, so the API's validation and the vault share it.

export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function cardBrand(number: string): string {
  if (/^4/.test(number)) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^6(011|5)/.test(number)) return 'discover';
  return 'unknown';
}

/** Test numbers of the sandbox issuer, as payment providers publish them. */
export const TEST_CARDS = {
  good: '4242424242424242',
  declined: '4000000000000002',
} as const;

/** Cards for demos and tests: approved, declined, and expired (12/19, years past). */
export function sampleCards(expYear = new Date().getUTCFullYear() + 3) {
  return {
    good: { number: TEST_CARDS.good, expMonth: 12, expYear, cvc: '123' },
    declined: { number: TEST_CARDS.declined, expMonth: 12, expYear, cvc: '123' },
    expired: { number: TEST_CARDS.good, expMonth: 12, expYear: 19, cvc: '123' },
  };
}

/** What the sandbox issuer answers for a number: a decline code, or null to approve. */
export function sandboxDeclineCode(number: string): string | null {
  return number === TEST_CARDS.declined ? 'card_declined' : null;
}

/** Two-digit years are this century's. */
export function normalizeExpYear(year: number): number {
  return year < 100 ? 2000 + year : year;
}

/** A card is good through the last day of its expiry month. */
export function isExpired(expMonth: number, expYear: number, now: Date): boolean {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  return expYear < year || (expYear === year && expMonth < month);
}
