/**
 * The follow-up rules of the national basic public health service (国家基本公共卫生服务规范) as dated data: one JSON file
 * per version in ./rules, each complete and in force from its effective date (county time) until the next one. A
 * follow-up is judged by the version in force on the follow-up's own date and records that version, so a change of a
 * target or an interval applies from its date and never rewrites an earlier classification.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Programme = 'hypertension' | 'diabetes';
export const PROGRAMMES: readonly Programme[] = ['hypertension', 'diabetes'];

export interface Text {
  zh: string;
  en: string;
}

/** Target of control from an age on: the highest `fromAge` not above the patient's age applies. */
export interface Target {
  fromAge: number;
  sbpBelow?: number;
  dbpBelow?: number;
  fastingGlucoseBelow?: number;
  /** Hypoglycaemia is not control: the fasting glucose must also be above this. */
  fastingGlucoseAbove?: number;
}

export interface UrgentCriteria {
  sbpAtLeast?: number;
  dbpAtLeast?: number;
  glucoseAtLeast?: number;
  glucoseAtMost?: number;
  heartRateAbove?: number;
  temperatureAbove?: number;
}

export interface Symptom extends Text {
  code: string;
  /** An alarm symptom (危急情况): urgent referral whatever the readings. */
  urgent?: boolean;
}

export interface ProgrammeRules {
  name: Text;
  minAge: number;
  /** Diagnoses that place a resident in the programme (problem-list Condition codes starting with a prefix). */
  condition: { system: string; prefixes: string[] };
  targets: Target[];
  /** Readings a follow-up of this programme must have ('bp', 'glucose'). */
  requires: ('bp' | 'glucose')[];
  urgent: UrgentCriteria;
  symptoms: Symptom[];
}

export type Measure = 'sbp' | 'dbp' | 'glucose' | 'hba1c' | 'heartRate' | 'temperature' | 'weight' | 'height' | 'waist';
export const MEASURES: readonly Measure[] = ['sbp', 'dbp', 'glucose', 'hba1c', 'heartRate', 'temperature', 'weight', 'height', 'waist'];

export interface RuleVersion {
  version: string;
  /** YYYY-MM-DD, county time (UTC+8). */
  effective: string;
  title: Text;
  intervals: {
    /** Controlled: next follow-up due `months` later; it shows as due `windowDays` before. */
    routine: { months: number; windowDays: number };
    /** First uncontrolled or an adverse reaction: follow up within `days`. */
    recheck: { days: number };
    /** After a referral (routine or urgent): follow the referral up within `days`. */
    referralCheck: { days: number };
  };
  /** Values outside [min, max] are impossible readings (typing errors): refused with 400. */
  plausible: Record<Measure, [number, number]>;
  /** Opportunistic screening of residents without the diagnosis (flag for confirmation). */
  screening: { minAge: number; sbpAtLeast: number; dbpAtLeast: number; fastingGlucoseAtLeast: number };
  /** Home readings: this many out-of-range readings within `windowDays` raise a task for the family doctor. */
  homeReadings: { windowDays: number; outOfRangeAtLeast: number };
  programmes: Record<Programme, ProgrammeRules>;
}

const rulesDir = join(dirname(fileURLToPath(import.meta.url)), 'rules');
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks one version; a broken file stops the server at start rather than misclassifying a follow-up later. */
export function validateRules(v: RuleVersion, source = 'rules'): RuleVersion {
  const fail = (what: string): never => {
    throw new Error(`${source} (version '${v?.version ?? '?'}'): ${what}`);
  };
  if (!v || typeof v !== 'object') fail('must be an object');
  if (typeof v.version !== 'string' || !v.version) fail("'version' is required");
  if (!DATE.test(v.effective ?? '') || Number.isNaN(Date.parse(v.effective))) fail("'effective' must be a date YYYY-MM-DD");
  const positive = (n: unknown, at: string) => {
    if (typeof n !== 'number' || !(n > 0)) fail(`${at} must be a positive number`);
  };
  positive(v.intervals?.routine?.months, 'intervals.routine.months');
  if (typeof v.intervals.routine.windowDays !== 'number' || v.intervals.routine.windowDays < 0)
    fail('intervals.routine.windowDays must be ≥ 0');
  positive(v.intervals?.recheck?.days, 'intervals.recheck.days');
  positive(v.intervals?.referralCheck?.days, 'intervals.referralCheck.days');
  for (const m of MEASURES) {
    const r = v.plausible?.[m];
    if (!Array.isArray(r) || r.length !== 2 || !(r[0] < r[1])) fail(`plausible.${m} must be [min, max] with min < max`);
  }
  positive(v.screening?.minAge, 'screening.minAge');
  positive(v.homeReadings?.windowDays, 'homeReadings.windowDays');
  positive(v.homeReadings?.outOfRangeAtLeast, 'homeReadings.outOfRangeAtLeast');
  for (const p of PROGRAMMES) {
    const r = v.programmes?.[p];
    if (!r) fail(`programme '${p}' is missing`);
    if (!r.targets?.length) fail(`programmes.${p}.targets must list at least one target`);
    if (!r.targets.some((t) => t.fromAge === 0)) fail(`programmes.${p}.targets needs a target from age 0`);
    for (const t of r.targets) {
      const kinds = [t.sbpBelow, t.dbpBelow, t.fastingGlucoseBelow].filter((x) => x !== undefined);
      if (!kinds.length) fail(`programmes.${p}.targets: a target needs sbpBelow/dbpBelow or fastingGlucoseBelow`);
    }
    if (!r.condition?.prefixes?.length) fail(`programmes.${p}.condition.prefixes is required`);
    const codes = new Set<string>();
    for (const s of r.symptoms ?? []) {
      if (!s.code || !s.zh || !s.en) fail(`programmes.${p}.symptoms: each needs code, zh, en`);
      if (codes.has(s.code)) fail(`programmes.${p}.symptoms: '${s.code}' twice`);
      codes.add(s.code);
    }
  }
  return v;
}

let loaded: RuleVersion[] | undefined;

/** Every version shipped with the module, oldest first. */
export function loadRules(dir = rulesDir): RuleVersion[] {
  if (dir === rulesDir && loaded) return loaded;
  const versions = readdirSync(dir)
    .filter((f) => /^\d{4}-\d{2}-\d{2}\.json$/.test(f))
    .map((f) => validateRules(JSON.parse(readFileSync(join(dir, f), 'utf8')) as RuleVersion, f))
    .sort((a, b) => a.effective.localeCompare(b.effective));
  const seen = new Set<string>();
  for (const v of versions) {
    if (seen.has(v.version)) throw new Error(`chronic rules: version '${v.version}' appears twice`);
    seen.add(v.version);
  }
  if (dir === rulesDir) loaded = versions;
  return versions;
}

/** The calendar day in China (UTC+8) of an instant or a date-time with its own offset. */
export function chinaDay(at: Date | string): string {
  if (typeof at === 'string' && DATE.test(at)) return at;
  const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
}

/** The version in force on a day (county time): the latest whose effective date has come. */
export function rulesInForce(versions: readonly RuleVersion[], at: Date | string): RuleVersion {
  const day = chinaDay(at);
  const list = versions.filter((v) => v.effective <= day);
  const v = list[list.length - 1];
  if (!v) throw new Error(`No chronic follow-up rules in force on ${day}`);
  return v;
}

export function versionById(versions: readonly RuleVersion[], id: string): RuleVersion | undefined {
  return versions.find((v) => v.version === id);
}
