/**
 * Key ring for field encryption and blind indexes.
 *
 * Key file (JSON), also accepted verbatim (or base64-encoded) in an environment variable:
 *
 * ```json
 * {
 *   "encryption": { "current": "k2", "keys": [{ "id": "k1", "secret": "<32 bytes, base64 or hex>" }, { "id": "k2", "secret": "…" }] },
 *   "index":      { "current": "i1", "keys": [{ "id": "i1", "secret": "…" }] }
 * }
 * ```
 *
 * - Encryption keys are versioned: the `current` key encrypts, every listed key decrypts. Rotation = add a key, make it
 *   current, re-encrypt stored values with `rotate()` in the background, then drop the old key once nothing uses it.
 * - Index keys are separate secrets, deliberately independent of the encryption keys: rotating the encryption key
 *   does not change any blind index, so exact search keeps working during and after re-encryption. Index keys are
 *   rotated rarely (only on suspected compromise); that needs every index recomputed from the decrypted values, and
 *   while that runs a search uses `blindIndexes()` (one value per index key) to match rows of both generations.
 * - From each 32-byte secret independent sub-keys are derived with HMAC-SM3 (SM4 key, MAC key, index key), so one
 *   secret is never used for two purposes.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deriveKey } from './sm3.js';

export const DEFAULT_KEYRING_ENV = 'YIWANG_KEYRING';

export type KeyringErrorCode = 'no-keyring' | 'invalid-keyring' | 'unknown-key';

export class KeyringError extends Error {
  constructor(
    readonly code: KeyringErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeyringError';
  }
}

export interface KeyFileEntry {
  id: string;
  /** 32 random bytes, base64 (standard or url-safe) or 64 hex digits. */
  secret: string;
  /** Optional bookkeeping (ISO date); not used by the code. */
  created?: string;
}

export interface KeyFile {
  encryption: { current: string; keys: KeyFileEntry[] };
  index: { current: string; keys: KeyFileEntry[] };
}

export interface FieldKey {
  id: string;
  /** SM4 key (16 bytes). */
  encKey: Buffer;
  /** HMAC-SM3 key (32 bytes). */
  macKey: Buffer;
}

export interface IndexKey {
  id: string;
  key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,40}$/;

function decodeSecret(secret: unknown, where: string): Buffer {
  if (typeof secret !== 'string') throw new KeyringError('invalid-keyring', `${where}: secret must be a string`);
  const s = secret.trim();
  let bytes: Buffer;
  if (/^[0-9a-fA-F]{64}$/.test(s)) bytes = Buffer.from(s, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) bytes = Buffer.from(s, 'base64');
  else throw new KeyringError('invalid-keyring', `${where}: secret is neither hex nor base64`);
  if (bytes.length !== 32) {
    throw new KeyringError('invalid-keyring', `${where}: secret must be 32 bytes, got ${bytes.length}`);
  }
  return bytes;
}

function parseSection(section: unknown, name: string): { current: string; entries: Map<string, Buffer> } {
  if (typeof section !== 'object' || section === null) {
    throw new KeyringError('invalid-keyring', `key file: '${name}' section missing`);
  }
  const { current, keys } = section as { current?: unknown; keys?: unknown };
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new KeyringError('invalid-keyring', `key file: '${name}.keys' must be a non-empty array`);
  }
  const entries = new Map<string, Buffer>();
  for (const [i, k] of keys.entries()) {
    const id = (k as { id?: unknown })?.id;
    if (typeof id !== 'string' || !KEY_ID.test(id)) {
      throw new KeyringError('invalid-keyring', `key file: ${name}.keys[${i}].id must match ${KEY_ID}`);
    }
    if (entries.has(id)) throw new KeyringError('invalid-keyring', `key file: duplicate ${name} key id '${id}'`);
    entries.set(id, decodeSecret((k as { secret?: unknown }).secret, `${name} key '${id}'`));
  }
  if (typeof current !== 'string' || !entries.has(current)) {
    throw new KeyringError('invalid-keyring', `key file: '${name}.current' must name one of its keys`);
  }
  return { current, entries };
}

export class Keyring {
  readonly currentKeyId: string;
  readonly currentIndexKeyId: string;
  private readonly fieldKeys = new Map<string, FieldKey>();
  private readonly indexKeys = new Map<string, IndexKey>();

  private constructor(file: KeyFile) {
    const enc = parseSection(file.encryption, 'encryption');
    const idx = parseSection(file.index, 'index');
    for (const [id, secret] of enc.entries) {
      this.fieldKeys.set(id, {
        id,
        encKey: deriveKey(secret, 'field/sm4-cbc', 16),
        macKey: deriveKey(secret, 'field/hmac-sm3', 32),
      });
    }
    for (const [id, secret] of idx.entries) this.indexKeys.set(id, { id, key: deriveKey(secret, 'blind-index', 32) });
    this.currentKeyId = enc.current;
    this.currentIndexKeyId = idx.current;
  }

  /** Builds a key ring from a parsed key file or its JSON text. */
  static fromJson(json: string | KeyFile): Keyring {
    let file: unknown = json;
    if (typeof json === 'string') {
      try {
        file = JSON.parse(json);
      } catch (e) {
        throw new KeyringError('invalid-keyring', `key file is not valid JSON: ${(e as Error).message}`);
      }
    }
    if (typeof file !== 'object' || file === null) throw new KeyringError('invalid-keyring', 'key file must be an object');
    return new Keyring(file as KeyFile);
  }

  static fromFile(path: string): Keyring {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new KeyringError('no-keyring', `cannot read key file ${path}: ${(e as Error).message}`);
    }
    return Keyring.fromJson(text);
  }

  /**
   * Loads the key ring from (first that is set): `options.file`; the environment variable (default `YIWANG_KEYRING`)
   * holding the key file JSON, or the same JSON base64-encoded; or a file named by `<variable>_FILE`.
   */
  static load(options: { file?: string; env?: NodeJS.ProcessEnv; variable?: string } = {}): Keyring {
    if (options.file) return Keyring.fromFile(options.file);
    const env = options.env ?? process.env;
    const variable = options.variable ?? DEFAULT_KEYRING_ENV;
    const value = env[variable]?.trim();
    if (value) {
      const text = value.startsWith('{') ? value : Buffer.from(value, 'base64').toString('utf8');
      return Keyring.fromJson(text);
    }
    const file = env[`${variable}_FILE`];
    if (file) return Keyring.fromFile(file);
    throw new KeyringError('no-keyring', `no key ring: set ${variable} (JSON) or ${variable}_FILE (path to the key file)`);
  }

  get currentKey(): FieldKey {
    return this.fieldKeys.get(this.currentKeyId)!;
  }

  get keyIds(): string[] {
    return [...this.fieldKeys.keys()];
  }

  /** Encryption key by id; throws KeyringError('unknown-key') when the ring does not hold it. */
  key(id: string): FieldKey {
    const k = this.fieldKeys.get(id);
    if (!k) throw new KeyringError('unknown-key', `encryption key '${id}' is not in the key ring`);
    return k;
  }

  hasKey(id: string): boolean {
    return this.fieldKeys.has(id);
  }

  get indexKeyIds(): string[] {
    return [...this.indexKeys.keys()];
  }

  indexKey(id: string = this.currentIndexKeyId): IndexKey {
    const k = this.indexKeys.get(id);
    if (!k) throw new KeyringError('unknown-key', `index key '${id}' is not in the key ring`);
    return k;
  }
}

function newSecret(): string {
  return randomBytes(32).toString('base64');
}

/** A fresh key file with one encryption key and one index key (for setup scripts and tests). */
export function generateKeyFile(ids: { encryption?: string; index?: string } = {}): KeyFile {
  const enc = ids.encryption ?? 'k1';
  const idx = ids.index ?? 'i1';
  const created = new Date().toISOString().slice(0, 10);
  return {
    encryption: { current: enc, keys: [{ id: enc, secret: newSecret(), created }] },
    index: { current: idx, keys: [{ id: idx, secret: newSecret(), created }] },
  };
}

/** Returns a copy of the key file with a new encryption key that becomes current; old keys stay for reading. */
export function addEncryptionKey(file: KeyFile, id: string): KeyFile {
  if (!KEY_ID.test(id)) throw new KeyringError('invalid-keyring', `key id must match ${KEY_ID}`);
  if (file.encryption.keys.some((k) => k.id === id)) throw new KeyringError('invalid-keyring', `key '${id}' exists`);
  return {
    ...file,
    encryption: {
      current: id,
      keys: [...file.encryption.keys, { id, secret: newSecret(), created: new Date().toISOString().slice(0, 10) }],
    },
  };
}
