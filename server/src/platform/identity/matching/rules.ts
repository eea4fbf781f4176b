/**
 * Versioned Fellegi–Sunter rule sets: m/u probabilities per feature level, thresholds, deterministic rules, guards
 * and blocking, loaded from JSON files with an effective date. The engine turns them into log2(m/u) weights.
 */
import { readFileSync } from 'node:fs';
import defaultRuleFile from './rules/mpi-rules-2024-07.json' with { type: 'json' };
import latinRuleFile from './rules/mpi-rules-latin-2026-11.json' with { type: 'json' };
import { FEATURE_COUNT, FEATURE_LEVELS, FEATURE_NAMES, type FeatureName } from './compare.js';

export type Decision = 'match' | 'review' | 'non-match';
export const DECISIONS: readonly Decision[] = ['match', 'review', 'non-match'];

export const BLOCKING_KEYS = [
  'id',
  'phone',
  'surname-birthdate',
  'given-birthdate',
  'name-birthyear',
  'name-monthday',
  'name-place',
  'name',
  'birthdate-place',
  'id-halves',
] as const;
export type BlockingKeyName = (typeof BLOCKING_KEYS)[number];

export interface LevelParameters {
  m: number;
  u: number;
}

export interface FeatureRule {
  levels: Record<string, LevelParameters>;
  /** Term-frequency adjustment of exact agreement: u becomes the value's frequency (not below minU). */
  termFrequency?: { minU: number };
  note?: string;
}

export interface MatchRuleFile {
  name: string;
  version: string;
  /** First day (YYYY-MM-DD) the rule set applies. */
  effectiveFrom: string;
  description?: string;
  thresholds: { link: number; review: number };
  features: Record<FeatureName, FeatureRule>;
  /**
   * Pairs of features that are not independent: when both agree (positive weights) the smaller weight is
   * multiplied by `factor` (0 = count only the stronger one, 1 = independent).
   */
  dependencies?: { features: [FeatureName, FeatureName]; factor: number; note?: string }[];
  deterministic: { idNumberExact: boolean; requireValidIdNumber: boolean };
  guards: {
    /**
     * Same birth date, another given name, no shared ID number: twins or same-day siblings, who share surname,
     * address and phone, so the other agreements are no evidence.
     */
    twins: {
      enabled: boolean;
      givenNameLevels: string[];
      decision: Decision;
      /**
       * ID-number levels that switch the guard off (default ['exact']). Registers whose identifiers are not
       * checksummed add 'typo': twins have unrelated numbers, not numbers one keystroke apart.
       */
      exceptIdNumberLevels?: string[];
    };
  };
  /** A feature level that limits the decision whatever the weight (e.g. no auto-link when given names differ). */
  caps: {
    feature: FeatureName;
    levels: string[];
    maxDecision: Decision;
    /** Do not apply when the ID numbers agree exactly (default true). */
    exceptIdNumberExact?: boolean;
    note?: string;
  }[];
  blocking: { keys: BlockingKeyName[]; maxBlockSize: number };
}

/** A validated rule set with pre-computed weights. */
export interface MatchRules {
  readonly file: MatchRuleFile;
  readonly name: string;
  readonly version: string;
  readonly effectiveFrom: string;
  readonly linkThreshold: number;
  readonly reviewThreshold: number;
  /** weights[feature][level] = log2(m/u). */
  readonly weights: readonly Float64Array[];
  readonly m: readonly Float64Array[];
  readonly u: readonly Float64Array[];
  /** Term-frequency floor per feature (NaN = no adjustment). */
  readonly tfMinU: Float64Array;
  readonly twinGivenLevels: ReadonlySet<number>;
  /** ID-number levels for which the twin guard does not apply. */
  readonly twinExceptIdLevels: ReadonlySet<number>;
  readonly caps: readonly CompiledCap[];
  readonly blockingKeys: readonly BlockingKeyName[];
  /** [feature index, feature index, factor] */
  readonly dependencies: readonly [number, number, number][];
}

export interface CompiledCap {
  feature: number;
  levels: ReadonlySet<number>;
  /** 0 match, 1 review, 2 non-match */
  maxDecision: number;
  /** e.g. 'givenName:different' */
  label: string;
  exceptIdNumberExact: boolean;
}

export class RuleFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleFileError';
  }
}

function fail(message: string): never {
  throw new RuleFileError(message);
}

function checkDecision(d: unknown, where: string): Decision {
  if (!DECISIONS.includes(d as Decision)) fail(`${where}: decision must be one of ${DECISIONS.join(', ')}`);
  return d as Decision;
}

/** Validates a rule file (parsed JSON) and computes its weights. */
export function compileRules(input: unknown): MatchRules {
  if (typeof input !== 'object' || input === null) fail('rule file must be a JSON object');
  const file = input as MatchRuleFile;
  for (const k of ['name', 'version', 'effectiveFrom'] as const) {
    if (typeof file[k] !== 'string' || !file[k]) fail(`rule file: '${k}' must be a non-empty string`);
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(file.effectiveFrom)) fail('rule file: effectiveFrom must be YYYY-MM-DD');
  const t = file.thresholds;
  if (!t || !Number.isFinite(t.link) || !Number.isFinite(t.review) || t.review > t.link) {
    fail('rule file: thresholds need finite link ≥ review');
  }
  const weights: Float64Array[] = [];
  const ms: Float64Array[] = [];
  const us: Float64Array[] = [];
  const tfMinU = new Float64Array(FEATURE_COUNT).fill(Number.NaN);
  FEATURE_NAMES.forEach((feature, fi) => {
    const rule = file.features?.[feature];
    if (!rule?.levels) fail(`rule file: feature '${feature}' missing`);
    const levels = FEATURE_LEVELS[feature] as readonly string[];
    const w = new Float64Array(levels.length);
    const m = new Float64Array(levels.length);
    const u = new Float64Array(levels.length);
    levels.forEach((level, li) => {
      const p = rule.levels[level];
      if (!p) fail(`rule file: ${feature}.${level} missing`);
      if (!(p.m > 0 && p.m <= 1 && p.u > 0 && p.u <= 1)) fail(`rule file: ${feature}.${level} needs 0 < m, u ≤ 1`);
      m[li] = p.m;
      u[li] = p.u;
      w[li] = Math.log2(p.m / p.u);
    });
    for (const level of Object.keys(rule.levels)) {
      if (!levels.includes(level)) fail(`rule file: unknown level ${feature}.${level} (known: ${levels.join(', ')})`);
    }
    if (rule.termFrequency) {
      if (!(rule.termFrequency.minU > 0 && rule.termFrequency.minU < 1)) fail(`rule file: ${feature}.termFrequency.minU`);
      tfMinU[fi] = rule.termFrequency.minU;
    }
    weights.push(w);
    ms.push(m);
    us.push(u);
  });
  const det = file.deterministic;
  if (typeof det?.idNumberExact !== 'boolean' || typeof det.requireValidIdNumber !== 'boolean') {
    fail('rule file: deterministic.idNumberExact and deterministic.requireValidIdNumber must be booleans');
  }
  const twins = file.guards?.twins;
  if (typeof twins?.enabled !== 'boolean' || !Array.isArray(twins.givenNameLevels)) fail('rule file: guards.twins');
  checkDecision(twins.decision, 'guards.twins');
  const levelSet = (feature: FeatureName, names: unknown, where: string): Set<number> => {
    const known = FEATURE_LEVELS[feature] as readonly string[];
    if (!Array.isArray(names) || names.length === 0) fail(`rule file: ${where}: levels must be a non-empty array`);
    return new Set(
      names.map((l) => {
        const i = known.indexOf(l as string);
        if (i < 0) fail(`rule file: ${where}: unknown ${feature} level '${String(l)}'`);
        return i;
      }),
    );
  };
  const twinGivenLevels = levelSet('givenName', twins.givenNameLevels, 'guards.twins.givenNameLevels');
  const twinExceptIdLevels = levelSet('idNumber', twins.exceptIdNumberLevels ?? ['exact'], 'guards.twins.exceptIdNumberLevels');
  if (!Array.isArray(file.caps)) fail('rule file: caps must be an array');
  const caps: CompiledCap[] = file.caps.map((c, i) => {
    const feature = FEATURE_NAMES.indexOf(c?.feature);
    if (feature < 0) fail(`rule file: caps[${i}].feature '${String(c?.feature)}' is not a feature`);
    const decision = checkDecision(c.maxDecision, `caps[${i}]`);
    const levels = levelSet(c.feature, c.levels, `caps[${i}]`);
    if (c.exceptIdNumberExact !== undefined && typeof c.exceptIdNumberExact !== 'boolean') {
      fail(`rule file: caps[${i}].exceptIdNumberExact must be a boolean`);
    }
    return {
      feature,
      levels,
      maxDecision: DECISIONS.indexOf(decision),
      label: `${c.feature}:${c.levels.join('|')}`,
      exceptIdNumberExact: c.exceptIdNumberExact ?? true,
    };
  });
  const dependencies: [number, number, number][] = [];
  for (const [i, d] of (file.dependencies ?? []).entries()) {
    const [x, y] = Array.isArray(d?.features) ? d.features : [];
    const fx = FEATURE_NAMES.indexOf(x as FeatureName);
    const fy = FEATURE_NAMES.indexOf(y as FeatureName);
    if (fx < 0 || fy < 0 || fx === fy) fail(`rule file: dependencies[${i}].features must name two different features`);
    if (!(d.factor >= 0 && d.factor <= 1)) fail(`rule file: dependencies[${i}].factor must be in [0, 1]`);
    dependencies.push([fx, fy, d.factor]);
  }
  const b = file.blocking;
  if (!b || !Array.isArray(b.keys) || b.keys.length === 0) fail('rule file: blocking.keys must be a non-empty array');
  for (const k of b.keys) if (!BLOCKING_KEYS.includes(k)) fail(`rule file: unknown blocking key '${k}'`);
  if (!(Number.isInteger(b.maxBlockSize) && b.maxBlockSize >= 2)) fail('rule file: blocking.maxBlockSize ≥ 2');
  return {
    file,
    name: file.name,
    version: file.version,
    effectiveFrom: file.effectiveFrom,
    linkThreshold: t.link,
    reviewThreshold: t.review,
    weights,
    m: ms,
    u: us,
    tfMinU,
    twinGivenLevels,
    twinExceptIdLevels,
    caps,
    blockingKeys: [...b.keys],
    dependencies,
  };
}

/** Reads and compiles a rule file from disk. */
export function readRuleFile(path: string): MatchRules {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RuleFileError(`cannot read rule file ${path}: ${(e as Error).message}`);
  }
  return compileRules(json);
}

/**
 * Picks the rule set in force on `onDate` (YYYY-MM-DD): the latest effectiveFrom not after it, among the sets
 * called `name` when given (one name per data source, e.g. 'yiwang-mpi' for the Chinese resident index,
 * 'yiwang-mpi-latin' for Latin-script registers). Throws when none applies yet.
 */
export function selectRules(ruleSets: readonly MatchRules[], onDate: string, name?: string): MatchRules {
  let best: MatchRules | undefined;
  for (const r of ruleSets) {
    if (name !== undefined && r.name !== name) continue;
    if (r.effectiveFrom <= onDate && (!best || r.effectiveFrom > best.effectiveFrom)) best = r;
  }
  if (!best) throw new RuleFileError(`no matching rule set${name ? ` '${name}'` : ''} is in force on ${onDate}`);
  return best;
}

/** Copy of a rule file with some m/u values (and optionally other fields) replaced; for EM output and experiments. */
export function withParameters(
  base: MatchRules,
  parameters: Partial<Record<FeatureName, Record<string, Partial<LevelParameters>>>>,
  changes: Partial<Omit<MatchRuleFile, 'features'>> = {},
): MatchRules {
  const file: MatchRuleFile = structuredClone(base.file);
  for (const [feature, levels] of Object.entries(parameters) as [FeatureName, Record<string, Partial<LevelParameters>>][]) {
    for (const [level, p] of Object.entries(levels)) {
      const target = file.features[feature].levels[level];
      if (!target) throw new RuleFileError(`unknown level ${feature}.${level}`);
      if (p.m !== undefined) target.m = p.m;
      if (p.u !== undefined) target.u = p.u;
    }
  }
  return compileRules({ ...file, ...changes, features: file.features });
}

/** The rule set of the Chinese resident index (rules/mpi-rules-2024-07.json, name 'yiwang-mpi'). */
export const DEFAULT_RULES: MatchRules = compileRules(defaultRuleFile);
/**
 * Rules for Latin-script registers (rules/mpi-rules-latin-2026-11.json, name 'yiwang-mpi-latin'): whole-field
 * replacements weigh less, a one-keystroke identifier difference switches the twin guard off, more blocking keys.
 */
export const LATIN_RULES: MatchRules = compileRules(latinRuleFile);
/** Every rule set shipped, all names and versions; pick one with selectRules(SHIPPED_RULES, date, name). */
export const SHIPPED_RULES: readonly MatchRules[] = [DEFAULT_RULES, LATIN_RULES];
