// Encrypted workflow payloads: a PayloadCodec that seals every payload with AES-256-GCM under the
// current key of PAYLOAD_ENCRYPTION_KEYS, and opens it with whichever key its key ID names. The
// client (API, dev stack) and the worker build their DataConverter here, so both agree.
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
// A CommonJS package whose named exports Node's ESM loader cannot see: import it whole.
import proto from '@temporalio/proto';

/** One AES-256 key of PAYLOAD_ENCRYPTION_KEYS. A KeyObject: logging the config never prints it. */
export interface PayloadKey {
  id: string;
  key: KeyObject;
}

/** The config's part that decides the encryption: the keys (the first encrypts), and the codec server's token. */
export interface EncryptionSettings {
  payloadEncryptionKeys: readonly PayloadKey[];
  codecAuthToken?: string | undefined;
}

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = proto.temporal.api.common.v1.Payload;

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

/** A payload that cannot be decrypted: an unknown key ID, a wrong key, or tampered bytes. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/**
 * Encodes each payload as `encoding: binary/encrypted`, `encryption-key-id: <id>`, with data
 * iv (12 bytes) + ciphertext + tag (16 bytes) of the whole original Payload proto, so its metadata
 * (e.g. `encoding: json/plain`) is sealed too. Decoding passes other payloads through unchanged.
 */
export class EncryptionCodec implements PayloadCodec {
  readonly currentKeyId: string;
  readonly #current: KeyObject;
  readonly #keys: ReadonlyMap<string, KeyObject>;

  constructor(keys: readonly PayloadKey[]) {
    const [current] = keys;
    if (!current) throw new Error('EncryptionCodec needs at least one key');
    this.currentKeyId = current.id;
    this.#current = current.key;
    this.#keys = new Map(keys.map((k) => [k.id, k.key]));
  }

  // Synchronous work in a promise, so that a failure is a rejection, as the SDK expects.
  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => this.encrypt(payload))));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => this.decrypt(payload))));
  }

  encrypt(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#current, iv, { authTagLength: TAG_BYTES });
    const plain = ProtoPayload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.currentKeyId) },
      data,
    };
  }

  decrypt(payload: Payload): Payload {
    if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId) throw new PayloadDecryptionError(`an encrypted payload has no ${KEY_ID_METADATA} metadata`);
    const key = this.#keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `a payload is encrypted with key id "${keyId}", which is not in PAYLOAD_ENCRYPTION_KEYS (known: ${[...this.#keys.keys()].join(', ')})`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`an encrypted payload (key id "${keyId}") is too short to be one`);
    }
    let plain: Buffer;
    try {
      const decipher = createDecipheriv(ALGORITHM, key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(
        `a payload encrypted with key id "${keyId}" failed authentication: it was altered, or key "${keyId}" is not the key it was encrypted with`,
      );
    }
    return ProtoPayload.decode(plain);
  }
}

/** The codec of PAYLOAD_ENCRYPTION_KEYS; undefined when encryption is off. */
export function payloadCodecFor(
  config: Pick<EncryptionSettings, 'payloadEncryptionKeys'>,
): EncryptionCodec | undefined {
  return config.payloadEncryptionKeys.length > 0 ? new EncryptionCodec(config.payloadEncryptionKeys) : undefined;
}

/**
 * The data converter's own modules (payload and failure converter), in the client, the worker and
 * the workflow bundle. Failures' messages and stack traces become encoded attributes, which the
 * codec then encrypts; in a workflow, only when its payloads arrived encrypted (see the file).
 */
export const ENCRYPTED_FAILURES_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

/** Metadata the data converter's codec adds to a payload it decrypted; src/temporal/failure-converter.cjs reads it. */
export const DECRYPTED_METADATA = 'decrypted-with-key';

/**
 * The codec of the client's and the worker's DataConverter: the EncryptionCodec, whose decoded
 * payloads also say which key opened them (DECRYPTED_METADATA), so that inside the workflow
 * sandbox the failure converter can tell an encrypted workflow from a plain one. The mark never
 * reaches Temporal in clear: whatever goes out is encrypted again, metadata included. The codec
 * endpoint uses the bare EncryptionCodec (no mark).
 */
export class MarkingEncryptionCodec implements PayloadCodec {
  readonly codec: EncryptionCodec;

  constructor(codec: EncryptionCodec) {
    this.codec = codec;
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return this.codec.encode(payloads);
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) =>
      resolve(
        payloads.map((payload) => {
          const plain = this.codec.decrypt(payload);
          if (plain === payload) return payload;
          return {
            ...plain,
            metadata: { ...plain.metadata, [DECRYPTED_METADATA]: payload.metadata![KEY_ID_METADATA]! },
          };
        }),
      ),
    );
  }
}

/**
 * The one DataConverter of the client and the worker. With encryption off it has no codecs and no
 * converter modules: the SDK's defaults, and histories exactly as without this project's code.
 */
export function dataConverterFor(config: Pick<EncryptionSettings, 'payloadEncryptionKeys'>): DataConverter {
  const codec = payloadCodecFor(config);
  if (!codec) return { payloadCodecs: [] };
  return {
    payloadCodecs: [new MarkingEncryptionCodec(codec)],
    payloadConverterPath: ENCRYPTED_FAILURES_CONVERTER_PATH,
    failureConverterPath: ENCRYPTED_FAILURES_CONVERTER_PATH,
  };
}

/** What the API's codec endpoint needs; undefined (no endpoint) unless encryption and a token are set. */
export function codecEndpointFor(config: EncryptionSettings): { codec: PayloadCodec; authToken: string } | undefined {
  const codec = payloadCodecFor(config);
  return codec && config.codecAuthToken ? { codec, authToken: config.codecAuthToken } : undefined;
}

/** For the logs: whether payloads are encrypted, and with which key. */
export function describeEncryption(config: Pick<EncryptionSettings, 'payloadEncryptionKeys'>): string {
  const [current, ...older] = config.payloadEncryptionKeys;
  if (!current) return 'payload encryption off';
  return `payload encryption on (key ${current.id}${older.length ? `; also decrypts ${older.map((k) => k.id).join(', ')}` : ''})`;
}
