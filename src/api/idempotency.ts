// Idempotency-Key: one key, one booking. A repeat of the same request is recognised by a keyed
// hash of its canonical JSON (the body holds a card number: a plain hash could be brute-forced).
import { createHmac } from 'node:crypto';

/** JSON with sorted keys: the same body always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The request's fingerprint, keyed with the card vault's key. */
export function requestHash(key: string, request: unknown): string {
  return createHmac('sha256', key).update(canonicalJson(request)).digest('hex');
}

/** The booking ID for an Idempotency-Key: one key, one booking, one workflow ID. */
export function bookingIdForKey(key: string): string {
  const h = createHmac('sha256', 'idempotency-key').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
