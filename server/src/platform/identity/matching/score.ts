/**
 * Pair scoring: comparison levels → Fellegi–Sunter weight → decision (auto-link 'match', 'review' queue, or
 * 'non-match' = treat as a new person), with the deterministic ID rule and the twin guard.
 */
import {
  BIRTH_EXACT,
  F,
  FEATURE_COUNT,
  FEATURE_LEVELS,
  FEATURE_NAMES,
  ID_EXACT,
  NAME_PHONETIC,
  compareRecords,
  type FeatureName,
} from './compare.js';
import { prepareRecord, type PersonRecord, type PreparedRecord } from './prepare.js';
import { DEFAULT_RULES, type Decision, type MatchRules } from './rules.js';

/**
 * Value frequencies for the term-frequency adjustment: agreeing on a rare name (欧阳娜娜) is stronger evidence
 * than agreeing on 张伟. Given names are counted per birth decade, because naming fashions change (子涵 is a name
 * of the 2010s, 秀英 of the 1940s) and a name is only rare or common among people of the same age. Exact agreement
 * uses the frequency of the characters, phonetic agreement that of the pinyin.
 */
export class TermFrequencies {
  private readonly surnames = new Map<string, number>();
  private readonly surnameKeys = new Map<string, number>();
  /** decade → given name → count, and decade → given-name pinyin → count (decade = first 3 digits, -1 unknown). */
  private readonly given = new Map<number, Map<string, number>>();
  private readonly givenKeys = new Map<number, Map<string, number>>();
  private readonly decades = new Map<number, number>();
  private count = 0;
  /** Below this many records the adjustment is off (frequencies would be noise). */
  static readonly MIN_RECORDS = 1000;
  /** Below this many records of a birth decade the given-name adjustment is off for that decade. */
  static readonly MIN_COHORT = 200;

  private static decade(r: PreparedRecord): number {
    const b = r.birth;
    return b ? (b.charCodeAt(0) - 48) * 100 + (b.charCodeAt(1) - 48) * 10 + (b.charCodeAt(2) - 48) : -1;
  }

  private static bumpIn<K>(map: Map<K, number>, key: K, by: number): void {
    const n = (map.get(key) ?? 0) + by;
    if (n > 0) map.set(key, n);
    else map.delete(key);
  }

  private static nested(map: Map<number, Map<string, number>>, outer: number): Map<string, number> {
    let m = map.get(outer);
    if (!m) map.set(outer, (m = new Map()));
    return m;
  }

  private bump(r: PreparedRecord, by: number): void {
    this.count = Math.max(0, this.count + by);
    const decade = TermFrequencies.decade(r);
    TermFrequencies.bumpIn(this.decades, decade, by);
    if (r.surname) {
      TermFrequencies.bumpIn(this.surnames, r.surname.text, by);
      TermFrequencies.bumpIn(this.surnameKeys, r.surname.key, by);
    }
    if (r.given) {
      TermFrequencies.bumpIn(TermFrequencies.nested(this.given, decade), r.given.text, by);
      TermFrequencies.bumpIn(TermFrequencies.nested(this.givenKeys, decade), r.given.key, by);
    }
  }

  add(r: PreparedRecord): void {
    this.bump(r, 1);
  }

  remove(r: PreparedRecord): void {
    this.bump(r, -1);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Share of records with this surname (`phonetic`: with this surname pinyin); 0 when unknown or too few records.
   */
  surnameFrequency(r: PreparedRecord, phonetic = false): number {
    if (this.count < TermFrequencies.MIN_RECORDS || !r.surname) return 0;
    const n = phonetic ? this.surnameKeys.get(r.surname.key) : this.surnames.get(r.surname.text);
    return (n ?? 0) / this.count;
  }

  /** Share of records of the same birth decade with this given name (or its pinyin); 0 when unknown. */
  givenNameFrequency(r: PreparedRecord, phonetic = false): number {
    if (this.count < TermFrequencies.MIN_RECORDS || !r.given) return 0;
    const decade = TermFrequencies.decade(r);
    const cohort = this.decades.get(decade) ?? 0;
    if (cohort < TermFrequencies.MIN_COHORT) return 0;
    const n = phonetic ? this.givenKeys.get(decade)?.get(r.given.key) : this.given.get(decade)?.get(r.given.text);
    return (n ?? 0) / cohort;
  }

  static of(records: Iterable<PreparedRecord>): TermFrequencies {
    const tf = new TermFrequencies();
    for (const r of records) tf.add(r);
    return tf;
  }
}

/**
 * Why a decision was taken: the weight against the thresholds, the deterministic ID rule (or its conflict check:
 * same ID number but names and birth date disagree), the twin guard, or a cap (see `cappedBy`).
 */
export type DecisionReason = 'weight' | 'id-number' | 'id-number-conflict' | 'possible-twin' | 'capped';

export interface FeatureScore {
  feature: FeatureName;
  /** Agreement level, or null when a value is missing on either side. */
  level: string | null;
  weight: number;
}

export interface PairScore {
  /** Sum of the feature weights plus `dependencyAdjustment`. */
  weight: number;
  /** Correction for dependent features (e.g. phone and address both saying "same household"); ≤ 0. */
  dependencyAdjustment: number;
  decision: Decision;
  reason: DecisionReason;
  /** The cap that lowered the decision, e.g. 'givenName:different'. */
  cappedBy?: string;
  features: FeatureScore[];
}

export interface ScoreOptions {
  rules?: MatchRules;
  frequencies?: TermFrequencies;
}

const DECISION_CODE: Record<Decision, number> = { match: 0, review: 1, 'non-match': 2 };
export const DECISION_OF_CODE: readonly Decision[] = ['match', 'review', 'non-match'];
export const REASON_OF_CODE: readonly DecisionReason[] = ['weight', 'id-number', 'id-number-conflict', 'possible-twin', 'capped'];

/**
 * Weight of one feature level, with the term-frequency adjustment for exact and phonetic name agreement (for
 * phonetic agreement the more frequent of the two spellings' pinyin counts, which is the cautious choice).
 */
export function featureWeight(
  rules: MatchRules,
  feature: number,
  level: number,
  a: PreparedRecord,
  tf: TermFrequencies | undefined,
  b?: PreparedRecord,
): number {
  if (level < 0) return 0;
  if (tf && level <= NAME_PHONETIC && (feature === F.surname || feature === F.givenName)) {
    const minU = rules.tfMinU[feature]!;
    if (!Number.isNaN(minU)) {
      const phonetic = level === NAME_PHONETIC;
      const freq = (r: PreparedRecord) => (feature === F.surname ? tf.surnameFrequency(r, phonetic) : tf.givenNameFrequency(r, phonetic));
      const f = phonetic && b ? Math.max(freq(a), freq(b)) : freq(a);
      if (f > 0) return Math.log2(rules.m[feature]![level]! / Math.max(f, minU));
    }
  }
  return rules.weights[feature]![level]!;
}

/** Correction for dependent features: when both agree, the smaller weight counts only `factor` of itself. */
export function dependencyAdjustment(rules: MatchRules, levels: Int8Array): number {
  let adj = 0;
  for (const [x, y, factor] of rules.dependencies) {
    const lx = levels[x]!;
    const ly = levels[y]!;
    if (lx < 0 || ly < 0) continue;
    const wx = rules.weights[x]![lx]!;
    const wy = rules.weights[y]![ly]!;
    if (wx > 0 && wy > 0) adj -= (1 - factor) * Math.min(wx, wy);
  }
  return adj;
}

/** Result of `scoreLevels`: packed to avoid allocation in bulk deduplication. */
export interface RawScore {
  weight: number;
  /** 0 match, 1 review, 2 non-match. */
  decision: number;
  /** Index into REASON_OF_CODE. */
  reason: number;
  /** Index into rules.caps of the cap applied, or -1. */
  cap: number;
}

/**
 * Weight and decision for a comparison vector (`levels`, from compareRecords). Writes into and returns `out`.
 */
export function scoreLevels(
  a: PreparedRecord,
  b: PreparedRecord,
  levels: Int8Array,
  rules: MatchRules,
  tf: TermFrequencies | undefined,
  out: RawScore,
): RawScore {
  let weight = 0;
  for (let f = 0; f < FEATURE_COUNT; f++) weight += featureWeight(rules, f, levels[f]!, a, tf, b);
  weight += dependencyAdjustment(rules, levels);
  out.weight = weight;
  const id = levels[F.idNumber]!;
  const file = rules.file;
  if (id === ID_EXACT && file.deterministic.idNumberExact && (a.idValid || !file.deterministic.requireValidIdNumber)) {
    // Same ID number: the same person unless names and birth date all disagree (a relative's number on the record).
    const s = levels[F.surname]!;
    const g = levels[F.givenName]!;
    const bd = levels[F.birthDate]!;
    const namesDisagree = s === 3 && g >= 3;
    const birthDisagrees = bd >= 3;
    if (namesDisagree && birthDisagrees) {
      out.decision = 1;
      out.reason = 2;
    } else {
      out.decision = 0;
      out.reason = 1;
    }
    out.cap = -1;
    return out;
  }
  const twins = file.guards.twins;
  if (
    twins.enabled &&
    levels[F.birthDate] === BIRTH_EXACT &&
    rules.twinGivenLevels.has(levels[F.givenName]!) &&
    !rules.twinExceptIdLevels.has(id)
  ) {
    // Same birth date but another given name: twins or same-day siblings share everything else (surname,
    // address, phone), so the other agreements are not independent evidence.
    out.decision = DECISION_CODE[twins.decision];
    out.reason = 3;
    out.cap = -1;
    return out;
  }
  let decision = weight >= rules.linkThreshold ? 0 : weight >= rules.reviewThreshold ? 1 : 2;
  let reason = 0;
  let cap = -1;
  const caps = rules.caps;
  for (let i = 0; i < caps.length; i++) {
    const c = caps[i]!;
    if (decision < c.maxDecision && c.levels.has(levels[c.feature]!) && !(c.exceptIdNumberExact && id === ID_EXACT)) {
      decision = c.maxDecision;
      reason = 4;
      cap = i;
    }
  }
  out.decision = decision;
  out.reason = reason;
  out.cap = cap;
  return out;
}

function isPrepared(r: PersonRecord | PreparedRecord): r is PreparedRecord {
  return 'idValid' in r && 'surname' in r;
}

export function asPrepared(r: PersonRecord | PreparedRecord): PreparedRecord {
  return isPrepared(r) ? r : prepareRecord(r);
}

/** Compares two records and explains the result feature by feature. */
export function scorePair(a: PersonRecord | PreparedRecord, b: PersonRecord | PreparedRecord, options: ScoreOptions = {}): PairScore {
  const rules = options.rules ?? DEFAULT_RULES;
  const pa = asPrepared(a);
  const pb = asPrepared(b);
  const levels = new Int8Array(FEATURE_COUNT);
  compareRecords(pa, pb, levels);
  const raw = scoreLevels(pa, pb, levels, rules, options.frequencies, { weight: 0, decision: 2, reason: 0, cap: -1 });
  return {
    weight: round(raw.weight),
    dependencyAdjustment: round(dependencyAdjustment(rules, levels)),
    decision: DECISION_OF_CODE[raw.decision]!,
    reason: REASON_OF_CODE[raw.reason]!,
    ...(raw.cap >= 0 ? { cappedBy: rules.caps[raw.cap]!.label } : {}),
    features: FEATURE_NAMES.map((feature, f) => {
      const level = levels[f]!;
      return {
        feature,
        level: level < 0 ? null : (FEATURE_LEVELS[feature] as readonly string[])[level]!,
        weight: round(featureWeight(rules, f, level, pa, options.frequencies, pb)),
      };
    }),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
