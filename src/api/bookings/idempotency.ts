// Idempotency-Key: one caller's key, one booking, kept in PostgreSQL (idempotency_keys) while its
// booking is open, then for IDEMPOTENCY_KEY_TTL. A repeat of the same request is recognised by a
// keyed hash of its canonical JSON (the body holds a card number: a plain hash could be
// brute-forced), taken without the CVC: a hash over three digits falls to a thousand guesses to
// whoever holds the key, so nothing stored is derived from it.
import { createHmac } from 'node:crypto';
import type { BookingDb } from '../../db/booking-db.ts';
import { sql, type Sql } from '../../db/client.ts';
import { TERMINAL_STATUSES } from '../../booking/booking.ts';

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

/** The request without its card's CVC (`payment.card.cvc`): what the fingerprint covers. */
export function withoutCvc(request: unknown): unknown {
  if (!request || typeof request !== 'object') return request;
  const { payment } = request as { payment?: { card?: Record<string, unknown> } };
  if (!payment?.card || !('cvc' in payment.card)) return request;
  const { cvc: _cvc, ...card } = payment.card;
  return { ...request, payment: { ...payment, card } };
}

/**
 * The request's fingerprint, keyed with the card vault's key, over everything but the CVC: a repeat
 * that differs only in its CVC is the same request.
 */
export function requestHash(key: string, request: unknown): string {
  return createHmac('sha256', key)
    .update(canonicalJson(withoutCvc(request)))
    .digest('hex');
}

export interface KeyClaim {
  bookingId: string;
  requestHash: string;
  started: boolean;
}

/**
 * How long a claimed key may wait for its booking's start (its workflow, then the read model's
 * row) before "never started" is believed: a start in flight is not an abandoned key, however
 * short the TTL.
 */
const START_GRACE_MS = 60_000;

/**
 * Whether the row `idempotency_keys` is past its time: its first use older than the TTL
 * (expires_at), and its booking ended longer than the TTL ago in the read model. A booking that is
 * still open (or has no read-model row yet) keeps its key however long it lasts: a hold, an
 * operator's wait. A key whose booking never started and left no row expires with its TTL, and
 * never within START_GRACE_MS of its first use (the cleanup, or a repeat, would otherwise race the
 * start: seen with a 1 ms TTL).
 */
function expired(ttlMs: number): Sql {
  return sql`(idempotency_keys.expires_at <= now() AND (
    EXISTS (SELECT 1 FROM bookings b WHERE b.id = idempotency_keys.booking_id
              AND b.status::text = ANY(${[...TERMINAL_STATUSES]}::text[])
              AND b.updated_at <= now() - ${ttlMs} * interval '1 millisecond')
    OR (NOT idempotency_keys.started AND idempotency_keys.created_at <= now() - ${START_GRACE_MS} * interval '1 millisecond'
        AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = idempotency_keys.booking_id))))`;
}

/**
 * Claims (subject, key) for `bookingId`, or finds who holds it: one INSERT … ON CONFLICT, so of any
 * number of concurrent first requests exactly one booking ID wins. A row past its time (expired)
 * counts as absent: the claim takes it over (a key reused then starts a new booking).
 */
export async function claimKey(
  db: BookingDb,
  claim: { subject: string; key: string; bookingId: string; requestHash: string; ttlMs: number },
): Promise<KeyClaim> {
  const rows = await db.$queryRaw<{ booking_id: string; request_hash: string; started: boolean }[]>`
    INSERT INTO idempotency_keys (subject, key, booking_id, request_hash, started, created_at, expires_at)
    VALUES (${claim.subject}, ${claim.key}, ${claim.bookingId}, ${claim.requestHash}, false, now(), now() + ${claim.ttlMs} * interval '1 millisecond')
    ON CONFLICT (subject, key) DO UPDATE
      SET booking_id = EXCLUDED.booking_id, request_hash = EXCLUDED.request_hash, started = false,
          created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
      WHERE ${expired(claim.ttlMs)}
    RETURNING booking_id, request_hash, started`;
  if (rows[0]) return { bookingId: rows[0].booking_id, requestHash: rows[0].request_hash, started: rows[0].started };
  // The conflict kept a live row: it is the answer.
  const held = await db.idempotencyKey.findUnique({
    where: { subject_key: { subject: claim.subject, key: claim.key } },
  });
  if (!held) throw new Error('idempotency key vanished while claimed; retry');
  return { bookingId: held.bookingId, requestHash: held.requestHash, started: held.started };
}

/** The workflow of a claimed key exists: repeats answer from it and never start another. */
export async function markStarted(db: BookingDb, bookingId: string): Promise<void> {
  await db.idempotencyKey.updateMany({ where: { bookingId, started: false }, data: { started: true } });
}

/** Deletes keys past their time (expired), by the database's clock (the one claims use); returns how many. */
export async function deleteExpiredKeys(db: BookingDb, ttlMs: number): Promise<number> {
  return db.$executeRaw`DELETE FROM idempotency_keys WHERE ${expired(ttlMs)}`;
}
