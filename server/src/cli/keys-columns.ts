/**
 * Platform secrets sealed whole with the field keyring outside the resource tables: TOTP secrets, SM2 signing keys,
 * raw HL7 messages, uploaded bulk input. A key rotation re-encrypts them too, and a key is retired only when none
 * of them uses it any more. Each value is bound to its row by its MAC context, given here per table.
 */
import type { Queryable } from '../platform/db/database.js';
import { FieldCryptoError, rotate } from '../platform/crypto/field.js';
import type { Keyring } from '../platform/crypto/keyring.js';

interface SealedColumn {
  table: string;
  key: string[];
  column: string;
  context: (row: Record<string, string>) => string;
}

export const SEALED_COLUMNS: SealedColumn[] = [
  { table: 'auth_user', key: ['tenant', 'id'], column: 'totp_secret', context: (r) => `auth_user/${r.tenant}/${r.id}#totp` },
  { table: 'signing_key', key: ['tenant', 'key_id'], column: 'private_key', context: (r) => `signing_key/${r.key_id}` },
  { table: 'hl7_message', key: ['tenant', 'id'], column: 'raw', context: (r) => `hl7_message/${r.tenant}/${r.id}` },
  { table: 'bulk_file', key: ['tenant', 'job_id', 'name', 'part'], column: 'content', context: (r) => `bulk_file/${r.job_id}` },
];

const underKey = (keyId: string) => `v1:${keyId.replace(/[\\%_]/g, '\\$&')}:%`;

/** Rows of these tables still holding a value sealed under `keyId`. */
export async function sealedUnderKey(db: Queryable, keyId: string): Promise<number> {
  let n = 0;
  for (const c of SEALED_COLUMNS) {
    const { rows } = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${c.table} WHERE ${c.column} LIKE $1`, [
      underKey(keyId),
    ]);
    n += Number(rows[0]?.n ?? 0);
  }
  return n;
}

/** Re-encrypts every such value under an old key with the current key; returns rows changed and failures. */
export async function reencryptSealedColumns(db: Queryable, keyring: Keyring): Promise<{ rows: number; failed: string[] }> {
  const old = keyring.keyIds.filter((id) => id !== keyring.currentKeyId);
  const result = { rows: 0, failed: [] as string[] };
  for (const c of SEALED_COLUMNS) {
    for (const keyId of old) {
      // Rows that fail their integrity check stay under the old key: skip past them (they sort first by key).
      let failures = 0;
      for (;;) {
        const { rows } = await db.query<Record<string, string>>(
          `SELECT ${c.key.join(', ')}, ${c.column} AS value FROM ${c.table} WHERE ${c.column} LIKE $1 ORDER BY ${c.key.join(', ')} LIMIT 500 OFFSET ${failures}`,
          [underKey(keyId)],
        );
        if (!rows.length) break;
        let changed = 0;
        for (const row of rows) {
          const where = c.key.map((k, i) => `${k} = $${i + 3}`).join(' AND ');
          try {
            const next = rotate(row.value!, keyring, { context: c.context(row) });
            const res = await db.query(`UPDATE ${c.table} SET ${c.column} = $1 WHERE ${c.column} = $2 AND ${where}`, [
              next,
              row.value,
              ...c.key.map((k) => row[k]),
            ]);
            changed += res.rowCount ?? 0;
          } catch (e) {
            if (!(e instanceof FieldCryptoError)) throw e;
            failures++;
            result.failed.push(`${c.table} ${c.key.map((k) => row[k]).join('/')}: ${e.message}`);
          }
        }
        result.rows += changed;
        if (rows.length < 500) break;
      }
    }
  }
  return result;
}
