/**
 * The access matrix (role × resource × relationship): who may read and write which resident's data,
 * proven through the FHIR router for reads, searches, _include/_revinclude, chains, $everything,
 * history and writes, on both engines. Denials must come from the SQL, not from filtering results.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAccess, policyInForce, resolveScope, type AccessSubject } from '../src/platform/access/index.js';
import { Repository } from '../src/platform/fhir/repository.js';
import { route, type FhirResponse } from '../src/platform/fhir/router.js';
import { RawJson } from '../src/platform/fhir/raw.js';
import { closeApps, ENGINES, sharedApp } from './helpers/db.js';

afterAll(closeApps);

const ctx = { baseUrl: 'http://yiwang.test/fhir/R4' };
const body = (res: FhirResponse): any => (res.body instanceof RawJson ? res.body.parse() : res.body);
const matchIds = (res: FhirResponse): string[] =>
  (body(res).entry ?? [])
    .filter((e: any) => e.search?.mode === 'match')
    .map((e: any) => e.resource.id)
    .sort();
const allIds = (res: FhirResponse): string[] => (body(res).entry ?? []).map((e: any) => e.resource.id).sort();

describe.each(ENGINES)('access control compiled into SQL on %s', (engine) => {
  const tenant = 'acc-' + randomUUID();
  let db: Awaited<ReturnType<typeof sharedApp>>['db'];
  const system = () => new Repository(db, { tenant }, db);

  beforeAll(async () => {
    db = (await sharedApp(engine)).db;
    const repo = system();
    const org = (id: string, name: string, partOf?: string) => ({
      resourceType: 'Organization',
      id,
      name,
      ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}),
    });
    for (const o of [
      org('C', '南川区卫生健康委员会'),
      org('H', '南川区人民医院', 'C'),
      org('T1', '大观镇卫生院', 'C'),
      org('V1', '大观镇金龙村卫生室', 'T1'),
      org('V2', '大观镇中江村卫生室', 'T1'),
      org('T2', '南平镇卫生院', 'C'),
      org('V3', '南平镇文家村卫生室', 'T2'),
    ])
      await repo.update('Organization', o.id, o);
    const patient = (id: string, managing: string) => ({
      resourceType: 'Patient',
      id,
      name: [{ family: '居民', given: [id] }],
      managingOrganization: { reference: `Organization/${managing}` },
    });
    await repo.update('Patient', 'p1', patient('p1', 'V1'));
    await repo.update('Patient', 'p2', patient('p2', 'V3'));
    await repo.update('Patient', 'p3', patient('p3', 'V2'));
    await repo.update('Patient', 'p4', patient('p4', 'V3'));
    const obs = (id: string, pid: string, performer?: string) => ({
      resourceType: 'Observation',
      id,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
      subject: { reference: `Patient/${pid}` },
      ...(performer ? { performer: [{ reference: `Organization/${performer}` }] } : {}),
      valueQuantity: { value: 150, unit: 'mmHg' },
    });
    for (const [id, pid] of [
      ['o1', 'p1'],
      ['o2', 'p2'],
      ['o3', 'p3'],
      ['o4', 'p4'],
    ])
      await repo.update('Observation', id, obs(id, pid, 'V1'));
    // p3 was seen at the county hospital; p4 was referred to it.
    await repo.update('Encounter', 'e3', {
      resourceType: 'Encounter',
      id: 'e3',
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: 'Patient/p3' },
      serviceProvider: { reference: 'Organization/H' },
    });
    await repo.update('ServiceRequest', 'sr4', {
      resourceType: 'ServiceRequest',
      id: 'sr4',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p4' },
      performer: [{ reference: 'Organization/H' }],
    });
  }, 120_000);

  async function as(subject: Omit<AccessSubject, 'tenant'>) {
    const full = { ...subject, tenant };
    const access = compileAccess(full, policyInForce('2026-11-23'), await resolveScope(db, full));
    const repo = new Repository(db, { tenant, access }, db);
    const call = async (method: string, path: string, query: Record<string, string> = {}, payload?: unknown) => {
      try {
        return await route(repo, { method, path, query, body: payload }, ctx);
      } catch (err) {
        return { status: (err as { status?: number }).status ?? 500, body: (err as { outcome?: any }).outcome } as FhirResponse;
      }
    };
    return { call, get: (path: string, query: Record<string, string> = {}) => call('GET', path, query) };
  }

  const village = () => as({ roles: ['village-doctor'], organizationId: 'V1', practitionerId: 'dr-v1' });
  const township = () => as({ roles: ['township-doctor'], organizationId: 'T1' });
  const county = () => as({ roles: ['county-specialist'], organizationId: 'H' });
  const resident = () => as({ roles: ['resident'], patientId: 'p1' });

  it('a village doctor sees the residents of the village only', async () => {
    const u = await village();
    expect(matchIds(await u.get('Patient'))).toEqual(['p1']);
    expect(matchIds(await u.get('Observation'))).toEqual(['o1']);
    expect((await u.get('Patient/p1')).status).toBe(200);
    expect((await u.get('Patient/p2')).status).toBe(404);
    expect((await u.get('Observation/o2')).status).toBe(404);
  });

  it('a township doctor sees every village of the township, not the next township', async () => {
    const u = await township();
    expect(matchIds(await u.get('Patient'))).toEqual(['p1', 'p3']);
    expect(matchIds(await u.get('Observation'))).toEqual(['o1', 'o3']);
  });

  it('a county specialist sees residents with an encounter or a request addressed to the hospital', async () => {
    const u = await county();
    expect(matchIds(await u.get('Patient'))).toEqual(['p3', 'p4']);
    expect(matchIds(await u.get('Observation'))).toEqual(['o3', 'o4']);
  });

  it('offices see the residents their relationship names: insured, flagged, reported (policy 2026-11-23)', async () => {
    const repo = system();
    // Residents of another township, in the catchment of no office below.
    for (const id of ['p6', 'p7', 'p8']) {
      await repo.update('Patient', id, { resourceType: 'Patient', id, managingOrganization: { reference: 'Organization/V3' } });
    }
    await repo.update('Organization', 'INS', {
      resourceType: 'Organization',
      id: 'INS',
      name: '南川区医疗保障局',
      partOf: { reference: 'Organization/C' },
    });
    await repo.update('Organization', 'POV', {
      resourceType: 'Organization',
      id: 'POV',
      name: '南川区乡村振兴局',
      partOf: { reference: 'Organization/C' },
    });
    await repo.update('Organization', 'CDC', {
      resourceType: 'Organization',
      id: 'CDC',
      name: '南川区疾病预防控制中心',
      partOf: { reference: 'Organization/C' },
    });
    await repo.update('Coverage', 'cov2', {
      resourceType: 'Coverage',
      id: 'cov2',
      status: 'active',
      beneficiary: { reference: 'Patient/p6' },
      payor: [{ reference: 'Organization/INS' }],
    });
    await repo.update('Flag', 'flag4', {
      resourceType: 'Flag',
      id: 'flag4',
      status: 'active',
      code: { text: '脱贫户' },
      subject: { reference: 'Patient/p7' },
      author: { reference: 'Organization/POV' },
    });
    await repo.update('Communication', 'comm1', {
      resourceType: 'Communication',
      id: 'comm1',
      status: 'completed',
      subject: { reference: 'Patient/p8' },
      recipient: [{ reference: 'Organization/CDC' }],
    });
    const insurance = await as({ roles: ['insurance-officer'], organizationId: 'INS' });
    expect(matchIds(await insurance.get('Patient'))).toEqual(['p6']);
    const poverty = await as({ roles: ['poverty-officer'], organizationId: 'POV' });
    expect(matchIds(await poverty.get('Patient'))).toEqual(['p7']);
    const cdc = await as({ roles: ['cdc-officer'], organizationId: 'CDC' });
    expect(matchIds(await cdc.get('Patient'))).toEqual(['p8']);
    // A payor relationship is the insurance bureau's, not a clinic's: a village doctor still sees only the village.
    expect(matchIds(await (await village()).get('Patient'))).toEqual(['p1']);
    // Under the previous policy version the bureau's catchment did not count coverage.
    const full = { roles: ['insurance-officer'], organizationId: 'INS', tenant };
    const before = compileAccess(full, policyInForce('2026-11-22'), await resolveScope(db, full));
    expect(
      matchIds(await route(new Repository(db, { tenant, access: before }, db), { method: 'GET', path: 'Patient', query: {} }, ctx)),
    ).toEqual([]);
  });

  it('a resident sees only their own record', async () => {
    const u = await resident();
    expect(matchIds(await u.get('Patient'))).toEqual(['p1']);
    expect(matchIds(await u.get('Observation'))).toEqual(['o1']);
    expect((await u.get('Patient/p2')).status).toBe(404);
    expect((await u.get('Patient/p2/$everything')).status).toBe(404);
  });

  it('denies through search parameters, chains, _has, _include, _revinclude, $everything and history', async () => {
    const u = await village();
    expect(matchIds(await u.get('Observation', { subject: 'Patient/p2' }))).toEqual([]);
    expect(matchIds(await u.get('Observation', { 'subject:Patient.name': '居民' }))).toEqual(['o1']);
    expect(matchIds(await u.get('Patient', { '_has:Observation:subject:code': '8480-6' }))).toEqual(['p1']);
    expect(allIds(await u.get('Patient', { _revinclude: 'Observation:subject' }))).toEqual(['o1', 'p1']);
    const inc = await u.get('Observation', { _id: 'o1', _include: 'Observation:performer' });
    expect(allIds(inc)).toEqual(['V1', 'o1']); // reference data (institutions) stays visible
    expect((await u.get('Patient/p2/$everything')).status).toBe(404);
    expect(matchIds(await u.get('Patient/p1/$everything'))).toEqual(['o1', 'p1']);
    expect((await u.get('Patient/p2/_history')).status).toBe(404);
    expect((await u.get('Patient/p2/_history/1')).status).toBe(404);
    const typeHistory = body(await u.get('Observation/_history'));
    expect(typeHistory.entry.map((e: any) => e.resource.id).sort()).toEqual(['o1']);
  });

  it('checks writes: only residents in scope, only allowed types, registries for administrators', async () => {
    const u = await village();
    const obs = (pid: string) => ({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'BP' },
      subject: { reference: `Patient/${pid}` },
    });
    expect((await u.call('POST', 'Observation', {}, obs('p1'))).status).toBe(201);
    expect((await u.call('POST', 'Observation', {}, obs('p2'))).status).toBe(403);
    expect((await u.call('PUT', 'Observation/o2', {}, { ...obs('p2'), id: 'o2' })).status).toBe(403);
    expect(
      (await u.call('POST', 'Patient', {}, { resourceType: 'Patient', managingOrganization: { reference: 'Organization/V1' } })).status,
    ).toBe(201);
    expect(
      (await u.call('POST', 'Patient', {}, { resourceType: 'Patient', managingOrganization: { reference: 'Organization/V3' } })).status,
    ).toBe(403);
    expect((await u.call('PUT', 'Organization/V1', {}, { resourceType: 'Organization', id: 'V1', name: 'x' })).status).toBe(403);
    const r = await resident();
    expect((await r.call('POST', 'Observation', {}, obs('p1'))).status).toBe(201);
    expect((await r.call('POST', 'Observation', {}, obs('p2'))).status).toBe(403);
    expect(
      (
        await r.call(
          'POST',
          'MedicationRequest',
          {},
          {
            resourceType: 'MedicationRequest',
            status: 'active',
            intent: 'order',
            subject: { reference: 'Patient/p1' },
            medicationCodeableConcept: { text: 'x' },
          },
        )
      ).status,
    ).toBe(403);
    // A transaction with one forbidden entry writes nothing.
    const before = matchIds(await (await township()).get('Observation'));
    const tx = await u.call(
      'POST',
      '',
      {},
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: obs('p1'), request: { method: 'POST', url: 'Observation' } },
          { resource: obs('p2'), request: { method: 'POST', url: 'Observation' } },
        ],
      },
    );
    expect(tx.status).toBe(403);
    expect(matchIds(await (await township()).get('Observation'))).toEqual(before);
  });

  it('break-glass opens a resident outside the scope for roles allowed to use it', async () => {
    const u = await as({ roles: ['village-doctor'], organizationId: 'V1', breakGlass: { reason: '急诊抢救' } });
    expect((await u.get('Patient/p2')).status).toBe(200);
    // Teachers have no access to residents' records at all, break-glass or not.
    const t = await as({ roles: ['teacher'], breakGlass: { reason: 'curious' } });
    expect((await t.get('Patient/p2')).status).toBe(403);
    expect(matchIds(await t.get('Organization'))).toEqual([]);
  });

  it('reads policies as dated data', () => {
    expect(policyInForce('2026-06-30').version).toBe('2026-01-01');
    expect(policyInForce('2026-06-30').roles.manager.mask).toBeUndefined();
    // From 2026-11-01 managers see identity fields masked; the earlier version stays as it was.
    expect(policyInForce('2026-11-01').version).toBe('2026-11-01');
    expect(policyInForce('2026-11-22').roles['insurance-officer'].relationships).toBeUndefined();
    expect(policyInForce('2026-11-23').roles['insurance-officer'].relationships).toContain('coverage-payor');
    expect(policyInForce('2026-11-23').roles.manager.mask).toEqual(['id-number', 'phone', 'address']);
    expect(() => policyInForce('2020-01-01')).toThrow(/No access policy/);
  });
});
