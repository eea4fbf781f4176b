/**
 * A small medical community in a test tenant, written through the system repository of an administrator's tenant:
 * organisations (`partOf` and the centre role `urn:yiwang:centre-role|…`), one practitioner per member of staff, signed-in
 * users with their roles, and residents. Every id carries a random suffix, so each run's community is its own.
 *
 *   const town = medicalCommunity({ organizations: { C: { name: '南川区医共体' }, T1: { name: '…', partOf: 'C' } },
 *     staff: { township: { roles: ['township-doctor'], at: 'T1' } }, residents: { patient: { id: 'P', name: '王小东', at: 'T1' } } });
 *   town.ids.T1, town.pr.township, town.residents.patient   // known at once (ids)
 *   const u = await town.build(admin);                       // written, and the users signed in
 */
import { randomUUID } from 'node:crypto';
import type { YiwangApp } from '../../src/app.js';
import { buildCommunity, communityUsers } from '../workflow-fixtures.js';
import { adminClient, type TestClient } from './db.js';

export const CENTRE_ROLE_SYSTEM = 'urn:yiwang:centre-role';

/** An Organization, optionally part of another and carrying a centre role (imaging, ecg, pathology, chest-pain…). */
export function organization(id: string, name: string, partOf?: string, centre?: string) {
  return {
    resourceType: 'Organization',
    id,
    name,
    ...(centre ? { type: [{ coding: [{ system: CENTRE_ROLE_SYSTEM, code: centre }] }] } : {}),
    ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}),
  };
}

export interface ResidentSpec {
  /** The Patient id. */
  id: string;
  /** The name in Chinese; the first character is the family name. */
  name: string;
  gender?: string;
  birthDate?: string;
  /** The managing organisation's id. */
  managedBy: string;
}

/** Writes a resident (Patient) managed by an institution; answers `Patient/<id>`. */
export async function addResident(admin: TestClient, r: ResidentSpec): Promise<string> {
  await admin.yiwang.systemRepository(admin.tenant).update('Patient', r.id, {
    resourceType: 'Patient',
    id: r.id,
    name: [{ text: r.name, family: r.name[0], given: [r.name.slice(1)] }],
    ...(r.gender ? { gender: r.gender } : {}),
    ...(r.birthDate ? { birthDate: r.birthDate } : {}),
    managingOrganization: { reference: `Organization/${r.managedBy}` },
  });
  return `Patient/${r.id}`;
}

/** A final systolic blood pressure (LOINC 8480-6) of a resident; answers `Observation/<id>`. */
export async function addSystolicPressure(admin: TestClient, patient: string, mmHg: number): Promise<string> {
  const { resource } = await admin.yiwang.systemRepository(admin.tenant).create({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8480-6', display: '收缩压' }] },
    subject: { reference: patient },
    valueQuantity: { value: mmHg, unit: 'mmHg' },
  });
  return `Observation/${resource.id}`;
}

export interface OrganizationSpec<O extends string> {
  name: string;
  /** The key of the organisation this one is part of. */
  partOf?: NoInfer<O>;
  centre?: string;
}

export interface CommunitySpec<O extends string, U extends string, P extends string> {
  /** Written in this order (parents first). */
  organizations: Record<O, OrganizationSpec<O>>;
  /** A practitioner and a signed-in user each, working at the organisation `at`. */
  staff: Record<U, { roles: string[]; at: NoInfer<O> }>;
  /** Residents: `id` is suffixed like every other id. */
  residents?: Record<P, { id: string; name: string; gender?: string; birthDate?: string; managedBy: NoInfer<O> }>;
}

export interface MedicalCommunity<O extends string, U extends string, P extends string> {
  /** The random suffix of every id. */
  suffix: string;
  /** Organisation ids by key (`<key>-<suffix>`). */
  ids: Record<O, string>;
  /** Practitioner ids by member of staff (`pr-<key>-<suffix>`). */
  pr: Record<U, string>;
  /** `Patient/<id>-<suffix>` by key. */
  residents: Record<P, string>;
  /** Writes it all into the administrator's tenant and signs the staff in. */
  build(admin: TestClient): Promise<Record<U, TestClient>>;
}

/** Plans a community (its ids are known at once) that `build` writes. */
export function medicalCommunity<O extends string, U extends string, P extends string = never>(
  spec: CommunitySpec<O, U, P>,
): MedicalCommunity<O, U, P> {
  const suffix = randomUUID().slice(0, 8);
  const keyed = <K extends string, V, R>(record: Record<K, V>, f: (key: K, value: V) => R) =>
    Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(k as K, v as V)])) as Record<K, R>;
  const ids = keyed(spec.organizations, (key) => `${key}-${suffix}`);
  const pr = keyed(spec.staff, (key) => `pr-${key}-${suffix}`);
  const residents = keyed(spec.residents ?? ({} as NonNullable<typeof spec.residents>), (_, r) => `Patient/${r.id}-${suffix}`);
  return {
    suffix,
    ids,
    pr,
    residents,
    async build(admin) {
      const repo = admin.yiwang.systemRepository(admin.tenant);
      for (const [key, o] of Object.entries(spec.organizations) as [O, OrganizationSpec<O>][])
        await repo.update('Organization', ids[key], organization(ids[key], o.name, o.partOf && ids[o.partOf], o.centre));
      for (const id of Object.values(pr) as string[])
        await repo.update('Practitioner', id, { resourceType: 'Practitioner', id, name: [{ text: id }] });
      for (const [key, r] of Object.entries(spec.residents ?? {}) as [P, ResidentSpec][])
        await addResident(admin, { ...r, id: residents[key].slice('Patient/'.length), managedBy: ids[r.managedBy as O] });
      const users = {} as Record<U, TestClient>;
      for (const [key, s] of Object.entries(spec.staff) as [U, { roles: string[]; at: O }][])
        users[key] = await admin.as({ roles: s.roles, organizationId: ids[s.at], practitionerId: pr[key] });
      return users;
    },
  };
}

/**
 * The layout of the reading-centre tests: the community office C; the county hospital H (carrying the centre's role
 * too when `hospitalIsCentre`) with the centre's department `centre` and another department `clinic` (which sees no
 * case of the centre); townships T1 (the requester, with village clinic V1) and T2 (a third party). Staff: the
 * township doctor at T1, two readers at the centre, a doctor `other` at T2, a specialist `cardio` at the clinic.
 */
export function readingCentreLayout(opts: {
  role: string;
  department: string;
  clinic: { name: string; role?: string };
  hospitalIsCentre?: boolean;
}) {
  const organizations: Record<ReadingOrg, { name: string; partOf?: ReadingOrg; centre?: string }> = {
    C: { name: '南川区医共体' },
    H: { name: '南川区人民医院', partOf: 'C', ...(opts.hospitalIsCentre ? { centre: opts.role } : {}) },
    centre: { name: opts.department, partOf: 'H', centre: opts.role },
    clinic: { name: opts.clinic.name, partOf: 'H', ...(opts.clinic.role ? { centre: opts.clinic.role } : {}) },
    T1: { name: '大观镇卫生院', partOf: 'C' },
    V1: { name: '大观镇金龙村卫生室', partOf: 'T1' },
    T2: { name: '南平镇卫生院', partOf: 'C' },
  };
  const staff: Record<ReadingStaff, { roles: string[]; at: ReadingOrg }> = {
    township: { roles: ['township-doctor'], at: 'T1' },
    reader1: { roles: ['county-specialist'], at: 'centre' },
    reader2: { roles: ['county-specialist'], at: 'centre' },
    other: { roles: ['township-doctor'], at: 'T2' },
    cardio: { roles: ['county-specialist'], at: 'clinic' },
  };
  return { organizations, staff };
}

type ReadingOrg = 'C' | 'H' | 'centre' | 'clinic' | 'T1' | 'V1' | 'T2';
type ReadingStaff = 'township' | 'reader1' | 'reader2' | 'other' | 'cardio';

/**
 * The workflow tests' community (../workflow-fixtures.ts: C, H with HD, T1 with V1, T2, OUT, and patient P1) in a fresh
 * tenant of `yiwang`: its administrator, the community and its signed-in users.
 */
export async function workflowCommunity(yiwang: YiwangApp) {
  const admin = await adminClient(yiwang);
  const c = await buildCommunity(yiwang, admin.tenant);
  return { admin, c, u: await communityUsers(admin, c) };
}
