import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FieldCryptoError,
  Keyring,
  KeyringError,
  addEncryptionKey,
  blindIndex,
  blindIndexes,
  decryptField,
  encryptField,
  fieldKeyId,
  generateKeyFile,
  isEncryptedField,
  needsRotation,
  normaliseForIndex,
  rotate,
  type KeyFile,
} from '../src/platform/crypto/index.js';

const FORMAT = /^v1:[A-Za-z0-9_.-]+:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{43}$/;

/** Fixed key file so tests are reproducible. */
const FILE: KeyFile = {
  encryption: {
    current: 'k2024',
    keys: [{ id: 'k2024', secret: Buffer.alloc(32, 1).toString('base64') }],
  },
  index: { current: 'i1', keys: [{ id: 'i1', secret: 'ab'.repeat(32) }] },
};

function flip(value: string, part: number): string {
  const parts = value.split(':');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join(':');
}

const tmp = mkdtempSync(join(tmpdir(), 'yiwang-keyring-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('SM4 field encryption with HMAC-SM3', () => {
  const ring = Keyring.fromJson(FILE);

  it('round-trips text in the compact v1 format with a random IV', () => {
    for (const text of ['', '500119198001011234', '张三 13812345678', 'x'.repeat(1000), '𠀀 emoji 😀']) {
      const enc = encryptField(text, ring);
      expect(enc).toMatch(FORMAT);
      expect(isEncryptedField(enc)).toBe(true);
      expect(decryptField(enc, ring)).toBe(text);
    }
    const a = encryptField('same', ring);
    const b = encryptField('same', ring);
    expect(a).not.toBe(b);
    expect(fieldKeyId(a)).toBe('k2024');
  });

  it('detects tampering with the IV, the ciphertext, the MAC or the key id (MAC checked first)', () => {
    const enc = encryptField('11010519491231002X', ring);
    for (const part of [2, 3, 4]) {
      expect(() => decryptField(flip(enc, part), ring)).toThrow(expect.objectContaining({ code: 'integrity' }));
    }
    // Same secret under another id: the key id is covered by the MAC.
    const twin = Keyring.fromJson({
      ...FILE,
      encryption: { current: 'k2', keys: [...FILE.encryption.keys, { id: 'k2', secret: FILE.encryption.keys[0]!.secret }] },
    });
    const relabelled = enc.replace(':k2024:', ':k2:');
    expect(() => decryptField(relabelled, twin)).toThrow(FieldCryptoError);
  });

  it('rejects malformed values with clear codes', () => {
    expect(() => decryptField('plain text', ring)).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => decryptField('v2:k:a:b:c', ring)).toThrow(expect.objectContaining({ code: 'unsupported-version' }));
    expect(() => decryptField('v1:k2024:AAAA:AAAA', ring)).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => decryptField('v1:k2024:!!:AAAA:AAAA', ring)).toThrow(expect.objectContaining({ code: 'malformed' }));
    const enc = encryptField('a', ring);
    const short = enc.split(':');
    short[3] = short[3]!.slice(0, 10);
    expect(() => decryptField(short.join(':'), ring)).toThrow(expect.objectContaining({ code: 'malformed' }));
  });

  it('fails with a wrong key ring or an unknown key id', () => {
    const enc = encryptField('secret', ring);
    const other = Keyring.fromJson({
      ...FILE,
      encryption: { current: 'k2024', keys: [{ id: 'k2024', secret: Buffer.alloc(32, 2).toString('base64') }] },
    });
    expect(() => decryptField(enc, other)).toThrow(expect.objectContaining({ code: 'integrity' }));
    const unknown = Keyring.fromJson({
      ...FILE,
      encryption: { current: 'k9', keys: [{ id: 'k9', secret: Buffer.alloc(32, 1).toString('base64') }] },
    });
    expect(() => decryptField(enc, unknown)).toThrow(expect.objectContaining({ code: 'unknown-key' }));
  });

  it('binds an optional context (not stored) into the MAC', () => {
    const enc = encryptField('13812345678', ring, { context: 'Patient/1#telecom' });
    expect(decryptField(enc, ring, { context: 'Patient/1#telecom' })).toBe('13812345678');
    expect(() => decryptField(enc, ring, { context: 'Patient/2#telecom' })).toThrow(expect.objectContaining({ code: 'integrity' }));
    expect(() => decryptField(enc, ring)).toThrow(FieldCryptoError);
  });

  it('rotates: new writes use the current key, old values stay readable and re-encrypt with rotate()', () => {
    const oldValue = encryptField('病历号 A-1', ring);
    const rotatedFile = addEncryptionKey(FILE, 'k2025');
    const ring2 = Keyring.fromJson(rotatedFile);
    expect(ring2.currentKeyId).toBe('k2025');
    expect(ring2.keyIds).toEqual(['k2024', 'k2025']);
    expect(decryptField(oldValue, ring2)).toBe('病历号 A-1');
    expect(needsRotation(oldValue, ring2)).toBe(true);
    const newValue = rotate(oldValue, ring2);
    expect(fieldKeyId(newValue)).toBe('k2025');
    expect(needsRotation(newValue, ring2)).toBe(false);
    expect(decryptField(newValue, ring2)).toBe('病历号 A-1');
    expect(rotate(newValue, ring2)).toBe(newValue);
    // Once the old key is dropped, old values are unreadable but rotated ones still work.
    const ring3 = Keyring.fromJson({ ...rotatedFile, encryption: { current: 'k2025', keys: rotatedFile.encryption.keys.slice(1) } });
    expect(() => decryptField(oldValue, ring3)).toThrow(expect.objectContaining({ code: 'unknown-key' }));
    expect(decryptField(newValue, ring3)).toBe('病历号 A-1');
    // Rotation verifies before re-encrypting.
    expect(() => rotate(flip(oldValue, 3), ring2)).toThrow(expect.objectContaining({ code: 'integrity' }));
  });
});

describe('blind index', () => {
  const ring = Keyring.fromJson(FILE);

  it('is deterministic, normalised, and independent of the encryption key', () => {
    const a = blindIndex('11010519491231002x', ring, { kind: 'id-number' });
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(blindIndex(' 11010519491231002X ', ring, { kind: 'id-number' })).toBe(a);
    // A legacy 15-digit number indexes like its 18-digit form.
    expect(blindIndex('110105491231002', ring, { kind: 'id-number' })).toBe(a);
    expect(blindIndex('+86 138-1234-5678', ring, { kind: 'phone' })).toBe(blindIndex('13812345678', ring, { kind: 'phone' }));
    const rotated = Keyring.fromJson(addEncryptionKey(FILE, 'k2025'));
    expect(blindIndex('11010519491231002X', rotated, { kind: 'id-number' })).toBe(a);
  });

  it('separates fields and kinds, and changes with the index key', () => {
    const v = '13812345678';
    expect(blindIndex(v, ring, { kind: 'text' })).not.toBe(blindIndex(v, ring, { kind: 'phone' }));
    expect(blindIndex(v, ring, { field: 'Patient.telecom' })).not.toBe(blindIndex(v, ring, { field: 'RelatedPerson.telecom' }));
    const otherIndex = Keyring.fromJson({ ...FILE, index: { current: 'i2', keys: [{ id: 'i2', secret: 'cd'.repeat(32) }] } });
    expect(blindIndex(v, otherIndex)).not.toBe(blindIndex(v, ring));
  });

  it('gives one index per index key while indexes are rebuilt (current key first)', () => {
    const both = Keyring.fromJson({
      ...FILE,
      index: { current: 'i2', keys: [...FILE.index.keys, { id: 'i2', secret: 'cd'.repeat(32) }] },
    });
    const all = blindIndexes('张三', both);
    expect(all).toHaveLength(2);
    expect(all[0]).toBe(blindIndex('张三', both, { keyId: 'i2' }));
    expect(all[1]).toBe(blindIndex('张三', ring));
  });

  it('normalises text with NFKC, no spaces and upper case', () => {
    expect(normaliseForIndex(' ａｂ c ')).toBe('ABC');
    expect(normaliseForIndex('0086 13812345678', 'phone')).toBe('13812345678');
    expect(normaliseForIndex('11010519491231002x', 'id-number')).toBe('11010519491231002X');
  });
});

describe('key ring loading', () => {
  it('loads from a key file, an environment variable (JSON or base64) or <variable>_FILE', () => {
    const file = generateKeyFile();
    const path = join(tmp, 'keys.json');
    writeFileSync(path, JSON.stringify(file));
    expect(Keyring.load({ file: path }).currentKeyId).toBe('k1');
    expect(Keyring.load({ env: { YIWANG_KEYRING: JSON.stringify(file) } }).currentIndexKeyId).toBe('i1');
    const b64 = Buffer.from(JSON.stringify(file)).toString('base64');
    expect(Keyring.load({ env: { MY_KEYS: b64 }, variable: 'MY_KEYS' }).keyIds).toEqual(['k1']);
    expect(Keyring.load({ env: { YIWANG_KEYRING_FILE: path } }).keyIds).toEqual(['k1']);
    // Both load paths give the same keys.
    const enc = encryptField('x', Keyring.load({ file: path }));
    expect(decryptField(enc, Keyring.load({ env: { YIWANG_KEYRING: JSON.stringify(file) } }))).toBe('x');
  });

  it('reports missing or invalid key material clearly', () => {
    expect(() => Keyring.load({ env: {} })).toThrow(expect.objectContaining({ code: 'no-keyring' }));
    expect(() => Keyring.load({ file: join(tmp, 'missing.json') })).toThrow(KeyringError);
    expect(() => Keyring.fromJson('{not json')).toThrow(expect.objectContaining({ code: 'invalid-keyring' }));
    const bad = (patch: Partial<KeyFile['encryption']>) => Keyring.fromJson({ ...FILE, encryption: { ...FILE.encryption, ...patch } });
    expect(() => bad({ keys: [{ id: 'k2024', secret: Buffer.alloc(16).toString('base64') }] })).toThrow(/32 bytes/);
    expect(() => bad({ keys: [{ id: 'k2024', secret: 'not a key!' }] })).toThrow(/hex nor base64/);
    expect(() => bad({ current: 'nope' })).toThrow(/current/);
    expect(() => bad({ keys: [{ id: 'a:b', secret: 'ab'.repeat(32) }] })).toThrow(/id must match/);
    expect(() => bad({ keys: [] })).toThrow(/non-empty/);
    expect(() => addEncryptionKey(FILE, 'k2024')).toThrow(/exists/);
    expect(() => Keyring.fromJson(FILE).key('zz')).toThrow(expect.objectContaining({ code: 'unknown-key' }));
  });

  it('generates fresh random keys', () => {
    const a = generateKeyFile();
    const b = generateKeyFile();
    expect(a.encryption.keys[0]!.secret).not.toBe(b.encryption.keys[0]!.secret);
    expect(Buffer.from(a.index.keys[0]!.secret, 'base64')).toHaveLength(32);
  });
});
