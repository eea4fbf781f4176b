/** Encryption at rest of residents' sensitive fields: see docs/encryption-at-rest.md. */
import type { Queryable } from '../db/database.js';
import { keyFileReloader, loadKeys, type KeySettings } from './keys.js';
import { attachProtection, FieldProtection } from './protection.js';

export * from './fields.js';
export * from './keys.js';
export * from './protection.js';

interface Logger {
  warn(message: string): void;
  error(details: object, message: string): void;
}

/** Loads the keys (keys.ts) and makes every Repository over `db` encrypt and decrypt with them. */
export function protectDatabase(db: Queryable, settings: KeySettings, log: Logger): FieldProtection {
  const loaded = loadKeys(settings, (m) => log.warn(m));
  const protection = new FieldProtection(loaded.keyring, {
    // After `yiwang keys rotate` a running server meets values under the new key: it re-reads the key file.
    reload: loaded.file ? keyFileReloader(loaded.file) : undefined,
    onIntegrityFailure: (where, err) => log.error({ where, code: err.code }, `field decryption failed: ${err.message}`),
  });
  attachProtection(db, protection);
  return protection;
}
