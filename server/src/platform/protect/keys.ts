/**
 * Where the field keys come from (first that applies):
 * 1. `YIWANG_KEY_FILE` / `--key-file`: a key file (JSON, format in crypto/keyring.ts);
 * 2. `YIWANG_FIELD_KEYS`: the same JSON, verbatim or base64-encoded (for secret stores that inject variables);
 * 3. in-memory runs (`--memory`, tests): a key generated for the process;
 * 4. otherwise `<data-dir>/field-keys.json`, created (mode 0600) on first start with a warning: production must
 *    supply its keys, kept apart from database backups.
 */
import { existsSync, linkSync, mkdirSync, renameSync, unlinkSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateKeyFile, Keyring, type KeyFile } from '../crypto/keyring.js';

export const DEFAULT_KEY_FILE_NAME = 'field-keys.json';

export interface KeySettings {
  keyFile?: string;
  fieldKeys?: string;
  dataDir: string;
  memory: boolean;
}

export interface LoadedKeys {
  keyring: Keyring;
  source: 'key-file' | 'environment' | 'generated' | 'created';
  /** The key file, when the keys live in one (rotation writes it, the server re-reads it). */
  file?: string;
}

/** The key file that `yiwang keys` works on: the configured one or the default in the data directory. */
export function keyFilePath(settings: KeySettings): string {
  return settings.keyFile ?? join(settings.dataDir, DEFAULT_KEY_FILE_NAME);
}

export function loadKeys(settings: KeySettings, warn: (message: string) => void = () => {}): LoadedKeys {
  if (settings.keyFile) return { keyring: Keyring.fromFile(settings.keyFile), source: 'key-file', file: settings.keyFile };
  const env = settings.fieldKeys?.trim();
  if (env) {
    const text = env.startsWith('{') ? env : Buffer.from(env, 'base64').toString('utf8');
    return { keyring: Keyring.fromJson(text), source: 'environment' };
  }
  if (settings.memory) return { keyring: Keyring.fromJson(generateKeyFile()), source: 'generated' };
  const file = keyFilePath(settings);
  if (existsSync(file)) return { keyring: Keyring.fromFile(file), source: 'key-file', file };
  createKeyFile(file, generateKeyFile());
  warn(
    `Field encryption keys were generated in ${file}. Production must supply its own keys (YIWANG_KEY_FILE or ` +
      'YIWANG_FIELD_KEYS), stored apart from database backups: losing them makes ID numbers, phones and addresses unreadable.',
  );
  return { keyring: Keyring.fromFile(file), source: 'created', file };
}

/** Writes a new key file; never replaces one (another process may have created it a moment ago). */
function createKeyFile(file: string, keys: KeyFile): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
  try {
    linkSync(tmp, file); // atomic, fails when the file exists
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** Replaces a key file atomically (rotation): readers see the old or the new file, never half of one. */
export function writeKeyFile(file: string, keys: KeyFile): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** A reload function for FieldProtection: re-reads the key file when it changed (at most once a second). */
export function keyFileReloader(file: string): () => Keyring | undefined {
  let lastCheck = 0;
  let lastMtime = statSync(file).mtimeMs;
  return () => {
    const now = Date.now();
    if (now - lastCheck < 1000) return undefined;
    lastCheck = now;
    const mtime = statSync(file).mtimeMs;
    if (mtime === lastMtime) return undefined;
    lastMtime = mtime;
    return Keyring.fromFile(file);
  };
}
