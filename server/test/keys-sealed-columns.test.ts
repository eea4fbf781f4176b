/**
 * Key rotation covers the secrets sealed whole outside the resource tables (here an SM2 signing key): after
 * re-encryption no row uses the old key, the key still works, and a tampered value is reported, not rotated.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { reencryptSealedColumns, sealedUnderKey } from '../src/cli/keys-columns.js';
import { addEncryptionKey, generateKeyFile, Keyring } from '../src/platform/crypto/index.js';
import { sm2Sign, sm2Verify } from '../src/platform/crypto/sm2.js';
import { activeKey } from '../src/platform/signature/keys.js';
import { closeApps, ENGINES, sharedApp } from './helpers/db.js';

afterAll(closeApps);

describe.each(ENGINES)('rotation of sealed platform secrets (%s)', (engine) => {
  it('re-encrypts signing keys under the new key and reports tampered ones', async () => {
    const { db } = await sharedApp(engine);
    const tenant = 't-' + randomUUID();
    const suffix = randomUUID().slice(0, 8);
    const first = generateKeyFile({ encryption: `a${suffix}`, index: `i${suffix}` });
    const oldRing = Keyring.fromJson(first);
    const signer = await activeKey(db, oldRing, tenant, 'Practitioner/dr-1');
    await activeKey(db, oldRing, tenant, 'Practitioner/dr-2');
    await db.query(`UPDATE signing_key SET private_key = private_key || 'x' WHERE tenant = $1 AND signer = 'Practitioner/dr-2'`, [tenant]);
    expect(await sealedUnderKey(db, `a${suffix}`)).toBe(2);

    const newRing = Keyring.fromJson(addEncryptionKey(first, `b${suffix}`));
    const result = await reencryptSealedColumns(db, newRing);
    expect(result.rows).toBe(1);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatch(/signing_key/);
    expect(await sealedUnderKey(db, `a${suffix}`)).toBe(1);
    expect(await sealedUnderKey(db, `b${suffix}`)).toBe(1);

    const again = await activeKey(db, newRing, tenant, 'Practitioner/dr-1');
    expect(again.keyId).toBe(signer.keyId);
    expect(again.privateKey).toBe(signer.privateKey);
    expect(sm2Verify('报告', sm2Sign('报告', again.privateKey), again.publicKey)).toBe(true);
  });
});
