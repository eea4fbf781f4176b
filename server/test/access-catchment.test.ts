/**
 * County-wide searches of a catchment-scoped user (a township doctor): every page holds exactly the records of the
 * residents in the catchment (registered in the township's villages, seen at the centre, in an episode of care with
 * it, referred to it, in a care team with the doctor), and `_total=estimate` estimates the caller's share of the
 * matches, not the county's.
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
const CODE = 'http://loinc.org|85354-9';
const PATIENTS = 100;
const OBS_PER_PATIENT = 12;

describe.each(ENGINES)('catchment-scoped county-wide search on %s', (engine) => {
  const tenant = 'catch-' + randomUUID();
  let db: Awaited<ReturnType<typeof sharedApp>>['db'];
  /** Patients in township T1's catchment (with the doctor dr-t1), by construction. */
  const inCatchment = new Set<string>();

  beforeAll(async () => {
    db = (await sharedApp(engine)).db;
    const repo = new Repository(db, { tenant }, db);
    const org = (id: string, partOf?: string) => ({
      resourceType: 'Organization',
      id,
      name: id,
      ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}),
    });
    for (const o of [org('C'), org('H', 'C'), org('T1', 'C'), org('V1', 'T1'), org('V2', 'T1'), org('T2', 'C'), org('V3', 'T2')]) {
      await repo.update('Organization', o.id, o);
    }
    await repo.withTransaction(async (tx) => {
      for (let i = 0; i < PATIENTS; i++) {
        const id = `p${i}`;
        // 0–19 at V1, 20–24 at V2 (the catchment by registration); the others at V3 (township T2) or the hospital.
        const managing = i < 20 ? 'V1' : i < 25 ? 'V2' : i % 2 ? 'V3' : 'H';
        if (i < 25) inCatchment.add(id);
        await tx.create(
          {
            resourceType: 'Patient',
            name: [{ family: '居民', given: [id] }],
            managingOrganization: { reference: `Organization/${managing}` },
          },
          { assignedId: id },
        );
        for (let k = 0; k < OBS_PER_PATIENT; k++) {
          await tx.create({
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
            subject: { reference: `Patient/${id}` },
            effectiveDateTime: `2026-0${1 + (k % 9)}-1${k % 10}`,
          });
        }
      }
      // Residents of T2 related to T1 otherwise: seen there, an episode of care, a referral, a care team with the doctor.
      const subject = (id: string) => ({ reference: `Patient/${id}` });
      await tx.create({
        resourceType: 'Encounter',
        status: 'finished',
        class: { code: 'AMB' },
        subject: subject('p31'),
        serviceProvider: { reference: 'Organization/T1' },
      });
      await tx.create({
        resourceType: 'EpisodeOfCare',
        status: 'active',
        patient: subject('p33'),
        managingOrganization: { reference: 'Organization/V2' },
      });
      await tx.create({
        resourceType: 'ServiceRequest',
        status: 'active',
        intent: 'order',
        subject: subject('p35'),
        performer: [{ reference: 'Organization/T1' }],
      });
      await tx.create({
        resourceType: 'CareTeam',
        status: 'active',
        subject: subject('p37'),
        participant: [{ member: { reference: 'Practitioner/dr-t1' } }],
      });
      // Related to other institutions only: not in the catchment.
      await tx.create({
        resourceType: 'Encounter',
        status: 'finished',
        class: { code: 'AMB' },
        subject: subject('p39'),
        serviceProvider: { reference: 'Organization/T2' },
      });
      await tx.create({
        resourceType: 'ServiceRequest',
        status: 'active',
        intent: 'order',
        subject: subject('p41'),
        performer: [{ reference: 'Organization/H' }],
      });
      // A care team with the doctor that has ended (a concluded consultation): no longer a relationship.
      await tx.create({
        resourceType: 'CareTeam',
        status: 'inactive',
        subject: subject('p43'),
        participant: [{ member: { reference: 'Practitioner/dr-t1' } }],
      });
    });
    for (const id of ['p31', 'p33', 'p35', 'p37']) inCatchment.add(id);
    // Statistics as a loaded county would have them (the estimate's sampling runs above 1 000 planned matches).
    await db.query('ANALYZE "Observation"');
  }, 180_000);

  async function as(subject: Omit<AccessSubject, 'tenant'>) {
    const full = { ...subject, tenant };
    const access = compileAccess(full, policyInForce('2026-11-23'), await resolveScope(db, full));
    const repo = new Repository(db, { tenant, access }, db);
    return (path: string, query: Record<string, string> = {}) => route(repo, { method: 'GET', path, query }, ctx).then(body);
  }

  /** Every page of a search, following the next links. */
  async function allPages(get: (path: string, query: Record<string, string>) => Promise<any>, path: string, query: Record<string, string>) {
    const ids: string[] = [];
    let q = query;
    for (let page = 0; page < 100; page++) {
      const bundle = await get(path, q);
      for (const e of bundle.entry ?? []) ids.push(e.resource.id);
      const next = bundle.link?.find((l: any) => l.relation === 'next');
      if (!next) return { ids, first: page === 0 ? bundle : undefined };
      q = Object.fromEntries(new URL(next.url).searchParams);
    }
    throw new Error('too many pages');
  }

  it('pages through exactly the observations of the residents in the catchment', async () => {
    const admin = await as({ roles: ['admin'] });
    const township = await as({ roles: ['township-doctor'], organizationId: 'T1', practitionerId: 'dr-t1' });
    const everything = await allPages(admin, 'Observation', { code: CODE, _count: '200' });
    expect(everything.ids).toHaveLength(PATIENTS * OBS_PER_PATIENT);
    const subjectOf = new Map<string, string>();
    for (let page = 0, q: Record<string, string> = { code: CODE, _count: '500' }; page < 10; page++) {
      const bundle = await admin('Observation', q);
      for (const e of bundle.entry ?? []) subjectOf.set(e.resource.id, e.resource.subject.reference.slice(8));
      const next = bundle.link?.find((l: any) => l.relation === 'next');
      if (!next) break;
      q = Object.fromEntries(new URL(next.url).searchParams);
    }
    const expected = [...subjectOf].filter(([, p]) => inCatchment.has(p)).map(([o]) => o);
    expect(expected).toHaveLength(inCatchment.size * OBS_PER_PATIENT);

    const seen = await allPages(township, 'Observation', { code: CODE, _count: '50' });
    expect(new Set(seen.ids).size).toBe(seen.ids.length);
    expect([...seen.ids].sort()).toEqual([...expected].sort());
    // With another condition too (date), and the resident list itself.
    const dated = await allPages(township, 'Observation', { code: CODE, date: 'ge2026-05-01', _count: '50' });
    const datedAdmin = await allPages(admin, 'Observation', { code: CODE, date: 'ge2026-05-01', _count: '500' });
    expect(dated.ids.sort()).toEqual(datedAdmin.ids.filter((o) => inCatchment.has(subjectOf.get(o)!)).sort());
    const residents = await allPages(township, 'Patient', { _count: '10' });
    expect(residents.ids.sort()).toEqual([...inCatchment].sort());
  });

  it('_total=estimate estimates the caller’s share; _total=accurate counts it', async () => {
    const township = await as({ roles: ['township-doctor'], organizationId: 'T1', practitionerId: 'dr-t1' });
    const mine = inCatchment.size * OBS_PER_PATIENT; // 348 of 1 200
    const accurate = await township('Observation', { code: CODE, _total: 'accurate', _count: '1' });
    expect(accurate.total).toBe(mine);
    const estimate = await township('Observation', { code: CODE, _total: 'estimate', _count: '1' });
    // A sample of 500 of the 1 200 matches: within a third of the caller's count, far from the county's.
    expect(estimate.total).toBeGreaterThan(mine * 0.67);
    expect(estimate.total).toBeLessThan(mine * 1.33);
    // A village doctor sees fewer: the estimate follows the caller.
    const village = await as({ roles: ['village-doctor'], organizationId: 'V1', practitionerId: 'dr-v1' });
    const villageEstimate = await village('Observation', { code: CODE, _total: 'estimate', _count: '1' });
    expect(villageEstimate.total).toBeGreaterThan(20 * OBS_PER_PATIENT * 0.5);
    expect(villageEstimate.total).toBeLessThan(20 * OBS_PER_PATIENT * 1.5);
  });
});
