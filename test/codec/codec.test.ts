// The payload codec on its own: round trip, the wire format, tamper detection, pass-through, key
// rotation, and PAYLOAD_ENCRYPTION_KEYS / CODEC_AUTH_TOKEN validation.
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
  PayloadDecryptionError,
  codecEndpointFor,
  dataConverterFor,
  payloadCodecFor,
} from '../../src/temporal/codec.ts';

/** A token of this run only: production (the default NODE_ENV) refuses every token the repository publishes. */
const CODEC_TOKEN = randomBytes(18).toString('hex');
const b64 = (bytes: Buffer) => bytes.toString('base64');
const K1 = randomBytes(32);
const K2 = randomBytes(32);
const keys = (value: string) => loadConfig({ PAYLOAD_ENCRYPTION_KEYS: value }).payloadEncryptionKeys;
const codecOf = (value: string) => new EncryptionCodec(keys(value));
const meta = (p: Payload, key: string) => new TextDecoder().decode(p.metadata?.[key]);

const booking = {
  bookingId: 'b-1',
  customerId: 'cust-secret-42',
  flight: { flightNumber: 'TB100' },
  payment: { last4: '4242' },
};

describe('EncryptionCodec', () => {
  const codec = codecOf(`k1:${b64(K1)}`);

  test('round trip: every payload comes back exactly, metadata included', async () => {
    const payloads: Payload[] = [
      defaultPayloadConverter.toPayload(booking),
      defaultPayloadConverter.toPayload('plain text'),
      defaultPayloadConverter.toPayload(undefined),
      defaultPayloadConverter.toPayload(new Uint8Array([0, 1, 2, 255])),
      {
        metadata: { encoding: new TextEncoder().encode('json/plain'), custom: new TextEncoder().encode('x') },
        data: new Uint8Array(),
      },
    ];
    const decoded = await codec.decode(await codec.encode(payloads));
    expect(decoded.map((p) => temporal.api.common.v1.Payload.encode(p).finish())).toEqual(
      payloads.map((p) => temporal.api.common.v1.Payload.encode(p).finish()),
    );
    expect(defaultPayloadConverter.fromPayload(decoded[0]!)).toEqual(booking);
    expect(defaultPayloadConverter.fromPayload(decoded[2]!)).toBeUndefined();
  });

  test('the wire format: binary/encrypted, the key id, iv (12) + ciphertext + tag (16); nothing in plain text', async () => {
    const plain = defaultPayloadConverter.toPayload(booking);
    const [encoded] = await codec.encode([plain]);
    expect(Object.keys(encoded!.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA]);
    expect(meta(encoded!, 'encoding')).toBe(ENCRYPTED_ENCODING);
    expect(meta(encoded!, KEY_ID_METADATA)).toBe('k1');
    const protoBytes = temporal.api.common.v1.Payload.encode(plain).finish();
    expect(encoded!.data!.length).toBe(12 + protoBytes.length + 16);
    const raw = Buffer.from(encoded!.data!).toString('latin1');
    for (const secret of ['cust-secret-42', 'TB100', '4242', 'json/plain', 'customerId'])
      expect(raw).not.toContain(secret);
  });

  test('a fresh IV per payload: the same value never encrypts the same way twice', async () => {
    const p = defaultPayloadConverter.toPayload(booking);
    const [a, b] = await codec.encode([p, p]);
    expect(Buffer.from(a!.data!).subarray(0, 12)).not.toEqual(Buffer.from(b!.data!).subarray(0, 12));
    expect(Buffer.from(a!.data!)).not.toEqual(Buffer.from(b!.data!));
  });

  test('tamper detection: flipping any byte (iv, ciphertext or tag) fails to decrypt', async () => {
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(booking)]);
    const data = encoded!.data!;
    for (const index of [0, 11, 12, Math.floor(data.length / 2), data.length - 17, data.length - 1]) {
      const flipped = new Uint8Array(data);
      flipped[index]! ^= 0x01;
      await expect(codec.decode([{ ...encoded!, data: flipped }]), `byte ${index}`).rejects.toThrow(
        /failed authentication: it was altered/,
      );
    }
    await expect(codec.decode([{ ...encoded!, data: data.subarray(0, 20) }])).rejects.toThrow(/too short/);
    // A payload relabelled with another key id fails the same way, and never yields garbage.
    const other = codecOf(`k1:${b64(K2)}`);
    await expect(other.decode([encoded!])).rejects.toBeInstanceOf(PayloadDecryptionError);
  });

  test('decode passes through payloads that are not binary/encrypted', async () => {
    const plain = [
      defaultPayloadConverter.toPayload(booking),
      defaultPayloadConverter.toPayload(null),
      { metadata: {}, data: new Uint8Array([1]) },
    ];
    expect(await codec.decode(plain)).toEqual(plain);
    const [encrypted] = await codec.encode([plain[0]!]);
    const mixed = await codec.decode([plain[1]!, encrypted!]);
    expect(mixed[0]).toBe(plain[1]);
    expect(defaultPayloadConverter.fromPayload(mixed[1]!)).toEqual(booking);
  });

  test('an unknown key id fails clearly, naming it and the known ones', async () => {
    const [fromK9] = await codecOf(`k9:${b64(K1)}`).encode([defaultPayloadConverter.toPayload(booking)]);
    await expect(codec.decode([fromK9!])).rejects.toThrow(
      'a payload is encrypted with key id "k9", which is not in PAYLOAD_ENCRYPTION_KEYS (known: k1)',
    );
    const { [KEY_ID_METADATA]: _dropped, ...noKeyId } = fromK9!.metadata!;
    await expect(codec.decode([{ ...fromK9!, metadata: noKeyId }])).rejects.toThrow(/no encryption-key-id metadata/);
  });

  test('rotation: with "k2,k1", new payloads use k2 and k1 payloads still decrypt; "k1" alone cannot read k2 ones', async () => {
    const old = codecOf(`k1:${b64(K1)}`);
    const rotated = codecOf(`k2:${b64(K2)},k1:${b64(K1)}`);
    const [byK1] = await old.encode([defaultPayloadConverter.toPayload(booking)]);
    const [byK2] = await rotated.encode([defaultPayloadConverter.toPayload(booking)]);
    expect(meta(byK2!, KEY_ID_METADATA)).toBe('k2');
    const decoded = await rotated.decode([byK1!, byK2!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([booking, booking]);
    await expect(old.decode([byK2!])).rejects.toThrow(
      /key id "k2", which is not in PAYLOAD_ENCRYPTION_KEYS \(known: k1\)/,
    );
  });
});

describe('configuration', () => {
  test('PAYLOAD_ENCRYPTION_KEYS: ids in order, first is current; keys never printable', () => {
    const list = keys(` k2:${b64(K2)} , k1:${b64(K1)}`);
    expect(list.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(list[0]!.key.export()).toEqual(K2);
    expect(JSON.stringify(list)).not.toContain(b64(K2));
    expect(payloadCodecFor({ payloadEncryptionKeys: list })?.currentKeyId).toBe('k2');
  });

  test.each([
    ['k1:not*base64', /PAYLOAD_ENCRYPTION_KEYS entry 1 \("k1"\): key is not valid base64/],
    [
      `k1:${b64(randomBytes(16))}`,
      /PAYLOAD_ENCRYPTION_KEYS entry 1 \("k1"\): key must be 32 bytes \(AES-256\), got 16/,
    ],
    [`k1:${b64(K1)},k1:${b64(K2)}`, /PAYLOAD_ENCRYPTION_KEYS entry 2: duplicate key id "k1"/],
    [b64(K1), /PAYLOAD_ENCRYPTION_KEYS entry 1 must be <key id>:<base64 key>/],
    [`k 1:${b64(K1)}`, /PAYLOAD_ENCRYPTION_KEYS entry 1: key id must be/],
    [`k1:${b64(K1)},`, /PAYLOAD_ENCRYPTION_KEYS entry 2 must be/],
  ])('PAYLOAD_ENCRYPTION_KEYS=%s fails fast, naming the variable', (value, message) => {
    expect(() => loadConfig({ PAYLOAD_ENCRYPTION_KEYS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ PAYLOAD_ENCRYPTION_KEYS: value })).toThrow(message);
    // A bad key never ends up in the message.
    expect(() => loadConfig({ PAYLOAD_ENCRYPTION_KEYS: value })).not.toThrow(b64(K2));
  });

  test('CODEC_AUTH_TOKEN must be long enough', () => {
    expect(() => loadConfig({ CODEC_AUTH_TOKEN: 'short' })).toThrow(/CODEC_AUTH_TOKEN must be at least 16 characters/);
  });

  test('unset (or empty): no encryption, no codec, no endpoint; behaviour unchanged', () => {
    for (const env of [{}, { PAYLOAD_ENCRYPTION_KEYS: '', CODEC_AUTH_TOKEN: CODEC_TOKEN }]) {
      const config = loadConfig(env);
      expect(config.payloadEncryptionKeys).toEqual([]);
      expect(payloadCodecFor(config)).toBeUndefined();
      expect(dataConverterFor(config)).toEqual({ payloadCodecs: [] });
      expect(codecEndpointFor(config)).toBeUndefined();
    }
  });

  test('the codec endpoint needs both the keys and the token', () => {
    const withKeys = loadConfig({ PAYLOAD_ENCRYPTION_KEYS: `k1:${b64(K1)}` });
    expect(dataConverterFor(withKeys).payloadCodecs).toHaveLength(1);
    expect(codecEndpointFor(withKeys)).toBeUndefined();
    const both = loadConfig({ PAYLOAD_ENCRYPTION_KEYS: `k1:${b64(K1)}`, CODEC_AUTH_TOKEN: CODEC_TOKEN });
    expect(codecEndpointFor(both)).toMatchObject({ authToken: CODEC_TOKEN });
  });
});
