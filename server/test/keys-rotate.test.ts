/**
 * `yiwang keys rotate`: a new key becomes current, every protected value in current and history rows is re-encrypted
 * (the old key id is in no row afterwards), re-running is a no-op, the old key can be retired and everything still
 * reads and is still found by exact search (the blind-index key does not change). A row written under the old key
 * after the rotation (a server that had not re-read the key file) blocks retirement until `reencrypt` ran.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { reencrypt, retireKey, rotateKeys, rowsUnderKey, sealPlaintext } from '../src/cli/keys.js';
import { generateKeyFile, Keyring, type KeyFile } from '../src/platform/crypto/index.js';
import { Repository } from '../src/platform/fhir/repository.js';
import { search } from '../src/platform/fhir/search/search.js';
import { parseSearchQuery } from '../src/platform/fhir/search/parse.js';
import { computeCheckCharacter } from '../src/platform/identity/id-number.js';
import { FieldProtection, loadKeys, writeKeyFile } from '../src/platform/protect/index.js';
import { closeApps, ENGINES, sharedApp } from './helpers/db.js';

afterAll(closeApps);

const RESIDENT_ID = 'urn:oid:2.16.156.10011.1.3';
const idNumber = (first17: string): string => first17 + computeCheckCharacter(first17);

const resident = (n: number): Patient => ({
  resourceType: 'Patient',
  identifier: [{ system: RESIDENT_ID, value: idNumber(`5113221975010${n}123`) }],
  name: [{ family: '陈', given: ['志强'] }],
  telecom: [{ system: 'phone', value: `1390817${String(n).padStart(4, '0')}` }],
  address: [{ line: [`人民路${n}号`], city: '南充市' }],
});

describe.each(ENGINES)('keys rotate on %s', (engine) => {
  it('re-encrypts current and history rows, retires the old key, and everything still reads and is found', async () => {
    const yiwang = await sharedApp(engine);
    const tenant = 't-' + randomUUID();
    // Unique key ids, so the rotation touches only this test's rows of the shared test database.
    const suffix = randomUUID().slice(0, 8);
    const keyFile = join(mkdtempSync(join(tmpdir(), 'yiwang-keys-')), 'field-keys.json');
    const initial: KeyFile = generateKeyFile({ encryption: `a${suffix}`, index: `i${suffix}` });
    writeKeyFile(keyFile, initial);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const repoWith = (keys: Keyring) => new Repository(yiwang.db, { tenant, protection: new FieldProtection(keys) }, yiwang.db);

    const before = repoWith(Keyring.fromJson(initial));
    const ids: string[] = [];
    for (let n = 1; n <= 7; n++) ids.push((await before.create(resident(n))).resource.id as string);
    await before.update('Patient', ids[0], { ...resident(1), id: ids[0], gender: 'male' });
    expect(await rowsUnderKey(yiwang.db, `a${suffix}`)).toBe(15); // 7 current rows, 8 history rows

    const lines: string[] = [];
    const result = await rotateKeys(yiwang.db, keyFile, { keyId: `b${suffix}`, batchSize: 3, log: (l) => lines.push(l) });
    expect(result).toMatchObject({ keyId: `b${suffix}`, rows: 15, skipped: 0, failed: [] }); // 7 current + 8 history
    expect(lines.join('\n')).toMatch(/re-encrypted 15 row/);
    expect(await rowsUnderKey(yiwang.db, `a${suffix}`)).toBe(0);
    const rotated = JSON.parse(readFileSync(keyFile, 'utf8')) as KeyFile;
    expect(rotated.encryption.current).toBe(`b${suffix}`);
    expect(rotated.index).toEqual(initial.index);

    // Idempotent: nothing left to do.
    expect((await reencrypt(yiwang.db, Keyring.fromJson(rotated))).rows).toBe(0);

    // A writer whose key ring still has the old key as current (a server that had not re-read the key file) writes
    // under it: retiring is refused until re-encrypted.
    const stale = repoWith(Keyring.fromJson({ ...rotated, encryption: { ...rotated.encryption, current: `a${suffix}` } }));
    ids.push((await stale.create(resident(8))).resource.id as string);
    await expect(retireKey(yiwang.db, keyFile, `a${suffix}`)).rejects.toThrow(/2 row\(s\) still use key/);
    expect((await reencrypt(yiwang.db, Keyring.fromJson(rotated))).rows).toBe(2);
    await retireKey(yiwang.db, keyFile, `a${suffix}`);
    const retired = Keyring.fromFile(keyFile);
    expect(retired.keyIds).toEqual([`b${suffix}`]);

    // Everything reads with the new key alone, and exact search still finds by the unchanged blind indexes.
    const after = repoWith(retired);
    const p1 = (await after.read('Patient', ids[0])) as Patient;
    expect(p1.identifier?.[0].value).toBe(resident(1).identifier?.[0].value);
    expect(((await after.vread('Patient', ids[0], '1')) as Patient).address?.[0].line).toEqual(['人民路1号']);
    expect(((await after.read('Patient', ids[6])) as Patient).telecom?.[0].value).toBe('13908170007');
    const found = (
      await search(after, parseSearchQuery('Patient', { phone: '13908170005' }), {
        baseUrl: 'urn:test',
        queryString: [],
        linkPath: 'Patient',
      })
    ).parse<Bundle>();
    expect(found.entry?.map((e) => e.resource?.id)).toEqual([ids[4]]);
    // The old key ring cannot read the rotated data any more (its key is gone from the rows).
    await expect(before.read('Patient', ids[2])).rejects.toThrow(/key this server does not hold/);
  }, 180_000);
  it('seals rows written before encryption was enabled: content, history, token columns and search_string', async () => {
    const yiwang = await sharedApp(engine);
    const tenant = 't-' + randomUUID();
    const keyring = Keyring.fromJson(generateKeyFile());
    /** A store without encryption, as before this feature. */
    class Plain extends FieldProtection {
      override seal(resource: Resource): string {
        return JSON.stringify(resource);
      }
    }
    const legacy = new Repository(yiwang.db, { tenant, protection: new Plain(keyring) }, yiwang.db);
    const a = (await legacy.create(resident(1))).resource.id as string;
    await legacy.update('Patient', a, { ...resident(1), id: a, gender: 'male' });
    await legacy.create(resident(2));
    const dump = async () =>
      (
        await yiwang.db.query<{ t: string }>(
          `SELECT t::text AS t FROM "Patient" t WHERE tenant = $1 UNION ALL SELECT t::text FROM "Patient_History" t WHERE tenant = $1
           UNION ALL SELECT t::text FROM search_string t WHERE tenant = $1`,
          [tenant],
        )
      ).rows
        .map((r) => r.t)
        .join('\n');
    expect(await dump()).toContain('13908170001');

    expect(await sealPlaintext(yiwang.db, keyring, { tenants: [tenant], batchSize: 2 })).toEqual({ rows: 5, skipped: 0 });
    const stored = await dump();
    for (const secret of ['13908170001', '13908170002', resident(1).identifier![0].value!, '人民路1号'])
      expect(stored).not.toContain(secret);
    expect(await sealPlaintext(yiwang.db, keyring, { tenants: [tenant] })).toEqual({ rows: 0, skipped: 0 });

    const repo = new Repository(yiwang.db, { tenant, protection: new FieldProtection(keyring) }, yiwang.db);
    expect(((await repo.vread('Patient', a, '1')) as Patient).telecom?.[0].value).toBe('13908170001');
    const find = async (query: Record<string, string>) =>
      (await search(repo, parseSearchQuery('Patient', query), { baseUrl: 'urn:test', queryString: [], linkPath: 'Patient' }))
        .parse<Bundle>()
        .entry?.map((e) => e.resource?.id);
    expect(await find({ phone: '13908170001' })).toEqual([a]);
    expect(await find({ identifier: `${RESIDENT_ID}|${resident(1).identifier![0].value}` })).toEqual([a]);
    expect(await find({ 'address-city': '南充市' })).toHaveLength(2);
  }, 180_000);
});

describe('field keys', () => {
  it('come from a key file, from YIWANG_FIELD_KEYS (JSON or base64), are generated in memory, or created 0600 with a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'yiwang-keys-'));
    const file = generateKeyFile({ encryption: 'k7', index: 'i7' });
    writeKeyFile(join(dir, 'keys.json'), file);
    expect(loadKeys({ keyFile: join(dir, 'keys.json'), dataDir: dir, memory: false })).toMatchObject({ source: 'key-file' });
    const json = JSON.stringify(file);
    for (const fieldKeys of [json, Buffer.from(json).toString('base64')]) {
      const loaded = loadKeys({ fieldKeys, dataDir: dir, memory: false });
      expect(loaded.source).toBe('environment');
      expect(loaded.keyring.currentKeyId).toBe('k7');
    }
    expect(loadKeys({ dataDir: dir, memory: true }).source).toBe('generated');
    expect(existsSync(join(dir, 'field-keys.json'))).toBe(false);

    const warn = vi.fn();
    const created = loadKeys({ dataDir: join(dir, 'data'), memory: false }, warn);
    expect(created).toMatchObject({ source: 'created', file: join(dir, 'data', 'field-keys.json') });
    expect(statSync(join(dir, 'data', 'field-keys.json')).mode & 0o777).toBe(0o600);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/Production must supply its own keys/));
    // The next start reads the same file: the data stays readable.
    const again = loadKeys({ dataDir: join(dir, 'data'), memory: false }, warn);
    expect(again.source).toBe('key-file');
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('report a failed integrity check to the log hook and never return wrong plaintext', () => {
    const failures: string[] = [];
    const protection = new FieldProtection(Keyring.fromJson(generateKeyFile()), { onIntegrityFailure: (where) => failures.push(where) });
    const p = { ...resident(3), id: 'p3' };
    const sealed = protection.seal(p, null, { resourceType: 'Patient' } as never);
    expect(protection.revealText(sealed)).toBe(JSON.stringify(p));
    const obs = '{"resourceType":"Observation","id":"o1","status":"final"}';
    expect(protection.revealText(obs)).toBe(obs); // unprotected type: the same string, nothing parsed
    const at = sealed.indexOf('"v1:') + 40;
    const tampered = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
    expect(() => protection.revealText(tampered)).toThrow(/failed its integrity check/);
    expect(failures).toEqual(['Patient/p3#identifier']);
  });
});
