/**
 * SM4 field encryption with HMAC-SM3 integrity (encrypt-then-MAC) and blind indexes for exact search.
 *
 * Stored form: `v1:<keyId>:<iv>:<ciphertext>:<mac>` (base64url without padding), where
 * - ciphertext = SM4-CBC(encKey, random 16-byte IV, UTF-8 plaintext, PKCS#7 padding),
 * - mac = HMAC-SM3(macKey, "yiwang-field-v1" ‖ keyId ‖ iv ‖ ciphertext ‖ context), each part length-prefixed so no
 *   two different inputs give the same MAC input. The optional `context` (e.g. "Patient/123#identifier") is not stored;
 *   it binds a ciphertext to its place so it cannot be copied into another record unnoticed.
 * Decryption checks the MAC in constant time before touching the ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { normaliseIdNumber } from '../identity/id-number.js';
import { Keyring, type FieldKey } from './keyring.js';
import { constantTimeEqual, hmacSm3 } from './sm3.js';

export const FIELD_FORMAT_VERSION = 'v1';
const MAC_LABEL = 'yiwang-field-v1';

export type FieldCryptoErrorCode = 'malformed' | 'unsupported-version' | 'unknown-key' | 'integrity' | 'decrypt-failed';

export class FieldCryptoError extends Error {
  constructor(
    readonly code: FieldCryptoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FieldCryptoError';
  }
}

export interface FieldOptions {
  /** Associated data bound into the MAC (not stored); the same value is needed to decrypt. */
  context?: string;
}

function b64(buf: Uint8Array): string {
  return Buffer.from(buf).toString('base64url');
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function unb64(s: string, what: string): Buffer {
  if (!B64URL.test(s)) throw new FieldCryptoError('malformed', `encrypted field: ${what} is not base64url`);
  return Buffer.from(s, 'base64url');
}

function lengthPrefixed(parts: Uint8Array[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(p.length);
    chunks.push(len, Buffer.from(p));
  }
  return Buffer.concat(chunks);
}

function mac(key: FieldKey, iv: Uint8Array, ciphertext: Uint8Array, context: string): Buffer {
  return hmacSm3(key.macKey, lengthPrefixed([Buffer.from(MAC_LABEL), Buffer.from(key.id), iv, ciphertext, Buffer.from(context, 'utf8')]));
}

/** Encrypts a string with the key ring's current key. */
export function encryptField(plaintext: string, keyring: Keyring, options: FieldOptions = {}): string {
  if (typeof plaintext !== 'string') throw new TypeError('encryptField: plaintext must be a string');
  const key = keyring.currentKey;
  const iv = randomBytes(16);
  const cipher = createCipheriv('sm4-cbc', key.encKey, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = mac(key, iv, ciphertext, options.context ?? '');
  return [FIELD_FORMAT_VERSION, key.id, b64(iv), b64(ciphertext), b64(tag)].join(':');
}

interface ParsedField {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parseField(value: string): ParsedField {
  if (typeof value !== 'string') throw new FieldCryptoError('malformed', 'encrypted field must be a string');
  const parts = value.split(':');
  if (parts[0] !== FIELD_FORMAT_VERSION) {
    if (parts.length === 5 && /^v\d+$/.test(parts[0]!)) {
      throw new FieldCryptoError('unsupported-version', `encrypted field format ${parts[0]} is not supported`);
    }
    throw new FieldCryptoError('malformed', 'not an encrypted field (expected v1:<keyId>:<iv>:<ciphertext>:<mac>)');
  }
  if (parts.length !== 5) throw new FieldCryptoError('malformed', `encrypted field has ${parts.length} parts, expected 5`);
  const [, keyId, ivS, ctS, macS] = parts as [string, string, string, string, string];
  const iv = unb64(ivS, 'IV');
  const ciphertext = unb64(ctS, 'ciphertext');
  const tag = unb64(macS, 'MAC');
  if (iv.length !== 16) throw new FieldCryptoError('malformed', 'encrypted field: IV must be 16 bytes');
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new FieldCryptoError('malformed', 'encrypted field: ciphertext must be a non-empty multiple of 16 bytes');
  }
  if (tag.length !== 32) throw new FieldCryptoError('malformed', 'encrypted field: MAC must be 32 bytes');
  return { keyId, iv, ciphertext, tag };
}

/** True when the value looks like an encrypted field (does not verify it). */
export function isEncryptedField(value: unknown): value is string {
  return typeof value === 'string' && /^v\d+:[^:]+:[^:]*:[^:]*:[^:]*$/.test(value);
}

/** Id of the key a value was encrypted with. */
export function fieldKeyId(value: string): string {
  return parseField(value).keyId;
}

/** Verifies the MAC (constant time) and decrypts. Throws FieldCryptoError on any problem. */
export function decryptField(value: string, keyring: Keyring, options: FieldOptions = {}): string {
  const { keyId, iv, ciphertext, tag } = parseField(value);
  if (!keyring.hasKey(keyId)) {
    throw new FieldCryptoError('unknown-key', `encrypted with key '${keyId}', which is not in the key ring`);
  }
  const key = keyring.key(keyId);
  if (!constantTimeEqual(mac(key, iv, ciphertext, options.context ?? ''), tag)) {
    throw new FieldCryptoError('integrity', 'encrypted field failed its integrity check (tampered, wrong key or wrong context)');
  }
  try {
    const decipher = createDecipheriv('sm4-cbc', key.encKey, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch (e) {
    throw new FieldCryptoError('decrypt-failed', `decryption failed: ${(e as Error).message}`);
  }
}

/** True when the value was encrypted with a key other than the current one. */
export function needsRotation(value: string, keyring: Keyring): boolean {
  return parseField(value).keyId !== keyring.currentKeyId;
}

/**
 * Re-encrypts a value with the current key (after verifying it). A value already under the current key is verified
 * and returned unchanged.
 */
export function rotate(value: string, keyring: Keyring, options: FieldOptions = {}): string {
  const plaintext = decryptField(value, keyring, options);
  if (!needsRotation(value, keyring)) return value;
  return encryptField(plaintext, keyring, options);
}

export type BlindIndexKind = 'text' | 'id-number' | 'phone';

export interface BlindIndexOptions {
  /**
   * What the value is; selects the normalisation and separates domains, so equal strings in different fields give
   * unrelated indexes. Default 'text'.
   */
  kind?: BlindIndexKind;
  /** Extra domain label (e.g. 'Patient.identifier:resident-id'); default: the kind. */
  field?: string;
  /** Index key id; default the current index key. */
  keyId?: string;
}

/**
 * Normalises a value before blind indexing:
 * - 'text': Unicode NFKC, whitespace removed, upper-case;
 * - 'id-number': as `normaliseIdNumber` (lower-case x → X, 15 → 18 digits);
 * - 'phone': digits only, without a leading +86 / 0086.
 */
export function normaliseForIndex(value: string, kind: BlindIndexKind = 'text'): string {
  switch (kind) {
    case 'id-number':
      return normaliseIdNumber(value) ?? '';
    case 'phone': {
      const digits = value.normalize('NFKC').replace(/\D/g, '');
      return digits.replace(/^(0086|86)(?=1\d{10}$)/, '');
    }
    default:
      return value.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
  }
}

/**
 * Blind index: HMAC-SM3 with the index key over "<field>\0<normalised value>", base64url. Equal values give equal
 * indexes, so an exact search compares indexes without decrypting; it does not depend on the encryption key.
 */
export function blindIndex(value: string, keyring: Keyring, options: BlindIndexOptions = {}): string {
  const kind = options.kind ?? 'text';
  const key = keyring.indexKey(options.keyId);
  return hmacSm3(key.key, options.field ?? kind, '\0', normaliseForIndex(value, kind)).toString('base64url');
}

/** Blind indexes under every index key (current first): search with all of them while indexes are being rebuilt. */
export function blindIndexes(value: string, keyring: Keyring, options: Omit<BlindIndexOptions, 'keyId'> = {}): string[] {
  const ids = [keyring.currentIndexKeyId, ...keyring.indexKeyIds.filter((id) => id !== keyring.currentIndexKeyId)];
  return ids.map((keyId) => blindIndex(value, keyring, { ...options, keyId }));
}
