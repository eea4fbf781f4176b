/**
 * Estimating the m/u probabilities from unlabelled data (expectation–maximisation, as in Fellegi–Sunter practice):
 * - u from random record pairs, which are almost all non-matches;
 * - m and the match share λ by EM over the blocked candidate pairs (u fixed, or re-estimated with `estimateU: 'em'`).
 * The result is a new rule set (version "<base>+em") to review and publish with its own effective date; thresholds,
 * caps and guards are copied from the base rules.
 */
import { FEATURE_COUNT, FEATURE_LEVELS, FEATURE_NAMES, compareRecords, type FeatureName } from './compare.js';
import { forEachCandidatePair } from './dedupe.js';
import { prepareRecord, type PersonRecord, type PreparedRecord } from './prepare.js';
import { DEFAULT_RULES, withParameters, type LevelParameters, type MatchRules } from './rules.js';

export interface EmOptions {
  rules?: MatchRules;
  /** Random pairs for u (default 200 000). */
  randomPairs?: number;
  /** At most this many blocked pairs (default 2 000 000; the rest are skipped). */
  maxPairs?: number;
  maxIterations?: number;
  /** Stop when no m changes by more than this (default 1e-5). */
  tolerance?: number;
  /** 'random-pairs' (default): u from random pairs, fixed; 'em': u re-estimated by EM as well. */
  estimateU?: 'random-pairs' | 'em';
  seed?: number;
  /** Version label of the result (default "<base version>+em"). */
  version?: string;
  effectiveFrom?: string;
}

export interface EmResult {
  rules: MatchRules;
  parameters: Record<FeatureName, Record<string, LevelParameters>>;
  /** Estimated share of true matches among the blocked pairs. */
  matchShare: number;
  iterations: number;
  converged: boolean;
  blockedPairs: number;
  randomPairs: number;
}

const BASE = 7; // levels -1..5 → digits 0..6

function encode(levels: Int8Array): number {
  let code = 0;
  for (let f = FEATURE_COUNT - 1; f >= 0; f--) code = code * BASE + (levels[f]! + 1);
  return code;
}

function decode(code: number, out: Int8Array): void {
  for (let f = 0; f < FEATURE_COUNT; f++) {
    out[f] = (code % BASE) - 1;
    code = Math.floor(code / BASE);
  }
}

/** Small xorshift generator for sampling random pairs. */
function sampler(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

export function estimateParameters(records: readonly (PersonRecord | PreparedRecord)[], options: EmOptions = {}): EmResult {
  const base = options.rules ?? DEFAULT_RULES;
  const prepared = records.map((r) => ('idValid' in r ? (r as PreparedRecord) : prepareRecord(r as PersonRecord)));
  const n = prepared.length;
  if (n < 2) throw new Error('estimateParameters: need at least two records');
  const levels = new Int8Array(FEATURE_COUNT);
  const sizes = FEATURE_NAMES.map((f) => FEATURE_LEVELS[f].length);

  // u from random pairs (Laplace-smoothed).
  const random = sampler(options.seed ?? 1);
  const randomPairs = options.randomPairs ?? 200_000;
  const uCounts = sizes.map((k) => new Float64Array(k).fill(1e-3));
  for (let k = 0; k < randomPairs; k++) {
    const a = Math.floor(random() * n);
    let b = Math.floor(random() * (n - 1));
    if (b >= a) b++;
    compareRecords(prepared[a]!, prepared[b]!, levels);
    for (let f = 0; f < FEATURE_COUNT; f++) if (levels[f]! >= 0) uCounts[f]![levels[f]!]!++;
  }
  let u: Float64Array[] = uCounts.map((c) => normalise(c));

  // Comparison patterns of the blocked pairs.
  const maxPairs = options.maxPairs ?? 2_000_000;
  const patterns = new Map<number, number>();
  let blockedPairs = 0;
  forEachCandidatePair(prepared, base, (a, b) => {
    if (blockedPairs >= maxPairs) return;
    blockedPairs++;
    compareRecords(prepared[a]!, prepared[b]!, levels);
    const code = encode(levels);
    patterns.set(code, (patterns.get(code) ?? 0) + 1);
  });
  const codes = [...patterns.keys()];
  const counts = codes.map((c) => patterns.get(c)!);
  const decoded = codes.map((c) => {
    const l = new Int8Array(FEATURE_COUNT);
    decode(c, l);
    return l;
  });

  let m: Float64Array[] = base.m.map((x) => Float64Array.from(x));
  let lambda = 0.3;
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-5;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const mNum = sizes.map((k) => new Float64Array(k).fill(1e-6));
    const uNum = sizes.map((k) => new Float64Array(k).fill(1e-6));
    let matchMass = 0;
    let total = 0;
    for (let p = 0; p < codes.length; p++) {
      const l = decoded[p]!;
      let logM = Math.log(lambda);
      let logU = Math.log(1 - lambda);
      for (let f = 0; f < FEATURE_COUNT; f++) {
        const lv = l[f]!;
        if (lv < 0) continue;
        logM += Math.log(m[f]![lv]!);
        logU += Math.log(u[f]![lv]!);
      }
      const g = 1 / (1 + Math.exp(logU - logM));
      const c = counts[p]!;
      matchMass += c * g;
      total += c;
      for (let f = 0; f < FEATURE_COUNT; f++) {
        const lv = l[f]!;
        if (lv < 0) continue;
        mNum[f]![lv]! += c * g;
        uNum[f]![lv]! += c * (1 - g);
      }
    }
    const nextM = mNum.map((x) => normalise(x));
    let delta = 0;
    for (let f = 0; f < FEATURE_COUNT; f++) {
      for (let lv = 0; lv < sizes[f]!; lv++) delta = Math.max(delta, Math.abs(nextM[f]![lv]! - m[f]![lv]!));
    }
    m = nextM;
    if (options.estimateU === 'em') u = uNum.map((x) => normalise(x));
    lambda = Math.min(0.999, Math.max(1e-6, matchMass / Math.max(total, 1)));
    if (delta < tolerance) {
      converged = true;
      break;
    }
  }

  const parameters = {} as Record<FeatureName, Record<string, LevelParameters>>;
  FEATURE_NAMES.forEach((feature, f) => {
    parameters[feature] = {};
    (FEATURE_LEVELS[feature] as readonly string[]).forEach((level, lv) => {
      parameters[feature][level] = { m: clamp(m[f]![lv]!), u: clamp(u[f]![lv]!) };
    });
  });
  const rules = withParameters(base, parameters, {
    version: options.version ?? `${base.version}+em`,
    effectiveFrom: options.effectiveFrom ?? base.effectiveFrom,
    description: `EM estimate from ${n} records (${blockedPairs} blocked pairs, ${randomPairs} random pairs) starting from ${base.name} ${base.version}`,
  });
  return { rules, parameters, matchShare: lambda, iterations, converged, blockedPairs, randomPairs };
}

function normalise(x: Float64Array): Float64Array {
  let s = 0;
  for (const v of x) s += v;
  return x.map((v) => v / s);
}

function clamp(p: number): number {
  return Math.min(1 - 1e-9, Math.max(1e-9, Number(p.toPrecision(6))));
}
