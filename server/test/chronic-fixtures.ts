/** A small county for chronic-disease tests: a medical community with a county hospital (cardiology), a township centre and a village clinic, their doctors and residents. */
import { expect } from 'vitest';
import type { TestClient } from './helpers/db.js';

export interface ChronicCounty {
  community: string;
  county: string;
  cardiology: string;
  town: string;
  village: string;
  village2: string;
  villageDoctor: string;
  villageDoctor2: string;
  townshipGp: string;
  specialist: string;
  vd: TestClient;
  vd2: TestClient;
  gp: TestClient;
  spec: TestClient;
  manager: TestClient;
}

export async function put(client: TestClient, resource: { resourceType: string; id: string } & Record<string, unknown>): Promise<void> {
  const res = await client.request('PUT', `${resource.resourceType}/${resource.id}`, resource);
  if (res.statusCode >= 300) throw new Error(`PUT ${resource.resourceType}/${resource.id}: ${res.statusCode} ${res.body}`);
}

const org = (id: string, name: string, partOf?: string, dept = false) => ({
  resourceType: 'Organization',
  id,
  name,
  ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}),
  ...(dept ? { type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'dept' }] }] } : {}),
});

const role = (id: string, practitioner: string, organization: string, code: string, specialty?: string) => ({
  resourceType: 'PractitionerRole',
  id,
  active: true,
  practitioner: { reference: `Practitioner/${practitioner}` },
  organization: { reference: `Organization/${organization}` },
  code: [{ coding: [{ system: 'urn:yiwang:role', code }] }],
  ...(specialty ? { specialty: [{ text: specialty }] } : {}),
});

export async function chronicCounty(admin: TestClient): Promise<ChronicCounty> {
  const c = {
    community: 'org-community',
    county: 'org-county',
    cardiology: 'org-cardiology',
    town: 'org-town',
    village: 'org-village',
    village2: 'org-village2',
    villageDoctor: 'dr-village',
    villageDoctor2: 'dr-village2',
    townshipGp: 'dr-town',
    specialist: 'dr-cardio',
  };
  await put(admin, org(c.community, '南川区医共体'));
  await put(admin, org(c.county, '南川区人民医院', c.community));
  await put(admin, org(c.cardiology, '心血管内科', c.county, true));
  await put(admin, org(c.town, '大观镇卫生院', c.community));
  await put(admin, org(c.village, '大观镇金龙村卫生室', c.town));
  await put(admin, org(c.village2, '大观镇石桥村卫生室', c.town));
  for (const [id, name] of [
    [c.villageDoctor, '陈村医'],
    [c.villageDoctor2, '刘村医'],
    [c.townshipGp, '王全科'],
    [c.specialist, '赵主任'],
  ]) {
    await put(admin, { resourceType: 'Practitioner', id: id!, name: [{ text: name }] });
  }
  await put(admin, role('r-vd', c.villageDoctor, c.village, 'village-doctor'));
  await put(admin, role('r-vd2', c.villageDoctor2, c.village2, 'village-doctor'));
  await put(admin, role('r-gp', c.townshipGp, c.town, 'township-doctor'));
  await put(admin, role('r-spec', c.specialist, c.cardiology, 'county-specialist', '心血管内科'));
  const doctor = (role: string, practitionerId: string, organizationId: string, prefix: string) =>
    admin.as({ roles: [role], practitionerId, organizationId, username: `${prefix}-${admin.tenant.slice(-6)}` });
  return {
    ...c,
    vd: await doctor('village-doctor', c.villageDoctor, c.village, 'vd'),
    vd2: await doctor('village-doctor', c.villageDoctor2, c.village2, 'vd2'),
    gp: await doctor('township-doctor', c.townshipGp, c.town, 'gp'),
    spec: await doctor('county-specialist', c.specialist, c.cardiology, 'sp'),
    manager: await admin.as({ roles: ['manager'], organizationId: c.community, username: `mg-${admin.tenant.slice(-6)}` }),
  };
}

/** A resident of a village clinic (its doctor as general practitioner). */
export async function resident(
  admin: TestClient,
  id: string,
  birthDate: string,
  village = 'org-village',
  doctor = 'dr-village',
  name = '张三',
): Promise<string> {
  await put(admin, {
    resourceType: 'Patient',
    id,
    name: [{ text: name }],
    gender: 'male',
    birthDate,
    managingOrganization: { reference: `Organization/${village}` },
    generalPractitioner: [{ reference: `Practitioner/${doctor}` }],
  });
  return `Patient/${id}`;
}

export async function enrolled(client: TestClient, patient: string, programme: 'hypertension' | 'diabetes', start: string): Promise<any> {
  const res = await client.request('POST', '/api/chronic/enrolments', { patient, programme, start, riskGrade: 'medium' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export async function followUp(client: TestClient, body: Record<string, unknown>): Promise<any> {
  const res = await client.request('POST', '/api/chronic/follow-ups', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** How many resources of a type the tenant holds (as admin), to prove that a refused request wrote nothing. */
export async function count(admin: TestClient, type: string): Promise<number> {
  const res = await admin.get(`${type}?_summary=count`);
  return res.json().total;
}
