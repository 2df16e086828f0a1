// Helpers of the encryption tests: keys, the payloads of a raw history, and its plain-text view.
import { BOOKING_STATUSES } from '../../src/booking/booking.ts';
import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { expect } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/temporal/codec.ts';

export const K1 = randomBytes(32).toString('base64');
export const K2 = randomBytes(32).toString('base64');
export const CODEC_TOKEN = 'codec-test-token-0123456789';

/** A configuration with these keys (e.g. `k2,k1`) and the codec token. */
export function configWithKeys(ids: string, extra: Record<string, string> = {}): Config {
  const byId: Record<string, string> = { k1: K1, k2: K2 };
  const value = ids
    .split(',')
    .map((id) => `${id}:${byId[id] ?? randomBytes(32).toString('base64')}`)
    .join(',');
  return loadConfig({ NODE_ENV: 'test', PAYLOAD_ENCRYPTION_KEYS: value, CODEC_AUTH_TOKEN: CODEC_TOKEN, ...extra });
}

export interface FoundPayload {
  /** Where in the history, e.g. `events.0.workflowExecutionStartedEventAttributes.input.payloads.0`. */
  path: string;
  payload: Payload;
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

function isPayload(v: object): v is Payload {
  const metadata = (v as { metadata?: unknown }).metadata;
  return (
    'data' in v &&
    !!metadata &&
    typeof metadata === 'object' &&
    !isBytes(metadata) &&
    Object.values(metadata).every(isBytes)
  );
}

/** Every Payload anywhere in a raw (undecoded) history, describe answer, or any proto object. */
export function payloadsIn(value: unknown, path = '', found: FoundPayload[] = []): FoundPayload[] {
  if (!value || typeof value !== 'object' || isBytes(value)) return found;
  if (isPayload(value)) {
    found.push({ path: path.slice(1), payload: value });
    return found;
  }
  for (const [key, child] of Object.entries(value)) payloadsIn(child, `${path}.${key}`, found);
  return found;
}

export const metaText = (p: Payload, key: string) =>
  p.metadata?.[key] ? Buffer.from(p.metadata[key]).toString('utf8') : undefined;
export const encodingOf = (p: Payload) => metaText(p, 'encoding');
export const keyIdOf = (p: Payload) => metaText(p, KEY_ID_METADATA);
export const isEncrypted = (p: Payload) => encodingOf(p) === ENCRYPTED_ENCODING;

/** The history as text, every byte field read as text (JSON.stringify alone would print bytes as numbers). */
export function plainText(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, replaced: unknown) {
    const original = this[key];
    return isBytes(original) ? Buffer.from(original).toString('utf8') : replaced;
  });
}

/** The data of every payload, read as text. */
export function payloadDataText(found: FoundPayload[]): string {
  return found.map((f) => Buffer.from(f.payload.data ?? new Uint8Array()).toString('utf8')).join('\n');
}

/** A history in the proto JSON form (`temporal workflow show -o json`), its payloads' bytes as bytes. */
export function parseJsonHistory(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
    const { metadata, data } = value as { metadata?: unknown; data?: unknown };
    const isStringMap = (m: unknown): m is Record<string, string> =>
      !!m && typeof m === 'object' && Object.values(m).every((v) => typeof v === 'string');
    if (!isStringMap(metadata) || (data !== undefined && typeof data !== 'string')) return value;
    return {
      ...value,
      metadata: Object.fromEntries(
        Object.entries(metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
      ),
      data: new Uint8Array(Buffer.from(data ?? '', 'base64')),
    };
  });
}

/**
 * What is never written through a codec: the BookingStatus search attribute (search attributes are
 * indexed by the server, so no codec ever sees them), set at the start and upserted at each change,
 * which holds a status only. This build's
 * histories have no patch or local-activity markers (they would show up here as unencrypted).
 */
const BOOKING_STATUS =
  /^events\.\d+\.(upsertWorkflowSearchAttributes|workflowExecutionStarted)EventAttributes\.searchAttributes\.indexedFields\.BookingStatus$/;
export const bySdk = (p: FoundPayload) => BOOKING_STATUS.test(p.path);

/** Every payload is binary/encrypted; returns where they were, without the event index. */
export function expectAllEncrypted(payloads: FoundPayload[], keyIds = ['k2']): string[] {
  expect(payloads.length).toBeGreaterThan(0);
  for (const { path, payload } of payloads) {
    const value: unknown = bySdk({ path, payload }) ? JSON.parse(Buffer.from(payload.data!).toString()) : undefined;
    if (BOOKING_STATUS.test(path)) {
      expect(BOOKING_STATUSES).toContain(value);
      continue;
    }
    expect(encodingOf(payload), path).toBe(ENCRYPTED_ENCODING);
    expect(keyIds, path).toContain(keyIdOf(payload));
  }
  return [...new Set(payloads.map((p) => p.path.replace(/^events\.\d+\./, '').replace(/\.\d+(?=\.|$)/g, '.*')))];
}
