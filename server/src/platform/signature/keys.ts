/**
 * SM2 signing keys of signers (practitioners). A key is created on a signer's first signature; its private
 * half never leaves the server and is stored SM4-encrypted. Retired keys stay for verifying old signatures.
 *
 * Production deployments with a national CA (e.g. certificates on USB keys) would sign on the client and
 * register only the public key; the verification side below stays the same.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { decryptField, encryptField } from '../crypto/field.js';
import type { Keyring } from '../crypto/keyring.js';
import { generateSm2KeyPair } from '../crypto/sm2.js';

export interface SigningKey {
  keyId: string;
  signer: string;
  publicKey: string;
  createdAt: string;
  retiredAt?: string;
}

interface KeyRow {
  key_id: string;
  signer: string;
  public_key: string;
  private_key: string;
  created_at: Date | string;
  retired_at: Date | string | null;
}

const context = (keyId: string) => `signing_key/${keyId}`;
const iso = (v: Date | string) => new Date(v).toISOString();

function toKey(r: KeyRow): SigningKey {
  return {
    keyId: r.key_id,
    signer: r.signer,
    publicKey: r.public_key,
    createdAt: iso(r.created_at),
    ...(r.retired_at ? { retiredAt: iso(r.retired_at) } : {}),
  };
}

/** The signer's active key with its private half, created on first use. */
export async function activeKey(
  db: Queryable,
  keyring: Keyring,
  tenant: string,
  signer: string,
): Promise<SigningKey & { privateKey: string }> {
  const found = await db.query<KeyRow>(`SELECT * FROM signing_key WHERE tenant = $1 AND signer = $2 AND retired_at IS NULL`, [
    tenant,
    signer,
  ]);
  let row = found.rows[0];
  if (!row) {
    const pair = generateSm2KeyPair();
    const keyId = randomUUID();
    const inserted = await db.query<KeyRow>(
      `INSERT INTO signing_key (tenant, key_id, signer, public_key, private_key) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant, signer) WHERE retired_at IS NULL DO NOTHING RETURNING *`,
      [tenant, keyId, signer, pair.publicKey, encryptField(pair.privateKey, keyring, { context: context(keyId) })],
    );
    // Two first signatures at once: the other one created the key.
    row =
      inserted.rows[0] ??
      (await db.query<KeyRow>(`SELECT * FROM signing_key WHERE tenant = $1 AND signer = $2 AND retired_at IS NULL`, [tenant, signer]))
        .rows[0];
  }
  return { ...toKey(row!), privateKey: decryptField(row!.private_key, keyring, { context: context(row!.key_id) }) };
}

export async function findKey(db: Queryable, tenant: string, keyId: string): Promise<SigningKey | undefined> {
  const r = await db.query<KeyRow>(`SELECT * FROM signing_key WHERE tenant = $1 AND key_id = $2`, [tenant, keyId]);
  return r.rows[0] ? toKey(r.rows[0]) : undefined;
}

/** Retires the signer's active key (lost device, staff leaving); the next signature creates a new one. */
export async function retireKey(db: Queryable, tenant: string, signer: string): Promise<number> {
  const r = await db.query(`UPDATE signing_key SET retired_at = now() WHERE tenant = $1 AND signer = $2 AND retired_at IS NULL`, [
    tenant,
    signer,
  ]);
  return r.rowCount ?? 0;
}
