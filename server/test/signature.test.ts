/**
 * SM2 electronic signatures over HTTP: a doctor signs a report, anyone who may see it verifies it; an edit
 * leaves the old signature valid for the old version only; tampering with a stored version is detected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';

afterAll(closeApps);

const part = (p: any, name: string) => p.part.find((x: any) => x.name === name);
const signatures = (res: { json(): any }) => res.json().parameter.filter((p: any) => p.name === 'signature');
const flag = (res: { json(): any }, name: string) => res.json().parameter.find((p: any) => p.name === name)?.valueBoolean;

describe.each(ENGINES)('SM2 signatures (%s)', (engine) => {
  let admin: TestClient;
  let doctor: TestClient;

  beforeAll(async () => {
    admin = await testClient(engine);
    for (const r of [
      { resourceType: 'Organization', id: 'H', name: '南川区人民医院' },
      { resourceType: 'Organization', id: 'T2', name: '南平镇卫生院' },
      { resourceType: 'Practitioner', id: 'dr-he', name: [{ text: '何放射' }] },
      { resourceType: 'Patient', id: 'p1', name: [{ text: '王芳' }], managingOrganization: { reference: 'Organization/H' } },
      { resourceType: 'Patient', id: 'p2', name: [{ text: '赵强' }], managingOrganization: { reference: 'Organization/T2' } },
      {
        resourceType: 'DiagnosticReport',
        id: 'r1',
        status: 'final',
        code: { text: '胸部正位片' },
        subject: { reference: 'Patient/p1' },
        conclusion: '双肺纹理清晰，未见明显实变。',
      },
      { resourceType: 'DiagnosticReport', id: 'r2', status: 'final', code: { text: '胸部正位片' }, subject: { reference: 'Patient/p2' } },
    ]) {
      const res = await admin.request('PUT', `${r.resourceType}/${r.id}`, r);
      expect(res.statusCode, res.body).toBeLessThan(300);
    }
    doctor = await admin.as({ roles: ['county-specialist'], organizationId: 'H', practitionerId: 'dr-he', username: 'dr.he' });
  });

  it('signs the current version and verifies it; an edit needs a new signature', async () => {
    const signed = await doctor.request('POST', 'DiagnosticReport/r1/$sign');
    expect(signed.statusCode, signed.body).toBe(201);
    const provenance = signed.json();
    expect(provenance.resourceType).toBe('Provenance');
    expect(provenance.target[0].reference).toBe('DiagnosticReport/r1/_history/1');
    expect(provenance.signature[0]).toMatchObject({ sigFormat: 'application/x-sm2-signature', who: { reference: 'Practitioner/dr-he' } });
    expect(provenance.agent[0].onBehalfOf.reference).toBe('Organization/H');

    let verified = await doctor.get('DiagnosticReport/r1/$verify-signature');
    expect(verified.statusCode).toBe(200);
    expect(flag(verified, 'signedAndValid')).toBe(true);
    expect(part(signatures(verified)[0], 'valid').valueBoolean).toBe(true);

    const current = (await admin.get('DiagnosticReport/r1')).json();
    await admin.request('PUT', 'DiagnosticReport/r1', { ...current, meta: undefined, conclusion: '右下肺少许炎症。' });
    verified = await doctor.get('DiagnosticReport/r1/$verify-signature');
    expect(flag(verified, 'signedAndValid')).toBe(false);
    expect(part(signatures(verified)[0], 'valid').valueBoolean).toBe(true);
    expect(part(signatures(verified)[0], 'coversCurrentVersion').valueBoolean).toBe(false);

    const review = await doctor.request('POST', 'DiagnosticReport/r1/$sign', {
      resourceType: 'Parameters',
      parameter: [{ name: 'purpose', valueCode: 'reviewer' }],
    });
    expect(review.statusCode).toBe(201);
    expect(review.json().signature[0].type[0].code).toBe('1.2.840.10065.1.12.1.5');
    verified = await doctor.get('DiagnosticReport/r1/$verify-signature');
    expect(flag(verified, 'signedAndValid')).toBe(true);
    expect(signatures(verified)).toHaveLength(2);
  });

  it('detects a tampered stored version', async () => {
    expect((await doctor.request('POST', 'DiagnosticReport/r1/$sign')).statusCode).toBe(201);
    const version = (await admin.get('DiagnosticReport/r1')).json().meta.versionId;
    await admin.yiwang.db.query(
      `UPDATE "DiagnosticReport_History" SET content = replace(content, '炎症', '结节') WHERE tenant = $1 AND id = 'r1' AND version = $2`,
      [admin.tenant, Number(version)],
    );
    const verified = await doctor.get('DiagnosticReport/r1/$verify-signature');
    const latest = signatures(verified).filter((s: any) => part(s, 'version').valueString === version);
    expect(latest.length).toBeGreaterThan(0);
    expect(latest.every((s: any) => part(s, 'valid').valueBoolean === false)).toBe(true);
    expect(part(latest[0], 'problem').valueString).toMatch(/does not match/);
  });

  it('refuses signers who are not practitioners, unknown purposes and resources outside the scope', async () => {
    expect((await admin.request('POST', 'DiagnosticReport/r1/$sign')).statusCode).toBe(403);
    const bad = await doctor.request('POST', 'DiagnosticReport/r1/$sign', {
      resourceType: 'Parameters',
      parameter: [{ name: 'purpose', valueCode: 'witness' }],
    });
    expect(bad.statusCode).toBe(400);
    expect((await doctor.request('POST', 'DiagnosticReport/r2/$sign')).statusCode).toBe(404);
    expect((await doctor.get('DiagnosticReport/r2/$verify-signature')).statusCode).toBe(404);
    expect((await doctor.get('DiagnosticReport/r1/$sign')).statusCode).toBe(400);
  });

  it('retires a signer key: old signatures still verify, the next signature uses a new key', async () => {
    // A report of its own: r1's stored history was tampered with above.
    const report = {
      resourceType: 'DiagnosticReport',
      id: 'r3',
      status: 'final',
      code: { text: '心电图' },
      subject: { reference: 'Patient/p1' },
    };
    expect((await admin.request('PUT', 'DiagnosticReport/r3', report)).statusCode).toBe(201);
    const before = (await doctor.request('POST', 'DiagnosticReport/r3/$sign')).json();
    const json = { 'content-type': 'application/json' };
    const bad = await admin.request('POST', '/admin/signing-keys/retire', JSON.stringify({ signer: 'Organization/H' }), json);
    expect(bad.statusCode).toBe(400);
    expect(
      (await doctor.request('POST', '/admin/signing-keys/retire', JSON.stringify({ signer: 'Practitioner/dr-he' }), json)).statusCode,
    ).toBe(403);
    const retired = await admin.request('POST', '/admin/signing-keys/retire', JSON.stringify({ signer: 'Practitioner/dr-he' }), json);
    expect(retired.json()).toEqual({ signer: 'Practitioner/dr-he', retired: 1 });
    const after = (await doctor.request('POST', 'DiagnosticReport/r3/$sign')).json();
    const keyOf = (prov: any) => prov.signature[0].extension[0].valueString;
    expect(keyOf(after)).not.toBe(keyOf(before));
    const verified = await doctor.get('DiagnosticReport/r3/$verify-signature');
    const byProvenance = (id: string) =>
      signatures(verified).find((s: any) => part(s, 'provenance').valueReference.reference === `Provenance/${id}`);
    expect(part(byProvenance(before.id), 'valid').valueBoolean).toBe(true);
    expect(part(byProvenance(after.id), 'valid').valueBoolean).toBe(true);
  });

  it('keeps private keys encrypted at rest', async () => {
    const rows = await admin.yiwang.db.query<{ private_key: string; public_key: string }>(
      'SELECT private_key, public_key FROM signing_key WHERE tenant = $1',
      [admin.tenant],
    );
    expect(rows.rows).toHaveLength(2); // the retired key and its successor
    for (const row of rows.rows) {
      expect(row.private_key).toMatch(/^v1:/);
      expect(row.public_key).toMatch(/^04[0-9a-f]{128}$/);
    }
  });
});
