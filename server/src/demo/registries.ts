/**
 * The registries of the demo county: its administrative divisions (county → town → village, as `Location`s), the
 * institution tree of the medical community (commission → community → county hospitals and their departments,
 * township centres → village clinics, plus CDC, insurance, poverty office and a school outside the health tree), each
 * tied to its division, and the staff of each (Practitioner + PractitionerRole).
 */
import type { CodeableConcept, Organization, Resource } from '@medplum/fhirtypes';
import { VILLAGE_FIRST, VILLAGE_SECOND } from '../platform/identity/testpop/data.js';
import type { Town } from '../platform/identity/testpop/geography.js';
import {
  CENTRE_ROLES,
  CENTRE_SYSTEM,
  COUNTY_DEPARTMENTS,
  DEPARTMENT_ONLY_CENTRE_ROLES,
  ORGANIZATION_DIVISION_EXTENSION,
  ORG_TYPE_SYSTEM,
} from './catalogues.js';
import type { CountyContext } from './context.js';
import { Divisions, type Division } from './divisions.js';
import type { DemoRole, VillageInfo } from './types.js';

export interface Department {
  orgId: string;
  practitionerId: string;
  roleId: string;
}

export interface TownCentre {
  town: Town;
  id: string;
  doctorIds: string[];
  publicHealthId: string;
}

export class Registries {
  /** Location (divisions, first), Organization, Practitioner and PractitionerRole resources in generation order. */
  readonly resources: Resource[] = [];
  readonly divisions: Divisions;
  readonly villages: VillageInfo[] = [];
  readonly townCentres: TownCentre[] = [];
  readonly departments = new Map<string, Department>();
  commissionId = '';
  communityId = '';
  countyHospitalId = '';
  tcmHospitalId = '';
  privateHospitalId = '';
  cdcId = '';
  insuranceId = '';
  povertyOfficeId = '';
  schoolId = '';

  constructor(private readonly ctx: CountyContext) {
    this.divisions = new Divisions(ctx);
  }

  private villageName(taken: Set<string>, urban: boolean): string {
    const rng = this.ctx.rng;
    for (;;) {
      const n = rng.pick([...VILLAGE_FIRST]) + rng.pick([...VILLAGE_SECOND]) + (urban ? '社区' : '村');
      if (!taken.has(n)) {
        taken.add(n);
        return n;
      }
    }
  }

  private orgType(code: string, display: string): CodeableConcept {
    return { coding: [{ system: ORG_TYPE_SYSTEM, code, display }] };
  }

  private organization(
    name: string,
    type: CodeableConcept[],
    partOf: string | null,
    extra: Partial<Organization> = {},
    division: Division = this.divisions.county,
  ): string {
    const id = this.ctx.uuid();
    const org: Organization = {
      resourceType: 'Organization',
      id,
      extension: [
        { url: ORGANIZATION_DIVISION_EXTENSION, valueReference: { reference: `Location/${division.id}`, display: division.name } },
      ],
      active: true,
      type,
      name,
      ...(partOf ? { partOf: { reference: `Organization/${partOf}` } } : {}),
      address: [{ city: '南川区', state: '重庆市', country: 'CN' }],
      ...extra,
    };
    this.resources.push(org);
    return id;
  }

  /**
   * A practitioner and their role at an organisation; returns [practitionerId, roleId, name]. `ctx` draws the person
   * from other streams than the county's (e.g. staff added later that must leave everything else unchanged).
   */
  staff(
    orgId: string,
    roleCode: DemoRole,
    roleDisplay: string,
    specialty?: string,
    ctx: CountyContext = this.ctx,
  ): [string, string, string] {
    const sex = ctx.rng.chance(0.5) ? 'male' : 'female';
    const age = ctx.rng.between(26, 58);
    const birth = ctx.birthFor(age);
    const n = ctx.personName(sex, Number(birth.slice(0, 4)));
    const pid = ctx.uuid();
    const name = n.surname + n.given;
    this.resources.push({
      resourceType: 'Practitioner',
      id: pid,
      active: true,
      name: [{ use: 'official', text: name, family: n.surname, given: [n.given] }],
      gender: sex,
      birthDate: birth,
      telecom: [{ system: 'phone', value: ctx.people.phone(), use: 'work' }],
    });
    const rid = ctx.uuid();
    this.resources.push({
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

  /** The name of a practitioner generated here. */
  nameOf(practitionerId: string): string {
    const p = this.resources.find((r) => r.resourceType === 'Practitioner' && r.id === practitionerId) as
      { name?: { text?: string }[] } | undefined;
    return p?.name?.[0]?.text ?? practitionerId;
  }

  /** The institution tree and its staff, sized for `residents`. */
  build(residents: number): void {
    this.countyLevel();
    this.townships(residents);
    // The divisions go first: the institutions refer to them.
    this.resources.unshift(...this.divisions.resources);
  }

  private countyLevel(): void {
    this.commissionId = this.organization('南川区卫生健康委员会', [this.orgType('county-commission', '县级卫生健康行政部门')], null);
    this.communityId = this.organization('南川区医共体', [this.orgType('medical-community', '紧密型县域医共体')], this.commissionId);
    const centreTypes = Object.entries(CENTRE_ROLES)
      .filter(([code]) => !DEPARTMENT_ONLY_CENTRE_ROLES.includes(code))
      .map(([code, display]) => ({ coding: [{ system: CENTRE_SYSTEM, code, display }] }));
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
  }

  private townships(residents: number): void {
    // Townships: all when the county is large enough, at least a handful.
    const towns = [...this.ctx.geo.towns];
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
        this.divisions.town(town),
      );
      const doctorCount = residents >= 5000 ? 4 : residents >= 1000 ? 3 : 2;
      const doctorIds: string[] = [];
      for (let i = 0; i < doctorCount; i++) doctorIds.push(this.staff(centreId, 'township-doctor', '全科医生', '全科医学')[0]);
      const [publicHealthId] = this.staff(centreId, 'public-health-worker', '公共卫生医师', '公共卫生');
      this.townCentres.push({ town, id: centreId, doctorIds, publicHealthId });
      const taken = new Set<string>();
      const n = town.urban ? Math.max(2, Math.round(villagesPerTown / 2)) : villagesPerTown;
      for (let i = 0; i < n; i++) {
        const name = this.villageName(taken, town.urban);
        const division = this.divisions.village(town, name, town.urban);
        const clinicId = this.organization(
          town.urban ? `${town.name}${name}卫生服务站` : `${town.name}${name}卫生室`,
          [this.orgType('village-clinic', town.urban ? '社区卫生服务站' : '村卫生室')],
          centreId,
          { address: [{ text: `重庆市南川区${town.name}${name}`, city: '南川区', district: town.name, state: '重庆市', country: 'CN' }] },
          division,
        );
        const [doctorId, doctorRoleId] = this.staff(clinicId, 'village-doctor', '乡村医生', '全科');
        this.villages.push({ name, clinicId, doctorId, doctorRoleId, townCentreId: centreId, townDoctorIds: doctorIds, town, division });
      }
    }
  }
}
