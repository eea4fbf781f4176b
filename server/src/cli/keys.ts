/**
 * `yiwang keys rotate | reencrypt | retire ID | status`: field encryption key rotation (docs/encryption-at-rest.md).
 *
 * rotate    adds a new encryption key to the key file and makes it current, then runs `reencrypt`.
 * reencrypt re-encrypts, in batches, every protected value still under an older key, in current and history rows of
 *           every protected type and every tenant. Resumable and idempotent: it only selects rows that still hold an
 *           older key id, so an interrupted run just starts again; a row changed meanwhile is left for the next run.
 * retire ID removes a key from the key file once no row uses it any more.
 * seal      encrypts rows written before encryption was enabled (and rewrites their search values).
 * Blind indexes use a separate index key that none of these touch, so exact search works throughout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { addEncryptionKey, FieldCryptoError, Keyring, type KeyFile } from '../platform/crypto/index.js';
import type { Resource } from '@medplum/fhirtypes';
import type { Database, Queryable } from '../platform/db/database.js';
import { extractSearchValues } from '../platform/fhir/extract.js';
import { replaceStrings } from '../platform/fhir/rows.js';
import { getTableModel } from '../platform/fhir/schema.js';
import { reencryptSealedColumns, sealedUnderKey } from './keys-columns.js';
import { FieldProtection, PROTECTED_TYPES, writeKeyFile } from '../platform/protect/index.js';
import { Progress } from './progress.js';

export interface ReencryptResult {
  /** Rows rewritten. */
  rows: number;
  /** Rows skipped: changed by a writer meanwhile (picked up by the next run) or failing their integrity check. */
  skipped: number;
  /** Rows whose values failed their integrity check (reported, left as they are). */
  failed: string[];
}

type Log = (line: string) => void;

function readKeyFile(file: string): KeyFile {
  if (!existsSync(file)) throw new Error(`no key file at ${file} (set YIWANG_KEY_FILE or --key-file)`);
  const text = readFileSync(file, 'utf8');
  Keyring.fromJson(text); // validates
  return JSON.parse(text) as KeyFile;
}

/** The next free key id: k1, k2, … */
function nextKeyId(file: KeyFile): string {
  const used = new Set(file.encryption.keys.map((k) => k.id));
  let n = file.encryption.keys.length + 1;
  while (used.has(`k${n}`)) n++;
  return `k${n}`;
}

const likeKey = (id: string): string => `%"v1:${id.replace(/[\\%_]/g, (c) => '\\' + c)}:%`;

/** SQL condition "the content holds a value under one of these keys" and its parameters from $first on. */
function underKeys(ids: string[], first: number): { sql: string; params: string[] } {
  return { sql: '(' + ids.map((_, i) => `content LIKE $${first + i}`).join(' OR ') + ')', params: ids.map(likeKey) };
}

export async function reencrypt(
  db: Queryable,
  keyring: Keyring,
  options: { batchSize?: number; log?: Log } = {},
): Promise<ReencryptResult> {
  const log = options.log ?? (() => {});
  const batch = options.batchSize ?? 500;
  const old = keyring.keyIds.filter((id) => id !== keyring.currentKeyId);
  const result: ReencryptResult = { rows: 0, skipped: 0, failed: [] };
  if (!old.length) {
    log(`only key '${keyring.currentKeyId}' in the key ring: nothing to re-encrypt`);
    return result;
  }
  const protection = new FieldProtection(keyring);
  for (const type of PROTECTED_TYPES.keys()) {
    const model = getTableModel(type);
    if (!model) continue;
    for (const [table, history] of [
      [model.table, false],
      [model.history, true],
    ] as const) {
      const progress = new Progress(`re-encrypting ${table}`);
      const pk = history ? ['tenant', 'id', 'version'] : ['tenant', 'id'];
      let after: unknown[] | undefined;
      for (;;) {
        const cond = underKeys(old, 1);
        const params: unknown[] = [...cond.params];
        let keyset = '';
        if (after) {
          keyset = ` AND (${pk.join(', ')}) > (${after.map((_, i) => `$${params.length + i + 1}`).join(', ')})`;
          params.push(...after);
        }
        const { rows } = await db.query<{ tenant: string; id: string; version?: number; content: string }>(
          `SELECT ${pk.join(', ')}, content FROM ${table} WHERE ${cond.sql}${keyset} ORDER BY ${pk.join(', ')} LIMIT ${batch}`,
          params,
        );
        if (!rows.length) break;
        const changes: { tenant: string; id: string; version: number | null; old: string; new: string }[] = [];
        for (const r of rows) {
          try {
            const next = protection.rotateText(r.content);
            if (next) changes.push({ tenant: r.tenant, id: r.id, version: r.version ?? null, old: r.content, new: next });
          } catch (e) {
            if (!(e instanceof FieldCryptoError)) throw e;
            result.failed.push(`${table} ${r.tenant}/${r.id}${history ? `/_history/${r.version}` : ''}: ${e.message}`);
          }
        }
        if (changes.length) {
          // Compare-and-set on the old text: a concurrent write wins and its row is picked up by the next run.
          const res = await db.query(
            `UPDATE ${table} t SET content = v.new FROM json_to_recordset($1::json) AS v(tenant text, id text, version int, old text, new text) ` +
              `WHERE t.tenant = v.tenant AND t.id = v.id${history ? ' AND t.version = v.version' : ''} AND t.content = v.old`,
            [JSON.stringify(changes)],
          );
          result.rows += res.rowCount;
          result.skipped += changes.length - res.rowCount;
        }
        progress.add(rows.length);
        const last = rows[rows.length - 1];
        after = history ? [last.tenant, last.id, last.version] : [last.tenant, last.id];
      }
      progress.finish();
    }
  }
  const sealed = await reencryptSealedColumns(db, keyring);
  result.rows += sealed.rows;
  result.failed.push(...sealed.failed);
  result.skipped += result.failed.length;
  log(`re-encrypted ${result.rows} row(s) under key '${keyring.currentKeyId}'${result.skipped ? `, ${result.skipped} skipped` : ''}`);
  for (const f of result.failed) log(`  integrity check failed: ${f}`);
  return result;
}

/**
 * Encrypts rows written before encryption was enabled (or by a server without it): every current and history row of a
 * protected type still holding a protected value in plaintext gets it sealed; current rows also get their search
 * values rewritten (blind indexes in the token columns, address lines out of search_string). Full scan in primary-key
 * order, in batches; idempotent (sealed rows are skipped) and resumable. Each row is a compare-and-set on its old text.
 */
export async function sealPlaintext(
  db: Queryable & { transaction?: Database['transaction'] },
  keyring: Keyring,
  options: { batchSize?: number; log?: Log; tenants?: string[] } = {},
): Promise<{ rows: number; skipped: number }> {
  const batch = options.batchSize ?? 500;
  const protection = new FieldProtection(keyring);
  const result = { rows: 0, skipped: 0 };
  for (const type of PROTECTED_TYPES.keys()) {
    const model = getTableModel(type);
    if (!model) continue;
    for (const history of [false, true]) {
      const table = history ? model.history : model.table;
      const pk = history ? ['tenant', 'id', 'version'] : ['tenant', 'id'];
      const progress = new Progress(`sealing ${table}`);
      let after: unknown[] | undefined;
      for (;;) {
        const params: unknown[] = [];
        const where: string[] = ['NOT deleted'];
        if (options.tenants) where.push(`tenant = ANY($${params.push(options.tenants)}::text[])`);
        if (after) where.push(`(${pk.join(', ')}) > (${after.map((v) => `$${params.push(v)}`).join(', ')})`);
        const { rows } = await db.query<{ tenant: string; id: string; version?: number; content: string }>(
          `SELECT ${pk.join(', ')}, content FROM ${table} WHERE ${where.join(' AND ')} ORDER BY ${pk.join(', ')} LIMIT ${batch}`,
          params,
        );
        if (!rows.length) break;
        for (const r of rows) {
          const stored = JSON.parse(r.content) as Resource;
          if (!protection.hasPlaintext(stored)) continue;
          // Values already encrypted are decrypted first, so a half-sealed row comes out whole.
          protection.revealResource(stored as unknown as Record<string, unknown>);
          const extracted = history ? null : extractSearchValues(stored, model);
          const content = protection.seal(stored, extracted, model);
          const cols = history ? [] : protection.protectedColumns(model);
          const sets = ['content = $4', ...cols.map((c, i) => `${c} = $${i + 5}`)].join(', ');
          const key = history ? ' AND version = $5' : '';
          const values = [
            r.tenant,
            r.id,
            r.content,
            content,
            ...(history ? [r.version] : cols.map((c) => extracted?.columns.get(c) ?? null)),
          ];
          const write = async (q: Queryable): Promise<boolean> => {
            const res = await q.query(`UPDATE ${table} SET ${sets} WHERE tenant = $1 AND id = $2 AND content = $3${key}`, values);
            if (!res.rowCount) return false;
            if (extracted) await replaceStrings(q, model, r.tenant, r.id, extracted.strings);
            return true;
          };
          const done = db.transaction ? await db.transaction(write) : await write(db);
          if (done) result.rows++;
          else result.skipped++;
        }
        progress.add(rows.length);
        const last = rows[rows.length - 1];
        after = history ? [last.tenant, last.id, last.version] : [last.tenant, last.id];
      }
      progress.finish();
    }
  }
  options.log?.(
    `sealed ${result.rows} row(s) holding plaintext${result.skipped ? `, ${result.skipped} changed meanwhile (run again)` : ''}`,
  );
  return result;
}

/** Adds a key, makes it current (written to the key file first, so a crash never leaves data under an unknown key) and re-encrypts. */
export async function rotateKeys(
  db: Queryable,
  keyFile: string,
  options: { keyId?: string; batchSize?: number; log?: Log } = {},
): Promise<ReencryptResult & { keyId: string }> {
  const file = readKeyFile(keyFile);
  const keyId = options.keyId ?? nextKeyId(file);
  const next = addEncryptionKey(file, keyId);
  writeKeyFile(keyFile, next);
  options.log?.(`new encryption key '${keyId}' is current in ${keyFile}; old keys stay for reading until retired`);
  return { keyId, ...(await reencrypt(db, Keyring.fromJson(next), options)) };
}

/** Rows (current and history) still holding a value under `keyId`. */
export async function rowsUnderKey(db: Queryable, keyId: string): Promise<number> {
  let n = 0;
  for (const type of PROTECTED_TYPES.keys()) {
    const model = getTableModel(type);
    if (!model) continue;
    for (const table of [model.table, model.history]) {
      const { rows } = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${table} WHERE content LIKE $1`, [likeKey(keyId)]);
      n += Number(rows[0].n);
    }
  }
  return n + (await sealedUnderKey(db, keyId));
}

/** Removes an old key from the key file; refuses while any row still uses it or when it is the current key. */
export async function retireKey(db: Queryable, keyFile: string, keyId: string, log: Log = () => {}): Promise<void> {
  const file = readKeyFile(keyFile);
  if (file.encryption.current === keyId) throw new Error(`key '${keyId}' is the current key; rotate first`);
  if (!file.encryption.keys.some((k) => k.id === keyId)) throw new Error(`key '${keyId}' is not in ${keyFile}`);
  const n = await rowsUnderKey(db, keyId);
  if (n) throw new Error(`${n} row(s) still use key '${keyId}'; run 'yiwang keys reencrypt' first`);
  writeKeyFile(keyFile, { ...file, encryption: { ...file.encryption, keys: file.encryption.keys.filter((k) => k.id !== keyId) } });
  log(`key '${keyId}' removed from ${keyFile}`);
}

/** One line per key: id, current or not, rows using it. */
export async function keyStatus(db: Queryable, keyFile: string, log: Log): Promise<void> {
  const file = readKeyFile(keyFile);
  for (const k of file.encryption.keys) {
    const current = k.id === file.encryption.current ? ' (current)' : '';
    log(`encryption key ${k.id}${current}: ${await rowsUnderKey(db, k.id)} row(s)`);
  }
  log(`index key ${file.index.current} (blind indexes; not rotated by 'keys rotate')`);
}
