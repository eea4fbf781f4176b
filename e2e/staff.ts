/** Setting up people for the browser tests through the API: staff of a county centre, and a resident to work on. */
import type { Api } from './server.js';
import { DEMO_PASSWORD } from './server.js';

/**
 * The department of the demo county that runs a centre (`urn:yiwang:centre-role|<role>`): the one under another
 * organisation carrying the role (the hospital), else the first that carries it.
 */
export async function centreDepartment(admin: Api, role: string): Promise<string> {
  const centres = await admin.json(`/fhir/R4/Organization?type=urn:yiwang:centre-role|${role}&_count=50`);
  const orgs = (centres.entry ?? []).map((e: { resource: { id: string; partOf?: { reference?: string } } }) => e.resource);
  const ids = new Set(orgs.map((o: { id: string }) => `Organization/${o.id}`));
  const dept = orgs.find((o: { partOf?: { reference?: string } }) => ids.has(o.partOf?.reference ?? '')) ?? orgs[0];
  if (!dept) throw new Error(`no organisation carries the centre role ${role}`);
  return dept.id as string;
}

/**
 * Creates members of staff through the admin API: a Practitioner (`name`: family name its first character) and a
 * user with the demo password and `roles`, working at `organizationId`.
 */
export async function createStaff(
  admin: Api,
  organizationId: string,
  people: { username: string; name: string }[],
  roles = ['county-specialist'],
): Promise<void> {
  for (const { username, name } of people) {
    const practitioner = await admin.json('/fhir/R4/Practitioner', {
      method: 'POST',
      body: { resourceType: 'Practitioner', name: [{ text: name, family: name[0], given: [name.slice(1)] }] },
    });
    await admin.json('/admin/users', {
      method: 'POST',
      body: { username, password: DEMO_PASSWORD, roles, organizationId, practitionerId: practitioner.id, displayName: username },
    });
  }
}

/** County specialists of a centre's department (see `centreDepartment`). */
export async function createCentreStaff(admin: Api, role: string, people: { username: string; name: string }[]): Promise<void> {
  await createStaff(admin, await centreDepartment(admin, role), people);
}

export interface Resident {
  id: string;
  /** Family and given names written together, as one types them into a search. */
  name: string;
  resource: any;
}

/** The first resident `api`'s user sees (of 20) with a family and a given name, and whatever else `also` asks. */
export async function namedResident(api: Api, also: (p: any) => boolean = () => true): Promise<Resident> {
  const found = await api.json('/fhir/R4/Patient?_count=20');
  const patient = (found.entry ?? [])
    .map((e: { resource: unknown }) => e.resource)
    .find((p: any) => p.name?.[0]?.family && p.name[0].given?.length && also(p));
  if (!patient) throw new Error('no resident with a family and a given name');
  return { id: patient.id, name: `${patient.name[0].family}${patient.name[0].given.join('')}`, resource: patient };
}
