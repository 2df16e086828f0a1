// How the Web UI's summaries word amounts and deadlines. Pure: the workflow imports it.
import { money } from './money.ts';

/** An amount with its currency, as the API spells the amount: 76000, USD → "760.00 USD". */
export function formatMoney(cents: number, currency: string): string {
  return `${money(cents)} ${currency}`;
}

/** A moment as the Web UI's summaries name a deadline: "14:05 UTC", with its day when not today. */
export function deadlineInWords(at: Date, now: Date): string {
  const iso = at.toISOString();
  const sameDay = iso.slice(0, 10) === now.toISOString().slice(0, 10);
  return `${iso.slice(11, 16)} UTC${sameDay ? '' : ` on ${iso.slice(0, 10)}`}`;
}
