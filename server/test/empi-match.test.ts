/**
 * Patient/$match on the resident index: scored candidates with match grades, found through indexed
 * blocking searches and limited by the caller's access like any search; bad input answers 400.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAccess, policyInForce, resolveScope } from '../src/platform/access/index.js';
import { Repository } from '../src/platform/fhir/repository.js';
import { route, type FhirResponse } from '../src/platform/fhir/router.js';
import { matchOperation, RESIDENT_ID_SYSTEM } from '../src/platform/identity/empi/index.js';
import { closeApps, ENGINES, sharedApp } from './helpers/db.js';

afterAll(closeApps);

const ctx = { baseUrl: 'http://yiwang.test/fhir/R4', operations: new Map([['$match', matchOperation]]) };

const resident = (
  id: string,
  family: string,
  given: string,
  birthDate: string,
  gender: string,
  idNumber?: string,
  phone?: string,
  managing = 'V1',
) => ({
  resourceType: 'Patient',
  ...(id ? { id } : {}),
  name: [{ family, given: [given] }],
  birthDate,
  gender,
  ...(idNumber ? { identifier: [{ system: RESIDENT_ID_SYSTEM, value: idNumber }] } : {}),
  ...(phone ? { telecom: [{ system: 'phone', value: phone }] } : {}),
  address: [{ city: '南川区', district: '大观镇', line: ['金龙村3组'] }],
  managingOrganization: { reference: `Organization/${managing}` },
});

const params = (patient: object, extra: object[] = []) => ({
  resourceType: 'Parameters',
  parameter: [{ name: 'resource', resource: patient }, ...extra],
});

describe.each(ENGINES)('Patient/$match on %s', (engine) => {
  const tenant = 'mpi-' + randomUUID();
  let db: Awaited<ReturnType<typeof sharedApp>>['db'];

  beforeAll(async () => {
    db = (await sharedApp(engine)).db;
    const repo = new Repository(db, { tenant }, db);
    await repo.update('Organization', 'V1', { resourceType: 'Organization', id: 'V1', name: '金龙村卫生室' });
    await repo.update('Organization', 'V3', { resourceType: 'Organization', id: 'V3', name: '文家村卫生室' });
    await repo.update('Patient', 'zs', resident('zs', '张', '三', '1950-03-01', 'male', '500119195003010017', '13800000001'));
    await repo.update('Patient', 'lm', resident('lm', '李', '梅', '1962-07-15', 'female', '500119196207150024', '13900000002'));
    // Her twin sister: same birth date, address and phone, another given name — must not be offered as a match.
    await repo.update('Patient', 'lj', resident('lj', '李', '娟', '1962-07-15', 'female', '500119196207150040', '13900000002'));
    await repo.update('Patient', 'far', resident('far', '张', '三', '1950-03-01', 'male', undefined, undefined, 'V3'));
  }, 60_000);

  const match = async (body: unknown, access?: Awaited<ReturnType<typeof accessFor>>): Promise<FhirResponse & { json: any }> => {
    const repo = new Repository(db, { tenant, ...(access ? { access } : {}) }, db);
    try {
      const res = await route(repo, { method: 'POST', path: 'Patient/$match', query: {}, body }, ctx);
      return { ...res, json: res.body };
    } catch (err) {
      return { status: (err as { status: number }).status, json: (err as { outcome: unknown }).outcome };
    }
  };
  const accessFor = async (organizationId: string) => {
    const subject = { tenant, roles: ['village-doctor'], organizationId };
    return compileAccess(subject, policyInForce('2026-11-23'), await resolveScope(db, subject));
  };
  const grades = (res: { json: any }) => res.json.entry.map((e: any) => [e.resource.id, e.search.extension[0].valueCode]);

  it('finds the same person by a valid resident ID number as a certain match', async () => {
    const res = await match(params(resident('', '张', '叁', '1950-03-01', 'male', '500119195003010017')));
    expect(res.status).toBe(200);
    expect(grades(res)[0]).toEqual(['zs', 'certain']);
    expect(res.json.entry[0].search.score).toBeGreaterThan(0.99);
  });

  it('finds a record without an ID number by name, birth date and phone, and never offers the twin', async () => {
    const res = await match(params(resident('', '李', '梅', '1962-07-15', 'female', undefined, '13900000002')));
    const found = grades(res);
    expect(found[0]).toEqual(['lm', 'probable']);
    expect(found.map((f: string[]) => f[0])).not.toContain('lj');
  });

  it('returns nothing for an unrelated person, and only certain matches when asked', async () => {
    expect((await match(params(resident('', '王', '五', '1988-01-01', 'male')))).json.entry).toEqual([]);
    const only = await match(
      params(resident('', '李', '梅', '1962-07-15', 'female', undefined, '13900000002'), [
        { name: 'onlyCertainMatches', valueBoolean: true },
      ]),
    );
    expect(only.json.entry).toEqual([]);
  });

  it('offers only residents the caller may see', async () => {
    const all = await match(params(resident('', '张', '三', '1950-03-01', 'male')));
    expect(all.json.entry.map((e: any) => e.resource.id).sort()).toEqual(['far', 'zs']);
    const scoped = await match(params(resident('', '张', '三', '1950-03-01', 'male')), await accessFor('V1'));
    expect(scoped.json.entry.map((e: any) => e.resource.id)).toEqual(['zs']);
  });

  it('answers bad input with a located OperationOutcome', async () => {
    const badId = await match(params(resident('', '张', '三', '1950-03-01', 'male', '500119195003010018')));
    expect(badId.status).toBe(400);
    expect(badId.json.issue[0].expression[0]).toBe('Parameters.parameter[0].resource.Patient.identifier[0].value');
    expect(badId.json.issue[0].details.text).toMatch(/check/i);
    expect((await match({ resourceType: 'Parameters', parameter: [] })).status).toBe(400);
    expect((await match(params({ resourceType: 'Observation', status: 'final', code: { text: 'x' } }))).status).toBe(400);
    expect((await match(params(resident('', '张', '三', '1950-03-01', 'male'), [{ name: 'count', valueInteger: 0 }]))).status).toBe(400);
  });
});
