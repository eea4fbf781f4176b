/**
 * The demo users: one per role, each linked to the Organization (and Practitioner or Patient) of the generated
 * county that its access policy works from. CDC and school staff are generated here because only the users need them.
 */
import { CountyContext } from './context.js';
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
  users.push(...centreUsers(ctx, reg));
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

/**
 * The readers of the county hospital's reading centres and the consultation centre, each working in the department
 * that holds the centre role (a workflow's centre is the institution named, so its staff must belong to the
 * department, not to the hospital above it): two per reading centre, as the second reader signs what the first
 * reported. The first of each is the department's own specialist; the second is added from a stream of its own, so
 * the rest of the county (residents, ids, the other users) is that of the seed without them.
 */
function centreUsers(ctx: CountyContext, reg: Registries): DemoUser[] {
  const extra = new CountyContext({ seed: ctx.seed, residents: 1, today: ctx.today, geography: ctx.geo }, 'centre-staff');
  const users: DemoUser[] = [];
  const readers: [string, string, string][] = [
    ['医学影像科', 'radiologist', 'radiologist2'],
    ['心电图室', 'ecg.reader', 'ecg.reader2'],
    ['病理科', 'pathologist', 'pathologist2'],
  ];
  for (const [name, first, second] of readers) {
    const dept = reg.departments.get(name)!;
    users.push(user('county-specialist', first, reg.nameOf(dept.practitionerId), dept.orgId, { practitionerId: dept.practitionerId }));
    const [pid, , displayName] = reg.staff(dept.orgId, 'county-specialist', '专科医生', name, extra);
    users.push(user('county-specialist', second, displayName, dept.orgId, { practitionerId: pid }));
  }
  const consultation = reg.departments.get('全科医学科')!;
  users.push(
    user('county-specialist', 'consultation.centre', reg.nameOf(consultation.practitionerId), consultation.orgId, {
      practitionerId: consultation.practitionerId,
    }),
  );
  return users;
}

/** The resident user: the first adult generated, registered at their village clinic. */
export function residentUser(p: Person, village: VillageInfo): DemoUser {
  return user('resident', 'resident', p.name, village.clinicId, { patientId: p.id });
}
