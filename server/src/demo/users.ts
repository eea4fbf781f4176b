/**
 * The demo users: one per role, each linked to the Organization (and Practitioner or Patient) of the generated
 * county that its access policy works from. CDC and school staff are generated here because only the users need them.
 */
import type { CountyContext } from './context.js';
import type { Registries } from './registries.js';
import type { DemoRole, DemoUser, Person, VillageInfo } from './types.js';

function user(role: DemoRole, username: string, displayName: string, organizationId: string, extra: Partial<DemoUser> = {}): DemoUser {
  return { username, displayName, roles: [role], organizationId, ...extra };
}

/** The staff users (every role but `resident`); adds the CDC officer and school doctor to the registries. */
export function staffUsers(ctx: CountyContext, reg: Registries): DemoUser[] {
  const users: DemoUser[] = [];
  const add = (...args: Parameters<typeof user>) => users.push(user(...args));
  const v = reg.villages[0]!;
  add('village-doctor', 'village.doctor', reg.nameOf(v.doctorId), v.clinicId, { practitionerId: v.doctorId });
  const t = reg.townCentres.find((c) => !c.town.urban) ?? reg.townCentres[0]!;
  add('township-doctor', 'township.doctor', reg.nameOf(t.doctorIds[0]!), t.id, { practitionerId: t.doctorIds[0]! });
  add('public-health-worker', 'public.health', reg.nameOf(t.publicHealthId), t.id, { practitionerId: t.publicHealthId });
  const cardio = reg.departments.get('心血管内科')!;
  add('county-specialist', 'county.specialist', reg.nameOf(cardio.practitionerId), reg.countyHospitalId, {
    practitionerId: cardio.practitionerId,
  });
  const pharmacy = reg.departments.get('药剂科')!;
  add('pharmacist', 'pharmacist', reg.nameOf(pharmacy.practitionerId), reg.countyHospitalId, {
    practitionerId: pharmacy.practitionerId,
  });
  const [cdcPid, , cdcName] = reg.staff(reg.cdcId, 'cdc-officer', '疾控专员', '传染病防制');
  add('cdc-officer', 'cdc.officer', cdcName, reg.cdcId, { practitionerId: cdcPid });
  const [schoolPid, , schoolName] = reg.staff(reg.schoolId, 'school-doctor', '校医', '学校卫生');
  add('school-doctor', 'school.doctor', schoolName, reg.schoolId, { practitionerId: schoolPid });
  // Office roles without a Practitioner resource: a name only.
  const plain = (role: DemoRole, username: string, orgId: string) => {
    const sex = ctx.rng.chance(0.5) ? 'male' : 'female';
    const n = ctx.personName(sex, 1985);
    add(role, username, n.surname + n.given, orgId);
  };
  plain('teacher', 'teacher', reg.schoolId);
  plain('insurance-officer', 'insurance.officer', reg.insuranceId);
  plain('poverty-officer', 'poverty.officer', reg.povertyOfficeId);
  plain('manager', 'manager', reg.communityId);
  plain('admin', 'admin', reg.commissionId);
  return users;
}

/** The resident user: the first adult generated, registered at their village clinic. */
export function residentUser(p: Person, village: VillageInfo): DemoUser {
  return user('resident', 'resident', p.name, village.clinicId, { patientId: p.id });
}
