/**
 * Synthetic demo county (南川区, Chongqing) as FHIR R4 transaction bundles: the institution tree of the medical
 * community, staff, residents in households with valid ID numbers, chronic disease care, acute visits, labs, reports,
 * prescriptions, childhood immunisations, pregnancies, poverty households and insurance. Pure and deterministic:
 * the same options give byte-identical output (ids come from the seeded generator, never from the clock).
 */
import type { Bundle, BundleEntry, CodeableConcept, Observation, Organization, Patient, Reference, Resource } from '@medplum/fhirtypes';
import { URBAN_ROADS, VILLAGE_FIRST, VILLAGE_SECOND } from '../platform/identity/testpop/data.js';
import type { Geography, Town } from '../platform/identity/testpop/geography.js';
import { PeopleSampler } from '../platform/identity/testpop/people.js';
import { Rng, Weighted } from '../platform/identity/testpop/rng.js';
import {
  ACUTE_COMPLAINTS,
  CENTRE_ROLES,
  CENTRE_SYSTEM,
  COUNTY_DEPARTMENTS,
  DRUGS,
  DRUG_SYSTEM,
  ICD10,
  ICD10_SYSTEM,
  ID_NUMBER_SYSTEM,
  IMMUNISATION_SCHEDULE_2021,
  LAB,
  LOINC,
  NANCHUAN_TOWNS,
  ORG_TYPE_SYSTEM,
  OTHER_COUNTIES,
  UCUM,
  VACCINES,
  VACCINE_SYSTEM,
  VITALS,
  YIWANG_TAG_SYSTEM,
  type IcdKey,
  type LabItem,
} from './catalogues.js';

export interface CountyOptions {
  seed: number;
  residents: number;
  /** Reference date YYYY-MM-DD (ages, visit dates); default 2026-11-23. */
  today?: string;
  /** County geography (e.g. `loadGeography(sharedDataDir)`); default: the built-in 南川区 towns. */
  geography?: Geography;
  /** Maximum entries per bundle (default 500). */
  bundleSize?: number;
}

export const DEMO_ROLES = [
  'village-doctor',
  'township-doctor',
  'county-specialist',
  'pharmacist',
  'public-health-worker',
  'cdc-officer',
  'school-doctor',
  'teacher',
  'insurance-officer',
  'poverty-officer',
  'manager',
  'resident',
  'admin',
] as const;
export type DemoRole = (typeof DEMO_ROLES)[number];

export interface DemoUser {
  username: string;
  displayName: string;
  roles: DemoRole[];
  organizationId: string;
  practitionerId?: string;
  patientId?: string;
}

export interface DemoCounty {
  /** Transaction bundles to POST in order; the first ones hold the registries (institutions and staff). */
  bundles: Bundle[];
  users: DemoUser[];
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const DAY = 86_400_000;

function builtinGeography(): Geography {
  return {
    cityName: '重庆市',
    countyCode: '500119',
    countyName: '南川区',
    towns: NANCHUAN_TOWNS.map(([code, name]) => ({ code, name, urban: name.endsWith('街道') })),
    otherCounties: OTHER_COUNTIES.map(([code, name]) => ({ code, name })),
  };
}

/** Age pyramid of a rural Chongqing county (5-year bands from 0, relative weights): many elderly, few young adults. */
const AGE_BANDS = [4, 4.5, 4.8, 4.2, 3.2, 3.6, 4.6, 5.2, 5.8, 7.8, 9.2, 8.8, 7.4, 7.6, 6.0, 4.0, 2.4, 1.2, 0.4];

interface Household {
  town: Town;
  village: VillageInfo;
  address: string;
  line: string;
  phone: string | null;
  poverty: boolean;
}

interface VillageInfo {
  name: string;
  clinicId: string;
  doctorId: string;
  doctorRoleId: string;
  townCentreId: string;
  townDoctorIds: string[];
  town: Town;
}

interface Person {
  id: string;
  name: string;
  surname: string;
  sex: 'male' | 'female';
  birth: string; // YYYY-MM-DD
  age: number;
  idNumber: string;
  phone: string | null;
}

class CountyGenerator {
  private readonly rng: Rng;
  private readonly ids: Rng;
  private readonly today: string;
  private readonly todayMs: number;
  private readonly geo: Geography;
  private readonly people: PeopleSampler;
  private readonly ages = new Weighted(
    AGE_BANDS.map((_, i) => i),
    AGE_BANDS,
  );
  private readonly registry: Resource[] = [];
  private readonly care: Resource[] = [];
  readonly users: DemoUser[] = [];
  private villages: VillageInfo[] = [];
  private villageTable: Weighted<VillageInfo> | undefined;
  private readonly complaints = new Weighted(
    ACUTE_COMPLAINTS.map((c) => c[0]),
    ACUTE_COMPLAINTS.map((c) => c[1]),
  );
  private villagesByTown = new Map<string, VillageInfo[]>();
  private commissionId = '';
  private communityId = '';
  private countyHospitalId = '';
  private tcmHospitalId = '';
  private privateHospitalId = '';
  private cdcId = '';
  private insuranceId = '';
  private povertyOfficeId = '';
  private schoolId = '';
  private readonly departments = new Map<string, { orgId: string; practitionerId: string; roleId: string }>();
  private readonly townCentres: { town: Town; id: string; doctorIds: string[]; publicHealthId: string }[] = [];

  constructor(private readonly options: CountyOptions) {
    this.rng = new Rng(options.seed);
    this.ids = new Rng(options.seed ^ 0x2545f491);
    this.today = options.today ?? '2026-11-23';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(this.today)) throw new Error(`today must be YYYY-MM-DD: ${this.today}`);
    this.todayMs = Date.parse(this.today + 'T00:00:00Z');
    this.geo = options.geography ?? builtinGeography();
    this.people = new PeopleSampler(this.rng);
  }

  // ---- helpers ---------------------------------------------------------------------------------------------------

  /** UUID v4-shaped id from the seeded stream. */
  private uuid(): string {
    let hex = '';
    for (let i = 0; i < 4; i++) hex += (this.ids.int(0x10000) * 0x10000 + this.ids.int(0x10000)).toString(16).padStart(8, '0');
    const variant = '89ab'[this.ids.int(4)]!;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  private date(ms: number): string {
    return new Date(ms).toISOString().slice(0, 10);
  }

  /** Date-time in China time, `daysAgo` before today, during clinic hours. */
  private dateTime(daysAgo: number): string {
    const d = this.date(this.todayMs - daysAgo * DAY);
    return `${d}T${pad2(this.rng.between(8, 16))}:${pad2(this.rng.int(60))}:00+08:00`;
  }

  private normal(mean: number, sd: number): number {
    const u = 1 - this.rng.next();
    const v = this.rng.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  private personName(sex: 'male' | 'female', year: number, surname?: string): { surname: string; given: string } {
    return { surname: surname ?? this.people.surname(), given: this.people.givenName(year, sex) };
  }

  private birthFor(age: number): string {
    for (;;) {
      const ms = this.todayMs - (age * 365.25 + this.rng.int(365)) * DAY;
      const b = this.date(ms);
      if (b <= this.today) return b;
    }
  }

  private ageOn(birth: string): number {
    const [y, m, d] = birth.split('-').map(Number) as [number, number, number];
    const [ty, tm, td] = this.today.split('-').map(Number) as [number, number, number];
    return ty - y - (tm < m || (tm === m && td < d) ? 1 : 0);
  }

  private idNumber(birth: string, sex: 'male' | 'female', age: number): string {
    const r = this.rng.next();
    let region = this.geo.countyCode;
    if (r > (age < 18 ? 0.96 : 0.9) && this.geo.otherCounties.length) region = this.rng.pick(this.geo.otherCounties).code;
    return this.people.idNumber(region, birth.replace(/-/g, ''), sex);
  }

  private villageName(taken: Set<string>, urban: boolean): string {
    for (;;) {
      const n = this.rng.pick([...VILLAGE_FIRST]) + this.rng.pick([...VILLAGE_SECOND]) + (urban ? '社区' : '村');
      if (!taken.has(n)) {
        taken.add(n);
        return n;
      }
    }
  }

  private orgType(code: string, display: string): CodeableConcept {
    return { coding: [{ system: ORG_TYPE_SYSTEM, code, display }] };
  }

  private organization(name: string, type: CodeableConcept[], partOf: string | null, extra: Partial<Organization> = {}): string {
    const id = this.uuid();
    const org: Organization = {
      resourceType: 'Organization',
      id,
      active: true,
      type,
      name,
      ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}),
      address: [{ city: '南川区', state: '重庆市', country: 'CN' }],
      ...extra,
    };
    this.registry.push(org);
    return id;
  }

  /** A practitioner and their role at an organisation; returns [practitionerId, roleId]. */
  private staff(orgId: string, roleCode: DemoRole, roleDisplay: string, specialty?: string): [string, string, string] {
    const sex = this.rng.chance(0.5) ? 'male' : 'female';
    const age = this.rng.between(26, 58);
    const birth = this.birthFor(age);
    const n = this.personName(sex, Number(birth.slice(0, 4)));
    const pid = this.uuid();
    const name = n.surname + n.given;
    this.registry.push({
      resourceType: 'Practitioner',
      id: pid,
      active: true,
      name: [{ use: 'official', text: name, family: n.surname, given: [n.given] }],
      gender: sex,
      birthDate: birth,
      telecom: [{ system: 'phone', value: this.people.phone(), use: 'work' }],
    });
    const rid = this.uuid();
    this.registry.push({
      resourceType: 'PractitionerRole',
      id: rid,
      active: true,
      practitioner: { reference: `Practitioner/${pid}`, display: name },
      organization: { reference: `Organization/${orgId}` },
      code: [{ coding: [{ system: 'urn:yiwang:role', code: roleCode, display: roleDisplay }] }],
      ...(specialty ? { specialty: [{ text: specialty }] } : {}),
    });
    return [pid, rid, name];
  }

  private user(role: DemoRole, username: string, displayName: string, organizationId: string, extra: Partial<DemoUser> = {}): void {
    this.users.push({ username, displayName, roles: [role], organizationId, ...extra });
  }

  // ---- registries ------------------------------------------------------------------------------------------------

  private buildInstitutions(): void {
    const residents = this.options.residents;
    this.commissionId = this.organization('南川区卫生健康委员会', [this.orgType('county-commission', '县级卫生健康行政部门')], null);
    this.communityId = this.organization('南川区医共体', [this.orgType('medical-community', '紧密型县域医共体')], this.commissionId);
    const centreTypes = Object.entries(CENTRE_ROLES).map(([code, display]) => ({
      coding: [{ system: CENTRE_SYSTEM, code, display }],
    }));
    this.countyHospitalId = this.organization(
      '南川区人民医院',
      [this.orgType('county-hospital', '县级综合医院'), ...centreTypes],
      this.communityId,
    );
    this.tcmHospitalId = this.organization('南川区中医院', [this.orgType('tcm-hospital', '县级中医医院')], this.communityId);
    this.privateHospitalId = this.organization('南川金佛山医院', [this.orgType('private-hospital', '民营医院')], this.communityId);
    this.cdcId = this.organization('南川区疾病预防控制中心', [this.orgType('cdc', '疾病预防控制中心')], this.commissionId);
    // Agencies outside the health system: no place in the health-commission tree.
    this.insuranceId = this.organization(
      '南川区医疗保障局',
      [
        this.orgType('insurance-bureau', '医疗保障局'),
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'ins', display: 'Insurance Company' }] },
      ],
      null,
    );
    this.povertyOfficeId = this.organization('南川区乡村振兴局', [this.orgType('rural-revitalisation-bureau', '乡村振兴局')], null);
    this.schoolId = this.organization('南川区隆化第一小学', [this.orgType('school', '学校')], null);

    for (const [dept, centre] of COUNTY_DEPARTMENTS) {
      const orgId = this.organization(
        `南川区人民医院${dept}`,
        [
          { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'dept', display: 'Hospital Department' }] },
          ...(centre ? [{ coding: [{ system: CENTRE_SYSTEM, code: centre, display: CENTRE_ROLES[centre]! }] }] : []),
        ],
        this.countyHospitalId,
      );
      const role = centre === 'pharmacy-review' ? 'pharmacist' : 'county-specialist';
      const [practitionerId, roleId] = this.staff(orgId, role, role === 'pharmacist' ? '药师' : '专科医生', dept);
      this.departments.set(dept, { orgId, practitionerId, roleId });
    }
    for (const org of [this.tcmHospitalId, this.privateHospitalId]) this.staff(org, 'county-specialist', '专科医生', '内科');

    // Townships: all when the county is large enough, at least a handful.
    const towns = [...this.geo.towns];
    const townCount = Math.min(towns.length, Math.max(5, Math.ceil(residents / 60)));
    const chosen = towns
      .filter((t) => t.urban)
      .slice(0, 1)
      .concat(towns.filter((t) => !t.urban))
      .slice(0, townCount);
    const villagesPerTown = Math.max(2, Math.min(8, Math.round(residents / (townCount * 12))));
    for (const town of chosen) {
      const centreName = town.urban
        ? `南川区${town.name}社区卫生服务中心`
        : `南川区${town.name.replace(/(镇|乡)$/, '')}${town.name.endsWith('乡') ? '乡' : '镇'}卫生院`;
      const centreId = this.organization(
        centreName,
        [this.orgType('township-health-centre', town.urban ? '社区卫生服务中心' : '乡镇卫生院')],
        this.communityId,
        { address: [{ text: `重庆市南川区${town.name}`, city: '南川区', district: town.name, state: '重庆市', country: 'CN' }] },
      );
      const doctorCount = residents >= 5000 ? 4 : residents >= 1000 ? 3 : 2;
      const doctorIds: string[] = [];
      for (let i = 0; i < doctorCount; i++) doctorIds.push(this.staff(centreId, 'township-doctor', '全科医生', '全科医学')[0]);
      const [publicHealthId] = this.staff(centreId, 'public-health-worker', '公共卫生医师', '公共卫生');
      this.townCentres.push({ town, id: centreId, doctorIds, publicHealthId });
      const taken = new Set<string>();
      const list: VillageInfo[] = [];
      const n = town.urban ? Math.max(2, Math.round(villagesPerTown / 2)) : villagesPerTown;
      for (let i = 0; i < n; i++) {
        const name = this.villageName(taken, town.urban);
        const clinicId = this.organization(
          town.urban ? `${town.name}${name}卫生服务站` : `${town.name}${name}卫生室`,
          [this.orgType('village-clinic', town.urban ? '社区卫生服务站' : '村卫生室')],
          centreId,
          { address: [{ text: `重庆市南川区${town.name}${name}`, city: '南川区', district: town.name, state: '重庆市', country: 'CN' }] },
        );
        const [doctorId, doctorRoleId] = this.staff(clinicId, 'village-doctor', '乡村医生', '全科');
        list.push({ name, clinicId, doctorId, doctorRoleId, townCentreId: centreId, townDoctorIds: doctorIds, town });
      }
      this.villagesByTown.set(town.code, list);
      this.villages.push(...list);
    }
  }

  private buildStaffUsers(): void {
    const roleOf = (id: string) =>
      (this.registry.find((r) => r.resourceType === 'Practitioner' && r.id === id) as { name?: { text?: string }[] } | undefined)?.name?.[0]
        ?.text ?? id;
    const v = this.villages[0]!;
    this.user('village-doctor', 'village.doctor', roleOf(v.doctorId), v.clinicId, { practitionerId: v.doctorId });
    const t = this.townCentres.find((c) => !c.town.urban) ?? this.townCentres[0]!;
    this.user('township-doctor', 'township.doctor', roleOf(t.doctorIds[0]!), t.id, { practitionerId: t.doctorIds[0]! });
    this.user('public-health-worker', 'public.health', roleOf(t.publicHealthId), t.id, { practitionerId: t.publicHealthId });
    const cardio = this.departments.get('心血管内科')!;
    this.user('county-specialist', 'county.specialist', roleOf(cardio.practitionerId), this.countyHospitalId, {
      practitionerId: cardio.practitionerId,
    });
    const pharmacy = this.departments.get('药剂科')!;
    this.user('pharmacist', 'pharmacist', roleOf(pharmacy.practitionerId), this.countyHospitalId, {
      practitionerId: pharmacy.practitionerId,
    });
    const [cdcPid, , cdcName] = this.staff(this.cdcId, 'cdc-officer', '疾控专员', '传染病防制');
    this.user('cdc-officer', 'cdc.officer', cdcName, this.cdcId, { practitionerId: cdcPid });
    const [schoolPid, , schoolName] = this.staff(this.schoolId, 'school-doctor', '校医', '学校卫生');
    this.user('school-doctor', 'school.doctor', schoolName, this.schoolId, { practitionerId: schoolPid });
    const plain = (role: DemoRole, username: string, orgId: string) => {
      const sex = this.rng.chance(0.5) ? 'male' : 'female';
      const n = this.personName(sex, 1985);
      this.user(role, username, n.surname + n.given, orgId);
    };
    plain('teacher', 'teacher', this.schoolId);
    plain('insurance-officer', 'insurance.officer', this.insuranceId);
    plain('poverty-officer', 'poverty.officer', this.povertyOfficeId);
    plain('manager', 'manager', this.communityId);
    plain('admin', 'admin', this.commissionId);
  }

  // ---- residents -------------------------------------------------------------------------------------------------

  private household(): Household {
    // Sub-district villages (the county seat) are larger.
    this.villageTable ??= new Weighted(
      this.villages,
      this.villages.map((v) => (v.town.urban ? 3 : 1)),
    );
    const village = this.villageTable.sample(this.rng);
    const line = village.town.urban
      ? `${this.rng.pick(URBAN_ROADS)}${this.rng.between(1, 300)}号${this.rng.between(1, 20)}栋${this.rng.between(1, 4)}单元`
      : `${this.rng.between(1, 12)}组${this.rng.between(1, 160)}号`;
    return {
      town: village.town,
      village,
      line,
      address: `重庆市南川区${village.town.name}${village.name}${line}`,
      phone: null,
      poverty: !village.town.urban && this.rng.chance(0.055),
    };
  }

  private makePerson(h: Household, sex: 'male' | 'female', age: number, surname?: string): Person {
    const birth = this.birthFor(Math.max(0, age));
    const realAge = this.ageOn(birth);
    const n = this.personName(sex, Number(birth.slice(0, 4)), surname);
    const phone = realAge >= 18 && realAge <= 75 ? (this.rng.chance(0.85) ? this.people.phone() : null) : null;
    return {
      id: this.uuid(),
      name: n.surname + n.given,
      surname: n.surname,
      sex,
      birth,
      age: realAge,
      idNumber: this.idNumber(birth, sex, realAge),
      phone,
    };
  }

  /** A household whose head has an age drawn from the pyramid; returns its members. */
  private householdMembers(h: Household): Person[] {
    const band = this.ages.sample(this.rng);
    let headAge = band * 5 + this.rng.int(5);
    const members: Person[] = [];
    if (headAge < 20) {
      // A child: generate the family around them (parents 22–40 years older, often away working: grandparents).
      const child = headAge;
      const parentAge = child + this.rng.between(22, 36);
      const surname = this.people.surname();
      const kid = this.makePerson(h, this.rng.chance(0.52) ? 'male' : 'female', child, surname);
      if (this.rng.chance(0.6)) {
        members.push(this.makePerson(h, 'male', parentAge, surname), this.makePerson(h, 'female', parentAge - this.rng.between(0, 4)));
      } else {
        // 留守儿童: grandparents at home.
        const g = parentAge + this.rng.between(22, 30);
        members.push(this.makePerson(h, 'male', g, surname), this.makePerson(h, 'female', g - this.rng.between(0, 4)));
      }
      members.push(kid);
      return members;
    }
    headAge = Math.min(headAge, 98);
    const surname = this.people.surname();
    const single = this.rng.chance(headAge >= 75 ? 0.45 : headAge < 30 ? 0.5 : 0.12);
    members.push(this.makePerson(h, 'male', headAge, surname));
    if (!single) members.push(this.makePerson(h, 'female', Math.max(20, headAge - this.rng.between(-2, 5))));
    else if (this.rng.chance(0.55)) members[0] = this.makePerson(h, 'female', headAge);
    if (!single && headAge >= 23 && headAge <= 52 && this.rng.chance(0.85)) {
      const kids = this.rng.chance(0.55) ? 1 : 2;
      for (let i = 0; i < kids; i++) {
        const age = headAge - this.rng.between(22, 34);
        if (age >= 0) members.push(this.makePerson(h, this.rng.chance(0.52) ? 'male' : 'female', age, surname));
      }
    }
    return members;
  }

  private patient(p: Person, h: Household): Patient {
    const telecom = p.phone ?? h.phone;
    return {
      resourceType: 'Patient',
      id: p.id,
      ...(h.poverty ? { meta: { tag: [{ system: YIWANG_TAG_SYSTEM, code: 'poverty-household', display: '脱贫户/监测户' }] } } : {}),
      identifier: [{ use: 'official', system: ID_NUMBER_SYSTEM, value: p.idNumber }],
      active: true,
      name: [{ use: 'official', text: p.name, family: p.surname, given: [p.name.slice(p.surname.length)] }],
      gender: p.sex,
      birthDate: p.birth,
      ...(telecom ? { telecom: [{ system: 'phone', value: telecom, use: 'mobile' }] } : {}),
      address: [
        {
          use: 'home',
          text: h.address,
          line: [`${h.village.name}${h.line}`],
          city: '南川区',
          district: h.town.name,
          state: '重庆市',
          postalCode: '408400',
          country: 'CN',
        },
      ],
      managingOrganization: { reference: `Organization/${h.village.clinicId}` },
      generalPractitioner: [{ reference: `Practitioner/${h.village.doctorId}` }],
    };
  }

  // ---- care ------------------------------------------------------------------------------------------------------

  private ref(type: string, id: string): { reference: string } {
    return { reference: `${type}/${id}` };
  }

  private encounter(p: Person, orgId: string, practitionerId: string, daysAgo: number, reason: string, cls = 'AMB'): [string, string] {
    const id = this.uuid();
    const start = this.dateTime(daysAgo);
    const end = start.replace(/T(\d\d):/, (_, hh: string) => `T${pad2(Math.min(23, Number(hh) + 1))}:`);
    this.care.push({
      resourceType: 'Encounter',
      id,
      status: 'finished',
      class: {
        system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
        code: cls,
        display: cls === 'AMB' ? 'ambulatory' : 'home health',
      },
      type: [{ text: reason }],
      subject: this.ref('Patient', p.id),
      participant: [{ individual: this.ref('Practitioner', practitionerId) }],
      period: { start, end },
      serviceProvider: this.ref('Organization', orgId),
    });
    return [id, start];
  }

  private condition(
    p: Person,
    key: IcdKey,
    onset: string,
    category: 'problem-list-item' | 'encounter-diagnosis',
    encounterId?: string,
  ): string {
    const id = this.uuid();
    const c = ICD10[key];
    const chronic = category === 'problem-list-item';
    this.care.push({
      resourceType: 'Condition',
      id,
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: chronic ? 'active' : 'resolved' }],
      },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: category }] }],
      code: { coding: [{ system: ICD10_SYSTEM, code: c.code, display: c.display }], text: c.display },
      subject: this.ref('Patient', p.id),
      ...(encounterId ? { encounter: this.ref('Encounter', encounterId) } : {}),
      onsetDateTime: onset,
      recordedDate: onset,
    });
    return id;
  }

  private interpretation(value: number, low: number, high: number): CodeableConcept | undefined {
    const code = value > high ? 'H' : value < low ? 'L' : undefined;
    if (!code) return undefined;
    return {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
          code,
          display: code === 'H' ? 'High' : 'Low',
        },
      ],
    };
  }

  private bloodPressure(p: Person, encounterId: string, when: string, hypertensive: boolean): void {
    const controlled = this.rng.chance(0.6);
    const sys = Math.round(hypertensive ? (controlled ? this.normal(132, 7) : this.normal(152, 12)) : this.normal(112 + p.age * 0.35, 9));
    const dia = Math.round(Math.max(50, sys * 0.6 + this.normal(4, 5)));
    const component = (code: { code: string; display: string }, v: number, high: number) => {
      const interp = this.interpretation(v, 0, high - 1);
      return {
        code: { coding: [{ system: LOINC, code: code.code, display: code.display }] },
        valueQuantity: { value: v, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
        ...(interp ? { interpretation: [interp] } : {}),
      };
    };
    const obs: Observation = {
      resourceType: 'Observation',
      id: this.uuid(),
      status: 'final',
      category: [this.category('vital-signs')],
      code: { coding: [{ system: LOINC, code: VITALS.bpPanel.code, display: VITALS.bpPanel.display }], text: '血压' },
      subject: this.ref('Patient', p.id),
      encounter: this.ref('Encounter', encounterId),
      effectiveDateTime: when,
      component: [component(VITALS.systolic, sys, 140), component(VITALS.diastolic, dia, 90)],
    };
    this.care.push(obs);
  }

  private category(code: 'vital-signs' | 'laboratory'): CodeableConcept {
    return { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code }] };
  }

  private lab(p: Person, item: LabItem, encounterId: string, when: string, mean = item.mean, performer?: string): string {
    const factor = 10 ** item.decimals;
    const value = Math.round(Math.max(item.low / 2 + 0.1, this.normal(mean, item.sd)) * factor) / factor;
    const interp = this.interpretation(value, item.low, item.high);
    const id = this.uuid();
    this.care.push({
      resourceType: 'Observation',
      id,
      status: 'final',
      category: [this.category('laboratory')],
      code: { coding: [{ system: LOINC, code: item.code, display: item.display }], text: item.display },
      subject: this.ref('Patient', p.id),
      encounter: this.ref('Encounter', encounterId),
      effectiveDateTime: when,
      ...(performer ? { performer: [this.ref('Organization', performer)] } : {}),
      valueQuantity: { value, unit: item.unit, system: UCUM, code: item.unit === 'umol/L' ? 'umol/L' : item.unit },
      ...(interp ? { interpretation: [interp] } : {}),
      referenceRange: [
        {
          low: { value: item.low, unit: item.unit, system: UCUM, code: item.unit },
          high: { value: item.high, unit: item.unit, system: UCUM, code: item.unit },
        },
      ],
    });
    return id;
  }

  private medication(p: Person, drug: keyof typeof DRUGS, requesterId: string, authoredOn: string, reasonId: string): void {
    const d = DRUGS[drug]!;
    this.care.push({
      resourceType: 'MedicationRequest',
      id: this.uuid(),
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: { coding: [{ system: DRUG_SYSTEM, code: d.code, display: d.display }], text: d.display },
      subject: this.ref('Patient', p.id),
      authoredOn,
      requester: this.ref('Practitioner', requesterId),
      reasonReference: [this.ref('Condition', reasonId)],
      dosageInstruction: [{ text: d.dosage }],
      dispenseRequest: { expectedSupplyDuration: { value: 28, unit: '天', system: UCUM, code: 'd' } },
    });
  }

  private report(p: Person, encounterId: string, when: string, kind: 'ecg' | 'imaging', performerOrg: string, performer: string): void {
    const ecg = kind === 'ecg';
    const conclusions = ecg
      ? ['窦性心律，正常心电图', '窦性心律，ST-T改变', '窦性心动过缓', '窦性心律，左心室高电压', '心房颤动']
      : ['双肺纹理增多，心影不大', '双肺未见明显异常', '主动脉迂曲、钙化', '右下肺少许炎症，建议治疗后复查'];
    this.care.push({
      resourceType: 'DiagnosticReport',
      id: this.uuid(),
      status: 'final',
      category: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/v2-0074',
              code: ecg ? 'EC' : 'RAD',
              display: ecg ? 'Electrocardiac' : 'Radiology',
            },
          ],
        },
      ],
      code: ecg
        ? { coding: [{ system: LOINC, code: '11524-6', display: 'EKG study' }], text: '十二导联心电图' }
        : { coding: [{ system: LOINC, code: '36643-5', display: 'XR Chest 2 Views' }], text: '胸部X线正侧位片' },
      subject: this.ref('Patient', p.id),
      encounter: this.ref('Encounter', encounterId),
      effectiveDateTime: when,
      issued: when.replace(/\+08:00$/, '.000+08:00'),
      performer: [this.ref('Organization', performerOrg), this.ref('Practitioner', performer)],
      conclusion: this.rng.chance(0.6) ? conclusions[0]! : this.rng.pick(conclusions),
    });
  }

  private careFor(p: Person, h: Household): void {
    const v = h.village;
    const townDoctor = this.rng.pick(v.townDoctorIds);
    const adult = p.age >= 35;
    const a = p.age;
    const htnP = !adult ? 0 : a < 45 ? 0.09 : a < 55 ? 0.19 : a < 65 ? 0.28 : a < 75 ? 0.35 : 0.38;
    const dmP = !adult ? 0 : a < 45 ? 0.045 : a < 55 ? 0.09 : a < 65 ? 0.125 : 0.145;
    const hypertension = this.rng.chance(htnP);
    const diabetes = this.rng.chance(dmP);
    const copd = a >= 55 && this.rng.chance(a >= 70 ? 0.1 : 0.05);
    const lipids = adult && this.rng.chance(0.08);
    const coronary = a >= 55 && this.rng.chance(0.04);

    const chronic: [IcdKey, string][] = [];
    const onset = () => this.date(this.todayMs - this.rng.between(200, 365 * Math.max(1, Math.min(15, a - 34))) * DAY);
    if (hypertension) chronic.push(['hypertension', this.condition(p, 'hypertension', onset(), 'problem-list-item')]);
    if (diabetes) chronic.push(['diabetes', this.condition(p, 'diabetes', onset(), 'problem-list-item')]);
    if (copd) chronic.push(['copd', this.condition(p, 'copd', onset(), 'problem-list-item')]);
    if (lipids) chronic.push(['hyperlipidaemia', this.condition(p, 'hyperlipidaemia', onset(), 'problem-list-item')]);
    if (coronary) chronic.push(['coronary', this.condition(p, 'coronary', onset(), 'problem-list-item')]);

    // Quarterly follow-ups by the village doctor (some at home), one each season of the past year.
    if (hypertension || diabetes) {
      for (let q = 0; q < 4; q++) {
        const daysAgo = q * 91 + this.rng.between(3, 80);
        const [enc, when] = this.encounter(
          p,
          v.clinicId,
          v.doctorId,
          daysAgo,
          hypertension ? '高血压患者随访' : '糖尿病患者随访',
          this.rng.chance(0.2) ? 'HH' : 'AMB',
        );
        this.bloodPressure(p, enc, when, hypertension);
        if (diabetes) this.lab(p, LAB['glucose']!, enc, when, this.rng.chance(0.55) ? 6.4 : 8.6);
        if (diabetes && q === 0) this.lab(p, LAB['hba1c']!, enc, when, this.rng.chance(0.5) ? 6.6 : 7.8);
      }
    }
    for (const [key, condId] of chronic) {
      const authored = this.date(this.todayMs - this.rng.between(5, 80) * DAY);
      if (key === 'hypertension')
        this.medication(p, this.rng.pick(['amlodipine', 'nifedipine', 'irbesartan']), v.doctorId, authored, condId);
      if (key === 'diabetes') {
        this.medication(p, 'metformin', v.doctorId, authored, condId);
        if (this.rng.chance(0.3)) this.medication(p, 'glimepiride', townDoctor, authored, condId);
      }
      if (key === 'hyperlipidaemia' || key === 'coronary') this.medication(p, 'atorvastatin', townDoctor, authored, condId);
      if (key === 'copd') this.medication(p, 'tiotropium', townDoctor, authored, condId);
    }

    // Yearly health check of the elderly at the township centre: labs, some with ECG at the county ECG centre.
    if (a >= 65 && this.rng.chance(0.7)) {
      const [enc, when] = this.encounter(p, v.townCentreId, townDoctor, this.rng.between(10, 300), '老年人健康体检');
      this.bloodPressure(p, enc, when, hypertension);
      for (const key of ['glucose', 'cholesterol', 'triglycerides', 'creatinine', 'alt', 'haemoglobin'] as const) {
        const item = LAB[key]!;
        const mean = key === 'glucose' && diabetes ? 7.8 : key === 'haemoglobin' && p.sex === 'female' ? 125 : item.mean;
        this.lab(p, item, enc, when, mean);
      }
      if (this.rng.chance(0.5)) {
        const ecg = this.departments.get('心电图室')!;
        this.report(p, enc, when, 'ecg', ecg.orgId, ecg.practitionerId);
      }
    }

    // Acute visits: mostly village and township, some at the county hospitals.
    const visits = this.rng.chance(0.3) ? 1 + (this.rng.chance(0.25) ? 1 : 0) : 0;
    for (let i = 0; i < visits; i++) {
      const key = this.complaints.sample(this.rng);
      const r = this.rng.next();
      const daysAgo = this.rng.between(1, 360);
      if (r < 0.6) {
        const [enc, when] = this.encounter(p, v.clinicId, v.doctorId, daysAgo, ICD10[key].display);
        this.condition(p, key, when, 'encounter-diagnosis', enc);
      } else if (r < 0.88) {
        const [enc, when] = this.encounter(p, v.townCentreId, townDoctor, daysAgo, ICD10[key].display);
        this.condition(p, key, when, 'encounter-diagnosis', enc);
        if (this.rng.chance(0.4)) this.lab(p, LAB['haemoglobin']!, enc, when, p.sex === 'female' ? 128 : 142);
      } else {
        const dept = this.departments.get(key === 'uri' || key === 'bronchitis' ? '呼吸与危重症医学科' : '全科医学科')!;
        const hospital = this.rng.chance(0.75) ? this.countyHospitalId : this.tcmHospitalId;
        const [enc, when] = this.encounter(p, hospital, dept.practitionerId, daysAgo, ICD10[key].display);
        this.condition(p, key, when, 'encounter-diagnosis', enc);
        const labDept = this.departments.get('检验科')!;
        this.lab(p, LAB['haemoglobin']!, enc, when, p.sex === 'female' ? 128 : 142, labDept.orgId);
        if (key === 'uri' || key === 'bronchitis') {
          const img = this.departments.get('医学影像科')!;
          this.report(p, enc, when, 'imaging', img.orgId, img.practitionerId);
        }
      }
    }

    // Childhood immunisations (2021 schedule) for children under 7, given at the township centre.
    if (a < 7) this.immunisations(p, v);

    // Pregnancy: women 20–40, managed by the township centre (booklet, first check, BP and gestational age).
    if (p.sex === 'female' && a >= 20 && a <= 40 && this.rng.chance(0.05)) this.pregnancy(p, v, townDoctor);
  }

  private immunisations(p: Person, v: VillageInfo): void {
    const birthMs = Date.parse(p.birth + 'T00:00:00Z');
    for (const [months, key, dose] of IMMUNISATION_SCHEDULE_2021) {
      const due = birthMs + Math.round(months * 30.44) * DAY + (months === 0 ? 0 : this.rng.between(0, 14) * DAY);
      if (due > this.todayMs) continue;
      if (this.rng.chance(0.02)) continue; // a missed dose
      const vac = VACCINES[key]!;
      this.care.push({
        resourceType: 'Immunization',
        id: this.uuid(),
        status: 'completed',
        vaccineCode: { coding: [{ system: VACCINE_SYSTEM, code: vac.code, display: vac.display }], text: vac.display },
        patient: this.ref('Patient', p.id),
        occurrenceDateTime: `${this.date(due)}T${pad2(this.rng.between(8, 16))}:00:00+08:00`,
        primarySource: true,
        performer: [{ actor: this.ref('Organization', months === 0 ? this.countyHospitalId : v.townCentreId) }],
        protocolApplied: [{ series: '国家免疫规划2021', doseNumberPositiveInt: dose }],
      });
    }
  }

  private pregnancy(p: Person, v: VillageInfo, townDoctor: string): void {
    const weeks = this.rng.between(8, 38);
    const startMs = this.todayMs - weeks * 7 * DAY;
    const episodeId = this.uuid();
    this.care.push({
      resourceType: 'EpisodeOfCare',
      id: episodeId,
      status: 'active',
      type: [{ coding: [{ system: 'urn:yiwang:episode-type', code: 'pregnancy', display: '孕产妇健康管理' }] }],
      patient: this.ref('Patient', p.id),
      managingOrganization: this.ref('Organization', v.townCentreId),
      period: { start: this.date(startMs) },
      careManager: this.ref('Practitioner', townDoctor),
    });
    const conditionId = this.uuid();
    this.care.push({
      resourceType: 'Condition',
      id: conditionId,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
      code: { coding: [{ system: ICD10_SYSTEM, code: ICD10.pregnancy.code, display: ICD10.pregnancy.display }] },
      subject: this.ref('Patient', p.id),
      onsetDateTime: this.date(startMs),
    });
    // Checks done so far: first before 13 weeks, then at 16–20, 21–24, 28–36, 37–40.
    for (const atWeek of [11, 18, 23, 32, 38]) {
      if (atWeek > weeks) break;
      const daysAgo = (weeks - atWeek) * 7;
      const [enc, when] = this.encounter(p, v.townCentreId, townDoctor, daysAgo, atWeek === 11 ? '孕早期检查（建册）' : '产前检查');
      const encounter = this.care[this.care.length - 1] as { episodeOfCare?: Reference[] };
      encounter.episodeOfCare = [this.ref('EpisodeOfCare', episodeId)];
      this.bloodPressure(p, enc, when, false);
      this.care.push({
        resourceType: 'Observation',
        id: this.uuid(),
        status: 'final',
        code: { coding: [{ system: LOINC, code: VITALS.gestationalAge.code, display: VITALS.gestationalAge.display }] },
        subject: this.ref('Patient', p.id),
        encounter: this.ref('Encounter', enc),
        focus: [this.ref('Condition', conditionId)],
        effectiveDateTime: when,
        valueQuantity: { value: atWeek, unit: '周', system: UCUM, code: 'wk' },
      });
    }
  }

  private coverage(p: Person, h: Household): void {
    this.care.push({
      resourceType: 'Coverage',
      id: this.uuid(),
      status: 'active',
      type: { coding: [{ system: 'urn:yiwang:insurance-type', code: 'urban-rural-resident', display: '城乡居民基本医疗保险' }] },
      subscriberId: p.idNumber,
      beneficiary: this.ref('Patient', p.id),
      relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] },
      period: { start: `${this.today.slice(0, 4)}-01-01`, end: `${this.today.slice(0, 4)}-12-31` },
      payor: [{ reference: `Organization/${this.insuranceId}`, display: '南川区医疗保障局' }],
      ...(h.poverty ? { class: [{ type: { text: '参保类别' }, value: 'poverty', name: '脱贫人口（资助参保）' }] } : {}),
    });
  }

  private povertyFlag(p: Person): void {
    this.care.push({
      resourceType: 'Flag',
      id: this.uuid(),
      status: 'active',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'admin', display: 'Administrative' }] }],
      code: { coding: [{ system: YIWANG_TAG_SYSTEM, code: 'poverty-household', display: '脱贫户/监测户' }], text: '脱贫户' },
      subject: this.ref('Patient', p.id),
      period: { start: `${Number(this.today.slice(0, 4)) - this.rng.between(1, 6)}-01-01` },
      author: this.ref('Organization', this.povertyOfficeId),
    });
  }

  // ---- assembly --------------------------------------------------------------------------------------------------

  generate(): DemoCounty {
    this.buildInstitutions();
    this.buildStaffUsers();
    let residentUser = false;
    let count = 0;
    while (count < this.options.residents) {
      const h = this.household();
      const members = this.householdMembers(h).slice(0, this.options.residents - count);
      h.phone = members.find((m) => m.phone)?.phone ?? null;
      for (const m of members) {
        this.care.push(this.patient(m, h));
        this.coverage(m, h);
        if (h.poverty) this.povertyFlag(m);
        this.careFor(m, h);
        if (!residentUser && m.age >= 18) {
          residentUser = true;
          this.user('resident', 'resident', m.name, h.village.clinicId, { patientId: m.id });
        }
      }
      count += members.length;
    }
    return { bundles: [...this.chunk(this.registry), ...this.chunk(this.care)], users: this.users };
  }

  private chunk(resources: Resource[]): Bundle[] {
    const size = this.options.bundleSize ?? 500;
    const out: Bundle[] = [];
    for (let i = 0; i < resources.length; i += size) {
      const entry: BundleEntry[] = resources.slice(i, i + size).map((resource) => ({
        fullUrl: `urn:uuid:${resource.id}`,
        resource,
        request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
      }));
      out.push({ resourceType: 'Bundle', type: 'transaction', entry });
    }
    return out;
  }
}

/** Generates the demo county (same options → identical bundles and users). */
export function generateCounty(options: CountyOptions): DemoCounty {
  if (!Number.isInteger(options.residents) || options.residents < 1) throw new Error('residents must be a positive integer');
  return new CountyGenerator(options).generate();
}

/** Number of resources per type in the bundles. */
export function summarize(bundles: Bundle[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const b of bundles)
    for (const e of b.entry ?? []) {
      const t = e.resource?.resourceType;
      if (t) counts[t] = (counts[t] ?? 0) + 1;
    }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
