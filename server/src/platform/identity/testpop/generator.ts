/**
 * Labelled synthetic resident population for testing the master patient index (deterministic for a seed).
 *
 * Households in the county's towns and villages (clan villages where one surname dominates), families with
 * children and grandparents, twins, valid ID numbers, mobile phones shared within households. Each person has a
 * base record and possibly duplicates from other systems (hospital, township clinic, vaccination, public health)
 * carrying realistic errors:
 * - names: homophone characters (婷 → 亭), 多音字 written from their sound (覃 → 谭, 乐 → 岳), dialect confusion of
 *   south-western Mandarin (n/l, in/ing, zh/z: 玲 → 林, 兰 → 南), rarely a wrong character;
 * - birth dates: day and month swapped, one digit wrong;
 * - ID numbers: missing (mostly children and the elderly), legacy 15-digit numbers, lower-case x, a mistyped digit;
 * - phones: a family member's phone, a changed number, missing;
 * - addresses: abbreviated, Chinese numerals, homophone typos, village only, moved house, missing.
 * Ground truth: `truth[i]` is the person of `records[i]`; `twins` lists twin pairs (they must never be merged).
 */
import type { PersonRecord } from '../matching/prepare.js';
import { canonical, foldSyllable, pinyinKey, readings, surnameReading } from '../matching/pinyin.js';
import {
  GIVEN_CHARS,
  HOMOPHONE_EXTRA,
  POLYPHONE_SUBSTITUTES,
  SURNAMES,
  URBAN_ROADS,
  VILLAGE_FIRST,
  VILLAGE_SECOND,
  cohortOf,
} from './data.js';
import type { Geography, Town } from './geography.js';
import { PeopleSampler } from './people.js';
import { Rng, Weighted } from './rng.js';

export interface PopulationOptions {
  seed: number;
  /** Number of records to produce. */
  records: number;
  geography: Geography;
  /** Reference date (YYYY-MM-DD) for ages; default 2024-06-30. */
  today?: string;
  /** Scales the chance of duplicate records (1 = about 0.8 extra records per person). */
  duplicateScale?: number;
  /** Chance that a birth in a family is twins (default 0.03, above the real ~1 % to test the guard). */
  twinRate?: number;
}

export interface ErrorCounts {
  [kind: string]: number;
}

export interface Population {
  records: PersonRecord[];
  /** Person id of each record (same order as `records`). */
  truth: string[];
  /** Person ids of twins. */
  twins: [string, string][];
  persons: number;
  /** How many times each kind of error was introduced. */
  errors: ErrorCounts;
}

interface Household {
  town: Town;
  village: string | null;
  group: number;
  house: number;
  road: string | null;
  building: number;
  unit: number;
  phone: string | null;
}

interface Person {
  pid: string;
  surname: string;
  given: string;
  sex: 'male' | 'female';
  /** YYYYMMDD */
  birth: string;
  id: string | null;
  phone: string | null;
  household: Household;
  /** Another household member's phone, for records that list a relative's number. */
  relativePhone: string | null;
  age: number;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Days since 1970-01-01 of a YYYYMMDD date. */
function dayNumber(b: string): number {
  return Date.UTC(Number(b.slice(0, 4)), Number(b.slice(4, 6)) - 1, Number(b.slice(6, 8))) / 86_400_000;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

class PopulationGenerator {
  private readonly rng: Rng;
  private readonly today: string;
  private readonly todayYear: number;
  private readonly people: PeopleSampler;
  private readonly homophones = new Map<string, string[]>();
  private readonly dialectNeighbours = new Map<string, string[]>();
  private readonly villages = new Map<string, { names: string[]; clan: string[] }>();
  private readonly townTable: Weighted<Town>;
  private readonly persons: Person[] = [];
  readonly twins: [string, string][] = [];
  readonly errors: ErrorCounts = {};

  constructor(private readonly options: PopulationOptions) {
    this.rng = new Rng(options.seed);
    this.today = options.today ?? '2024-06-30';
    this.todayYear = Number(this.today.slice(0, 4));
    const geo = options.geography;
    // Sub-districts (街道) hold the county seat: larger populations.
    this.townTable = new Weighted(
      geo.towns,
      geo.towns.map((t) => (t.urban ? 5 : 1)),
    );
    this.people = new PeopleSampler(this.rng);
    this.buildSoundTables();
  }

  private count(kind: string): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  private buildSoundTables(): void {
    const chars = new Set<string>();
    for (const [s] of SURNAMES) for (const ch of s) chars.add(ch);
    for (const pools of Object.values(GIVEN_CHARS)) for (const ch of pools.male + pools.female) chars.add(ch);
    for (const ch of HOMOPHONE_EXTRA + VILLAGE_FIRST + VILLAGE_SECOND) chars.add(ch);
    for (const ch of chars) {
      const r = canonical(ch);
      let list = this.homophones.get(r);
      if (!list) this.homophones.set(r, (list = []));
      list.push(ch);
    }
    for (const [r, list] of this.homophones) {
      const f = foldSyllable(r);
      if (f === r) continue;
      // Characters read differently but folding to the same sound (ling ~ lin, nan ~ lan).
      for (const [r2, list2] of this.homophones) {
        if (r2 !== r && foldSyllable(r2) === f) {
          for (const ch of list) {
            let n = this.dialectNeighbours.get(ch);
            if (!n) this.dialectNeighbours.set(ch, (n = []));
            n.push(...list2);
          }
        }
      }
    }
    // Reverse direction for characters whose own reading is already folded (lin → ling).
    for (const [ch, ns] of [...this.dialectNeighbours]) {
      for (const n of ns) {
        let back = this.dialectNeighbours.get(n);
        if (!back) this.dialectNeighbours.set(n, (back = []));
        if (!back.includes(ch)) back.push(ch);
      }
    }
  }

  /** Another character with the same toneless reading (surname reading for family names), or null. */
  private homophoneOf(ch: string, surname: boolean): string | null {
    const r = surname ? surnameReading(ch) : canonical(ch);
    const list = (this.homophones.get(r) ?? []).filter((c) => c !== ch && (!surname || readings(c).includes(r)));
    return list.length ? this.rng.pick(list) : null;
  }

  private villagesOf(town: Town): { names: string[]; clan: string[] } {
    let v = this.villages.get(town.code);
    if (!v) {
      const names = new Set<string>();
      const n = town.urban ? 3 : this.rng.between(8, 16);
      while (names.size < n) {
        names.add(this.rng.pick([...VILLAGE_FIRST]) + this.rng.pick([...VILLAGE_SECOND]) + (town.urban ? '社区' : '村'));
      }
      const list = [...names];
      // Clan villages: one surname dominates.
      v = { names: list, clan: list.map(() => this.people.surname()) };
      this.villages.set(town.code, v);
    }
    return v;
  }

  private birthFor(age: number): string {
    // A birth date giving `age` completed years on `today`.
    for (;;) {
      const y = this.todayYear - age - (this.rng.chance(0.5) ? 1 : 0);
      const m = this.rng.between(1, 12);
      const d = this.rng.between(1, daysInMonth(y, m));
      const b = `${y}${pad2(m)}${pad2(d)}`;
      const t = this.today.replace(/-/g, '');
      if (b > t) continue;
      return b;
    }
  }

  private regionCode(age: number): string {
    const geo = this.options.geography;
    const r = this.rng.next();
    if (r < (age < 18 ? 0.95 : 0.88) || geo.otherCounties.length === 0) return geo.countyCode;
    const chongqing = geo.otherCounties.filter((c) => c.code.startsWith(geo.countyCode.slice(0, 2)));
    if (r < 0.97 && chongqing.length) return this.rng.pick(chongqing).code;
    return this.rng.pick(geo.otherCounties).code;
  }

  private idNumber(birth: string, sex: 'male' | 'female', age: number, region?: string): string {
    return this.people.idNumber(region ?? this.regionCode(age), birth, sex);
  }

  private givenName(year: number, sex: 'male' | 'female', shareFirst?: string): string {
    return this.people.givenName(year, sex, shareFirst);
  }

  private person(household: Household, surname: string, sex: 'male' | 'female', age: number, given?: string, birth?: string): Person {
    const b = birth ?? this.birthFor(age);
    const year = Number(b.slice(0, 4));
    const hasId = age > 0 || this.rng.chance(0.5);
    const p: Person = {
      pid: `p${this.persons.length + 1}`,
      surname,
      given: given ?? this.givenName(year, sex),
      sex,
      birth: b,
      id: hasId ? this.idNumber(b, sex, age) : null,
      phone:
        age >= 18 && age <= 75
          ? this.rng.chance(0.9)
            ? this.people.phone()
            : null
          : age > 75 && this.rng.chance(0.4)
            ? this.people.phone()
            : null,
      household,
      relativePhone: null,
      age,
    };
    this.persons.push(p);
    return p;
  }

  private household(): Household {
    const town = this.townTable.sample(this.rng);
    const v = this.villagesOf(town);
    return {
      town,
      village: town.urban && this.rng.chance(0.6) ? null : this.rng.pick(v.names),
      group: this.rng.between(1, 12),
      house: this.rng.between(1, 160),
      road: town.urban ? this.rng.pick(URBAN_ROADS) : null,
      building: this.rng.between(1, 30),
      unit: this.rng.between(1, 4),
      phone: null,
    };
  }

  private familySurname(h: Household): string {
    if (h.village && !h.town.urban && this.rng.chance(0.35)) {
      const v = this.villagesOf(h.town);
      return v.clan[v.names.indexOf(h.village)]!;
    }
    return this.people.surname();
  }

  /** Generates one household; returns its members. */
  makeHousehold(): Person[] {
    const h = this.household();
    const members: Person[] = [];
    const r = this.rng.next();
    const surname = this.familySurname(h);
    const addCouple = (age: number): [Person, Person] => {
      const husband = this.person(h, surname, 'male', age);
      const wifeAge = Math.max(18, age + this.rng.between(-6, 2));
      const wife = this.person(h, this.people.surname(), 'female', wifeAge);
      members.push(husband, wife);
      return [husband, wife];
    };
    // Parents do not give two children names that sound alike.
    const soundsTaken = (given: string, kids: Person[]) => kids.some((k) => pinyinKey(k.given) === pinyinKey(given));
    const addChildren = (mother: Person, count: number) => {
      const kids: Person[] = [];
      let shared: string | undefined;
      for (let i = 0; i < count; i++) {
        const ageAtBirth = this.rng.between(20, 38);
        const age = mother.age - ageAtBirth;
        if (age < 0) continue;
        const kidSurname = this.rng.chance(0.95) ? surname : mother.surname;
        const sex = this.rng.chance(0.51) ? 'male' : 'female';
        const year = this.todayYear - age;
        if (shared === undefined && this.rng.chance(0.3)) shared = this.givenName(year, sex).slice(0, 1);
        let given: string;
        do {
          given = shared && this.rng.chance(0.5) ? this.givenName(year, sex, shared) : this.givenName(year, sex);
        } while (soundsTaken(given, kids));
        // Siblings are born at least ten months apart (twins are added below).
        let birth = this.birthFor(age);
        for (let tries = 0; tries < 20 && kids.some((k) => Math.abs(dayNumber(k.birth) - dayNumber(birth)) < 300); tries++) {
          birth = this.birthFor(age);
        }
        if (kids.some((k) => Math.abs(dayNumber(k.birth) - dayNumber(birth)) < 300)) continue;
        const kid = this.person(h, kidSurname, sex, age, given, birth);
        kids.push(kid);
        members.push(kid);
        if (this.rng.chance(this.options.twinRate ?? 0.03)) {
          // Twins: same birth date, parents, address and phone; another given name (often sharing a character).
          const twinSex = this.rng.chance(0.67) ? sex : sex === 'male' ? 'female' : 'male';
          let twinGiven: string;
          do {
            twinGiven =
              this.rng.chance(0.6) && kid.given.length === 2
                ? this.givenName(year, twinSex, kid.given.slice(0, 1))
                : this.givenName(year, twinSex);
          } while (soundsTaken(twinGiven, kids));
          const twin = this.person(h, kidSurname, twinSex, age, twinGiven, kid.birth);
          if (kid.id && !twin.id) twin.id = this.idNumber(kid.birth, twinSex, age, kid.id.slice(0, 6));
          members.push(twin);
          this.twins.push([kid.pid, twin.pid]);
        }
      }
      return kids;
    };
    if (r < 0.45) {
      const [husband, wife] = addCouple(this.rng.between(24, 48));
      const n = this.rng.chance(0.55) ? 1 : this.rng.chance(0.9) ? 2 : 3;
      addChildren(wife, n);
      const g = this.rng.next();
      if (g > 0.4) {
        const gAge = husband.age + this.rng.between(22, 32);
        members.push(this.person(h, surname, 'male', gAge));
        if (g > 0.7) members.push(this.person(h, this.people.surname(), 'female', gAge - this.rng.between(0, 5)));
      }
    } else if (r < 0.7) {
      const [, wife] = addCouple(this.rng.between(45, 66));
      if (this.rng.chance(0.5)) {
        const kids = addChildren(wife, 1);
        const kid = kids[0];
        if (kid && kid.age >= 22 && kid.sex === 'male' && this.rng.chance(0.5)) {
          const dil = this.person(h, this.people.surname(), 'female', Math.max(20, kid.age + this.rng.between(-4, 1)));
          members.push(dil);
          addChildren(dil, 1);
        }
      }
    } else if (r < 0.92) {
      const age = this.rng.between(65, 96);
      if (this.rng.chance(0.6)) addCouple(age);
      else members.push(this.person(h, surname, this.rng.chance(0.45) ? 'male' : 'female', age));
    } else {
      members.push(this.person(h, surname, this.rng.chance(0.55) ? 'male' : 'female', this.rng.between(18, 60)));
    }
    // Household phone: the first adult with a phone; children and many elderly are registered under it.
    const owner = members.find((m) => m.phone);
    h.phone = owner?.phone ?? null;
    for (const m of members) {
      const others = members.filter((o) => o !== m && o.phone);
      m.relativePhone = others.length ? this.rng.pick(others).phone : null;
    }
    return members;
  }

  // ---- records ------------------------------------------------------------------------------------------------

  private nameWithErrors(p: Person, scale: number): string {
    let surname = p.surname;
    let given = [...p.given];
    const rng = this.rng;
    const poly = [...(surname.length === 1 ? surname : ''), ...given].filter((c) => POLYPHONE_SUBSTITUTES[c]);
    if (poly.length && rng.chance(0.35 * scale)) {
      const ch = rng.pick(poly);
      const sub = rng.pick(POLYPHONE_SUBSTITUTES[ch]!);
      if (surname === ch) surname = sub;
      else given = given.map((c) => (c === ch ? sub : c));
      this.count('name:多音字');
    }
    if (rng.chance(0.07 * scale) && given.length) {
      const i = rng.int(given.length);
      const h = this.homophoneOf(given[i]!, false);
      if (h) {
        given[i] = h;
        this.count('name:homophone');
      }
    } else if (rng.chance(0.03 * scale) && given.length) {
      const i = rng.int(given.length);
      const n = this.dialectNeighbours.get(given[i]!);
      if (n?.length) {
        given[i] = rng.pick(n);
        this.count('name:dialect');
      }
    } else if (rng.chance(0.004 * scale) && given.length === 2) {
      // A wrong character (misread handwriting): only one character survives.
      const i = rng.int(2);
      const pool = [...GIVEN_CHARS[cohortOf(Number(p.birth.slice(0, 4)))][p.sex]];
      given[i] = rng.pick(pool.filter((c) => c !== given[i]));
      this.count('name:wrong-character');
    }
    if (surname.length === 1 && rng.chance(0.015 * scale)) {
      const h = this.homophoneOf(surname, true);
      if (h) {
        surname = h;
        this.count('name:surname-homophone');
      }
    }
    return surname + given.join('');
  }

  private birthWithErrors(p: Person, scale: number): string | undefined {
    let b = p.birth;
    const rng = this.rng;
    const m = Number(b.slice(4, 6));
    const d = Number(b.slice(6, 8));
    if (rng.chance(0.008 * scale)) {
      this.count('birth:missing');
      return undefined;
    }
    if (d <= 12 && d !== m && rng.chance(0.03 * scale)) {
      b = b.slice(0, 4) + b.slice(6, 8) + b.slice(4, 6);
      this.count('birth:swapped');
    } else if (rng.chance(0.025 * scale)) {
      // One digit wrong, keeping a real date.
      for (let tries = 0; tries < 20; tries++) {
        const i = rng.pick([2, 3, 5, 7, 7, 6]);
        const c = b.split('');
        c[i] = String(rng.int(10));
        const nb = c.join('');
        const y = Number(nb.slice(0, 4));
        const mm = Number(nb.slice(4, 6));
        const dd = Number(nb.slice(6, 8));
        if (nb !== b && mm >= 1 && mm <= 12 && dd >= 1 && dd <= daysInMonth(y, mm) && nb <= this.today.replace(/-/g, '')) {
          b = nb;
          this.count('birth:digit');
          break;
        }
      }
    }
    return `${b.slice(0, 4)}-${b.slice(4, 6)}-${b.slice(6, 8)}`;
  }

  private idWithErrors(p: Person, dup: boolean): string | undefined {
    if (!p.id) return undefined;
    const rng = this.rng;
    const keep = p.age < 7 ? 0.35 : p.age < 16 ? 0.7 : p.age < 80 ? 0.95 : 0.6;
    if (!rng.chance(dup ? keep * 0.85 : keep)) {
      this.count('id:missing');
      return undefined;
    }
    let id = p.id;
    const born = Number(id.slice(6, 10));
    if (dup && born >= 1900 && born < 1984 && rng.chance(0.12)) {
      this.count('id:legacy-15');
      return id.slice(0, 6) + id.slice(8, 17);
    }
    if (dup && rng.chance(0.01)) {
      const i = rng.between(6, 16);
      const c = id.split('');
      c[i] = String((Number(c[i]) + rng.between(1, 9)) % 10);
      this.count('id:typo');
      return c.join('');
    }
    if (id.endsWith('X') && rng.chance(0.3)) {
      id = id.slice(0, 17) + 'x';
      this.count('id:lower-x');
    }
    return id;
  }

  private phoneWithErrors(p: Person, scale: number): string | undefined {
    const rng = this.rng;
    const own = p.phone ?? p.household.phone ?? p.relativePhone;
    const r = rng.next() / Math.max(scale, 0.2);
    if (r < 0.12) {
      this.count('phone:missing');
      return undefined;
    }
    if (r < 0.27 && p.relativePhone && p.relativePhone !== own) {
      this.count('phone:family');
      return p.relativePhone;
    }
    if (r < 0.35) {
      this.count('phone:changed');
      return this.people.phone();
    }
    return own ?? undefined;
  }

  private addressWithErrors(p: Person, scale: number): string | undefined {
    const rng = this.rng;
    const geo = this.options.geography;
    let h = p.household;
    const r = rng.next() / Math.max(scale, 0.2);
    if (r < 0.05) {
      this.count('address:missing');
      return undefined;
    }
    if (r < 0.12) {
      const moved = this.household();
      h = { ...moved, phone: h.phone };
      this.count('address:moved');
    }
    let town = h.town.name;
    let village = h.village ?? '';
    let detail = h.road ? `${h.road}${h.house}号${h.building}栋${h.unit}单元` : `${h.group}组${h.house}号`;
    if (r >= 0.12 && r < 0.2) {
      // Homophone typo in the village or town name.
      const target = village && rng.chance(0.7) ? 'village' : 'town';
      const s = target === 'village' ? village : town;
      const chars = [...s];
      const i = rng.int(Math.max(1, chars.length - (target === 'town' ? 1 : 1)));
      const hch = this.homophoneOf(chars[i]!, false);
      if (hch) {
        chars[i] = hch;
        if (target === 'village') village = chars.join('');
        else town = chars.join('');
        this.count('address:typo');
      }
    } else if (r >= 0.2 && r < 0.3) {
      detail = '';
      this.count('address:village-only');
    } else if (r >= 0.3 && r < 0.36 && !h.road) {
      const cn = '零一二三四五六七八九十';
      detail = `${h.group <= 10 ? cn[h.group] : '十' + cn[h.group - 10]}组${h.house}号`;
      this.count('address:chinese-numerals');
    }
    const prefix = rng.pick([`${geo.cityName}${geo.countyName}`, geo.countyName, '', `${geo.cityName}${geo.countyName}`]);
    return `${prefix}${town}${village}${detail}`;
  }

  recordsFor(p: Person, dup: boolean): PersonRecord {
    const scale = dup ? 1 : 0.25;
    const sex = this.rng.chance(0.003 * scale) ? (p.sex === 'male' ? 'female' : 'male') : p.sex;
    if (sex !== p.sex) this.count('sex:wrong');
    return {
      id: '',
      name: this.nameWithErrors(p, scale),
      birthDate: this.birthWithErrors(p, scale),
      sex,
      idNumber: this.idWithErrors(p, dup),
      phone: this.phoneWithErrors(p, scale),
      address: this.addressWithErrors(p, scale),
    };
  }

  extraRecords(p: Person): number {
    const s = this.options.duplicateScale ?? 1;
    // Children (vaccination, child health) and the elderly (chronic disease follow-up) appear in more systems.
    const boost = p.age < 7 || p.age >= 65 ? 1.3 : 1;
    const r = this.rng.next();
    const p1 = 0.3 * s * boost;
    const p2 = 0.13 * s * boost;
    const p3 = 0.07 * s * boost;
    if (r < p3) return 3;
    if (r < p3 + p2) return 2;
    if (r < p3 + p2 + p1) return 1;
    return 0;
  }

  generate(): Population {
    const recs: PersonRecord[] = [];
    const truth: string[] = [];
    const target = this.options.records;
    while (recs.length < target) {
      for (const p of this.makeHousehold()) {
        const n = 1 + this.extraRecords(p);
        for (let k = 0; k < n && recs.length < target; k++) {
          recs.push(this.recordsFor(p, k > 0));
          truth.push(p.pid);
        }
      }
    }
    const order = this.rng.shuffle(recs.map((_, i) => i));
    const records = order.map((i, k) => {
      const r = recs[i]!;
      r.id = `r${k + 1}`;
      for (const key of Object.keys(r) as (keyof PersonRecord)[]) if (r[key] === undefined) delete r[key];
      return r;
    });
    const seen = new Set(truth);
    return {
      records,
      truth: order.map((i) => truth[i]!),
      twins: this.twins.filter(([a, b]) => seen.has(a) && seen.has(b)),
      persons: seen.size,
      errors: this.errors,
    };
  }
}

/** Generates a labelled population (same seed and options → same records). */
export function generatePopulation(options: PopulationOptions): Population {
  return new PopulationGenerator(options).generate();
}
