/**
 * Seeded samplers for synthetic Chinese residents, shared by the labelled test population and the demo
 * county: surnames by frequency, given names by birth cohort and sex, unique mobile numbers and unique
 * valid resident ID numbers (GB 11643). All draws come from the caller's Rng, so output stays reproducible.
 */
import { computeCheckCharacter } from '../id-number.js';
import { cohortOf, GIVEN_CHARS, MOBILE_PREFIXES, SINGLE_CHAR_SHARE, SURNAMES } from './data.js';
import { Weighted, type Rng } from './rng.js';

const pad2 = (n: number) => String(n).padStart(2, '0');

export class PeopleSampler {
  readonly surnames = new Weighted(
    SURNAMES.map((s) => s[0]),
    SURNAMES.map((s) => s[1]),
  );
  private readonly givenPools = new Map<string, Weighted<string>>();
  private readonly usedIds = new Set<string>();
  private readonly usedPhones = new Set<string>();

  constructor(private readonly rng: Rng) {
    for (const [cohort, pools] of Object.entries(GIVEN_CHARS)) {
      this.givenPools.set(`${cohort}:male`, Weighted.zipf([...pools.male], 0.8, 2));
      this.givenPools.set(`${cohort}:female`, Weighted.zipf([...pools.female], 0.8, 2));
    }
  }

  surname(): string {
    return this.surnames.sample(this.rng);
  }

  /** A given name typical of the birth year; `shareFirst` gives siblings a shared first character (字辈). */
  givenName(year: number, sex: 'male' | 'female', shareFirst?: string): string {
    const cohort = cohortOf(year);
    const pool = this.givenPools.get(`${cohort}:${sex}`)!;
    if (shareFirst) {
      let second = pool.sample(this.rng);
      while (second === shareFirst) second = pool.sample(this.rng);
      return shareFirst + second;
    }
    if (this.rng.chance(SINGLE_CHAR_SHARE[cohort])) return pool.sample(this.rng);
    const first = pool.sample(this.rng);
    if (sex === 'female' && this.rng.chance(0.06)) return first + first; // 叠字: 婷婷
    let second = pool.sample(this.rng);
    while (second === first) second = pool.sample(this.rng);
    return first + second;
  }

  /** A mobile number not handed out before by this sampler. */
  phone(): string {
    for (;;) {
      const p = this.rng.pick(MOBILE_PREFIXES) + String(this.rng.int(100_000_000)).padStart(8, '0');
      if (!this.usedPhones.has(p)) {
        this.usedPhones.add(p);
        return p;
      }
    }
  }

  /** A valid, unused 18-character ID number for a region code, a birth date (YYYYMMDD) and a sex. */
  idNumber(region: string, birthYYYYMMDD: string, sex: 'male' | 'female'): string {
    for (;;) {
      const third = sex === 'male' ? this.rng.pick([1, 3, 5, 7, 9]) : this.rng.pick([0, 2, 4, 6, 8]);
      const first17 = region + birthYYYYMMDD + pad2(this.rng.int(100)) + third;
      const id = first17 + computeCheckCharacter(first17);
      if (!this.usedIds.has(id)) {
        this.usedIds.add(id);
        return id;
      }
    }
  }
}
