/**
 * The state every part of the generator draws from: one seeded stream for content and one for ids, the reference
 * date and the geography. All parts share one instance and call it in a fixed order, which is what makes the output
 * depend on the seed alone.
 */
import { createHash } from 'node:crypto';
import { NANCHUAN_TOWNS, OTHER_COUNTIES } from './catalogues.js';
import type { Geography } from '../platform/identity/testpop/geography.js';
import { PeopleSampler } from '../platform/identity/testpop/people.js';
import { Rng } from '../platform/identity/testpop/rng.js';
import type { CountyOptions } from './types.js';

export const pad2 = (n: number) => String(n).padStart(2, '0');
export const DAY = 86_400_000;

function builtinGeography(): Geography {
  return {
    cityName: '重庆市',
    countyCode: '500119',
    countyName: '南川区',
    towns: NANCHUAN_TOWNS.map(([code, name]) => ({ code, name, urban: name.endsWith('街道') })),
    otherCounties: OTHER_COUNTIES.map(([code, name]) => ({ code, name })),
  };
}

export class CountyContext {
  readonly seed: number;
  readonly rng: Rng;
  private readonly ids: Rng;
  readonly today: string;
  readonly todayMs: number;
  readonly geo: Geography;
  readonly people: PeopleSampler;

  /**
   * `stream` names an independent pair of streams of the same seed (e.g. the past years of `--years`), so what is
   * drawn from them leaves the main streams, and with them residents, ID numbers and users, unchanged.
   */
  constructor(options: CountyOptions, stream?: string) {
    this.seed = options.seed;
    const salt = stream ? createHash('sha256').update(`yiwang-demo:${options.seed}:stream:${stream}`).digest() : undefined;
    this.rng = new Rng(salt ? salt.readUInt32BE(0) : options.seed);
    this.ids = new Rng(salt ? salt.readUInt32BE(4) : options.seed ^ 0x2545f491);
    this.today = options.today ?? '2026-11-23';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(this.today)) throw new Error(`today must be YYYY-MM-DD: ${this.today}`);
    this.todayMs = Date.parse(this.today + 'T00:00:00Z');
    this.geo = options.geography ?? builtinGeography();
    this.people = new PeopleSampler(this.rng);
  }

  /** UUID v4-shaped id from the seeded stream. */
  uuid(): string {
    let hex = '';
    for (let i = 0; i < 4; i++) hex += (this.ids.int(0x10000) * 0x10000 + this.ids.int(0x10000)).toString(16).padStart(8, '0');
    const variant = '89ab'[this.ids.int(4)]!;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  /**
   * Hex digest of the seed and a name: for ids and values that must not draw from the seeded streams (so adding them
   * leaves everything else the generator makes unchanged).
   */
  digest(name: string): string {
    return createHash('sha256').update(`yiwang-demo:${this.seed}:${name}`).digest('hex');
  }

  /** UUID-shaped id derived from the seed and a name (RFC 9562 version 8, custom): same name, same id. */
  nameUuid(name: string): string {
    const h = this.digest(name);
    const variant = '89ab'[parseInt(h[16]!, 16) & 3]!;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  date(ms: number): string {
    return new Date(ms).toISOString().slice(0, 10);
  }

  /** Date-time in China time, `daysAgo` before today, during clinic hours. */
  dateTime(daysAgo: number): string {
    const d = this.date(this.todayMs - daysAgo * DAY);
    return `${d}T${pad2(this.rng.between(8, 16))}:${pad2(this.rng.int(60))}:00+08:00`;
  }

  normal(mean: number, sd: number): number {
    const u = 1 - this.rng.next();
    const v = this.rng.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  personName(sex: 'male' | 'female', year: number, surname?: string): { surname: string; given: string } {
    return { surname: surname ?? this.people.surname(), given: this.people.givenName(year, sex) };
  }

  birthFor(age: number): string {
    for (;;) {
      const ms = this.todayMs - (age * 365.25 + this.rng.int(365)) * DAY;
      const b = this.date(ms);
      if (b <= this.today) return b;
    }
  }

  ageOn(birth: string): number {
    const [y, m, d] = birth.split('-').map(Number) as [number, number, number];
    const [ty, tm, td] = this.today.split('-').map(Number) as [number, number, number];
    return ty - y - (tm < m || (tm === m && td < d) ? 1 : 0);
  }

  ref(type: string, id: string): { reference: string } {
    return { reference: `${type}/${id}` };
  }
}
