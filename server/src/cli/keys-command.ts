/** `yiwang keys …` as the CLI runs it: opens the database, works on the configured key file, prints progress. */
import type { Config } from '../config.js';
import { openDatabase } from '../platform/db/database.js';
import { migrate } from '../platform/db/migrate.js';
import { loadDefinitions } from '../platform/fhir/definitions.js';
import { Keyring } from '../platform/crypto/index.js';
import { keyFilePath } from '../platform/protect/index.js';
import { keyStatus, reencrypt, retireKey, rotateKeys, sealPlaintext } from './keys.js';

const USAGE = 'usage: yiwang keys rotate [--key-id ID] | reencrypt | retire ID | seal | status   [--key-file PATH]';

export async function runKeysCommand(config: Config, sub: string | undefined, arg: string | undefined, keyId?: string): Promise<number> {
  if (!sub || !['rotate', 'reencrypt', 'retire', 'seal', 'status'].includes(sub)) throw new Error(USAGE);
  if (!config.keyFile && config.fieldKeys) {
    throw new Error('the keys come from YIWANG_FIELD_KEYS: rotation needs them in a key file (YIWANG_KEY_FILE)');
  }
  const file = keyFilePath(config);
  const log = (line: string): void => void process.stdout.write(line + '\n');
  loadDefinitions();
  const db = await openDatabase(config);
  try {
    await migrate(db);
    switch (sub) {
      case 'rotate': {
        const r = await rotateKeys(db, file, { keyId, log });
        return r.failed.length ? 1 : 0;
      }
      case 'reencrypt': {
        const r = await reencrypt(db, Keyring.fromFile(file), { log });
        return r.failed.length ? 1 : 0;
      }
      case 'seal':
        await sealPlaintext(db, Keyring.fromFile(file), { log });
        return 0;
      case 'retire':
        if (!arg) throw new Error(USAGE);
        await retireKey(db, file, arg, log);
        return 0;
      default:
        await keyStatus(db, file, log);
        return 0;
    }
  } finally {
    await db.close();
  }
}
