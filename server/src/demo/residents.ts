/**
 * The residents of the demo county: households at an address in a village (sized by an age pyramid of a rural
 * Chongqing county, with left-behind children living with grandparents), people with valid ID numbers, and their
 * Patient resources registered at the village clinic, with an e-health card and the village's division code.
 */
import type { Patient } from '@medplum/fhirtypes';
import { URBAN_ROADS } from '../platform/identity/testpop/data.js';
import { Weighted } from '../platform/identity/testpop/rng.js';
import { ADDRESS_DIVISION_EXTENSION, EHEALTH_CARD_SYSTEM, ID_NUMBER_SYSTEM, YIWANG_TAG_SYSTEM } from './catalogues.js';
import type { CountyContext } from './context.js';
import type { Household, Person, VillageInfo } from './types.js';

/** Age pyramid of a rural Chongqing county (5-year bands from 0, relative weights): many elderly, few young adults. */
const AGE_BANDS = [4, 4.5, 4.8, 4.2, 3.2, 3.6, 4.6, 5.2, 5.8, 7.8, 9.2, 8.8, 7.4, 7.6, 6.0, 4.0, 2.4, 1.2, 0.4];

export class Residents {
  private readonly ages = new Weighted(
    AGE_BANDS.map((_, i) => i),
    AGE_BANDS,
  );
  private villageTable: Weighted<VillageInfo> | undefined;

  constructor(
    private readonly ctx: CountyContext,
    private readonly villages: VillageInfo[],
  ) {}

  household(): Household {
    const rng = this.ctx.rng;
    // Sub-district villages (the county seat) are larger.
    this.villageTable ??= new Weighted(
      this.villages,
      this.villages.map((v) => (v.town.urban ? 3 : 1)),
    );
    const village = this.villageTable.sample(rng);
    const line = village.town.urban
      ? `${rng.pick(URBAN_ROADS)}${rng.between(1, 300)}号${rng.between(1, 20)}栋${rng.between(1, 4)}单元`
      : `${rng.between(1, 12)}组${rng.between(1, 160)}号`;
    return {
      town: village.town,
      village,
      line,
      address: `重庆市南川区${village.town.name}${village.name}${line}`,
      phone: null,
      poverty: !village.town.urban && rng.chance(0.055),
    };
  }

  private idNumber(birth: string, sex: 'male' | 'female', age: number): string {
    const { rng, geo, people } = this.ctx;
    const r = rng.next();
    let region = geo.countyCode;
    // Some residents were born elsewhere (more adults than children).
    if (r > (age < 18 ? 0.96 : 0.9) && geo.otherCounties.length) region = rng.pick(geo.otherCounties).code;
    return people.idNumber(region, birth.replace(/-/g, ''), sex);
  }

  private makePerson(sex: 'male' | 'female', age: number, surname?: string): Person {
    const ctx = this.ctx;
    const birth = ctx.birthFor(Math.max(0, age));
    const realAge = ctx.ageOn(birth);
    const n = ctx.personName(sex, Number(birth.slice(0, 4)), surname);
    const phone = realAge >= 18 && realAge <= 75 ? (ctx.rng.chance(0.85) ? ctx.people.phone() : null) : null;
    return {
      id: ctx.uuid(),
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
  members(): Person[] {
    const rng = this.ctx.rng;
    const band = this.ages.sample(rng);
    let headAge = band * 5 + rng.int(5);
    const members: Person[] = [];
    if (headAge < 20) {
      // A child: generate the family around them (parents 22–40 years older, often away working: grandparents).
      const child = headAge;
      const parentAge = child + rng.between(22, 36);
      const surname = this.ctx.people.surname();
      const kid = this.makePerson(rng.chance(0.52) ? 'male' : 'female', child, surname);
      if (rng.chance(0.6)) {
        members.push(this.makePerson('male', parentAge, surname), this.makePerson('female', parentAge - rng.between(0, 4)));
      } else {
        // 留守儿童: grandparents at home.
        const g = parentAge + rng.between(22, 30);
        members.push(this.makePerson('male', g, surname), this.makePerson('female', g - rng.between(0, 4)));
      }
      members.push(kid);
      return members;
    }
    headAge = Math.min(headAge, 98);
    const surname = this.ctx.people.surname();
    const single = rng.chance(headAge >= 75 ? 0.45 : headAge < 30 ? 0.5 : 0.12);
    members.push(this.makePerson('male', headAge, surname));
    if (!single) members.push(this.makePerson('female', Math.max(20, headAge - rng.between(-2, 5))));
    else if (rng.chance(0.55)) members[0] = this.makePerson('female', headAge);
    if (!single && headAge >= 23 && headAge <= 52 && rng.chance(0.85)) {
      const kids = rng.chance(0.55) ? 1 : 2;
      for (let i = 0; i < kids; i++) {
        const age = headAge - rng.between(22, 34);
        if (age >= 0) members.push(this.makePerson(rng.chance(0.52) ? 'male' : 'female', age, surname));
      }
    }
    return members;
  }

  /**
   * The resident's 电子健康卡 id: `EHC`, 15 hex digits derived from the seed and the resident's id (not drawn from the
   * seeded streams, so the rest of the county is unchanged), and a decimal check digit (sum of the hex digits mod 10),
   * which also keeps it from looking like a name to the web app's search box. 19 characters, unique in practice
   * (60 bits).
   */
  eHealthCard(p: Person): string {
    const hex = this.ctx.digest(`e-health-card:${p.id}`).slice(0, 15).toUpperCase();
    const check = [...hex].reduce((sum, c) => sum + parseInt(c, 16), 0) % 10;
    return `EHC${hex}${check}`;
  }

  patient(p: Person, h: Household): Patient {
    const telecom = p.phone ?? h.phone;
    return {
      resourceType: 'Patient',
      id: p.id,
      ...(h.poverty ? { meta: { tag: [{ system: YIWANG_TAG_SYSTEM, code: 'poverty-household', display: '脱贫户/监测户' }] } } : {}),
      identifier: [
        { use: 'official', system: ID_NUMBER_SYSTEM, value: p.idNumber },
        { type: { text: '电子健康卡' }, system: EHEALTH_CARD_SYSTEM, value: this.eHealthCard(p) },
      ],
      active: true,
      name: [{ use: 'official', text: p.name, family: p.surname, given: [p.name.slice(p.surname.length)] }],
      gender: p.sex,
      birthDate: p.birth,
      ...(telecom ? { telecom: [{ system: 'phone', value: telecom, use: 'mobile' }] } : {}),
      address: [
        {
          extension: [{ url: ADDRESS_DIVISION_EXTENSION, valueCode: h.village.division.code }],
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
}
