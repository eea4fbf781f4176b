/**
 * Bulk deduplication: blocking by sorting hashed keys (no large maps), pair scoring, then clustering of the
 * auto-links with cannot-link constraints (twins, different valid ID numbers) so transitive chains cannot merge
 * people the pairwise rules kept apart.
 */
import { F, FEATURE_COUNT, compareRecords } from './compare.js';
import { blockingHashes } from './blocking.js';
import { prepareRecord, type PersonRecord, type PreparedRecord } from './prepare.js';
import { DEFAULT_RULES, type MatchRules } from './rules.js';
import { REASON_OF_CODE, TermFrequencies, scoreLevels, type DecisionReason } from './score.js';

export interface ReviewPair {
  a: string;
  b: string;
  weight: number;
  reason: DecisionReason | 'cluster-conflict';
  cappedBy?: string;
}

export interface DedupeStats {
  records: number;
  /** Distinct record pairs compared. */
  comparisons: number;
  /** Blocks skipped because they were larger than maxBlockSize. */
  oversizedBlocks: number;
  links: number;
  /** Links refused because they would join two records kept apart (twins, different ID numbers). */
  refusedLinks: number;
  reviewPairs: number;
  clusters: number;
  timings: { prepareMs: number; blockAndScoreMs: number; clusterMs: number; totalMs: number };
}

export interface DedupeResult {
  /** Groups of two or more record ids judged to be the same person. */
  clusters: string[][];
  /** Cluster number per input record (same order as the input); singletons have their own number. */
  assignment: Int32Array;
  /** Pairs for a human decision, in no particular order. */
  reviewPairs: ReviewPair[];
  stats: DedupeStats;
}

export interface DedupeOptions {
  rules?: MatchRules;
  /** Term-frequency adjustment from the records themselves (default true). */
  termFrequencies?: boolean;
  /** Called with (done, total) while preparing and comparing; for progress output. */
  onProgress?: (phase: 'prepare' | 'compare', done: number, total: number) => void;
}

class GrowableInt32 {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

class GrowableFloat32 {
  data = new Float32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Union–find with per-set cannot-link partners and one valid ID number per set: two sets holding different valid
 * ID numbers never merge, even when the two records were never compared directly.
 */
class ConstrainedUnionFind {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;
  private readonly cannot = new Map<number, number[]>();

  /** @param idOf per record an ID-number code (-1 for none); kept per root. */
  constructor(
    n: number,
    private readonly idOf: Int32Array,
  ) {
    this.parent = new Int32Array(n);
    this.size = new Int32Array(n).fill(1);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }

  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[x] !== r) {
      const next = this.parent[x]!;
      this.parent[x] = r;
      x = next;
    }
    return r;
  }

  /** Records that `a` and `b` must never share a cluster. */
  addCannotLink(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    const la = this.cannot.get(ra);
    if (la) la.push(b);
    else this.cannot.set(ra, [b]);
    const lb = this.cannot.get(rb);
    if (lb) lb.push(a);
    else this.cannot.set(rb, [a]);
  }

  /** Joins the sets of a and b unless a cannot-link constraint forbids it; returns false when refused. */
  union(a: number, b: number): boolean {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return true;
    const ida = this.idOf[ra]!;
    const idb = this.idOf[rb]!;
    if (ida >= 0 && idb >= 0 && ida !== idb) return false;
    const ca = this.cannot.get(ra);
    const cb = this.cannot.get(rb);
    // Check the shorter constraint list against the other root.
    const [list, other] = (ca?.length ?? 0) <= (cb?.length ?? 0) ? [ca, rb] : [cb, ra];
    if (list) for (const x of list) if (this.find(x) === other) return false;
    if (this.size[ra]! < this.size[rb]!) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra]! += this.size[rb]!;
    if (this.idOf[ra]! < 0) this.idOf[ra] = this.idOf[rb]!;
    // Keep the partners with the new root: append the shorter list to the longer one.
    const keep = this.cannot.get(ra);
    const move = this.cannot.get(rb);
    if (move) {
      this.cannot.delete(rb);
      if (!keep) this.cannot.set(ra, move);
      else if (keep.length >= move.length) for (const x of move) keep.push(x);
      else {
        for (const x of keep) move.push(x);
        this.cannot.set(ra, move);
      }
    }
    return true;
  }
}

interface KeyTable {
  /** Hash slots per record for each key type: hashes[t][i * slots[t] + s], 0 = empty. */
  hashes: Uint32Array[];
  slots: number[];
}

function sharesEarlierKey(keys: KeyTable, t: number, h: number, a: number, b: number): boolean {
  for (let s = 0; s <= t; s++) {
    const n = keys.slots[s]!;
    const hs = keys.hashes[s]!;
    for (let i = 0; i < n; i++) {
      const x = hs[a * n + i]!;
      if (x === 0) break;
      for (let j = 0; j < n; j++) {
        const y = hs[b * n + j]!;
        if (y === 0) break;
        if (x === y && (s < t || x < h)) return true;
      }
    }
  }
  return false;
}

/**
 * Calls `visit(a, b)` once for every pair of records (indexes into `prepared`, a < b not guaranteed) that share at
 * least one blocking key of the rule set. Blocking sorts packed (key hash, record) numbers, so memory stays at a
 * few typed arrays; blocks larger than `maxBlockSize` are skipped. Returns the number of skipped blocks.
 */
export function forEachCandidatePair(
  prepared: readonly PreparedRecord[],
  rules: MatchRules,
  visit: (a: number, b: number) => void,
  onProgress?: (phase: 'prepare' | 'compare', done: number, total: number) => void,
): number {
  const n = prepared.length;
  // Hash every blocking key; pack (hash, record) into one float64 so a typed-array sort groups each block.
  const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  if (bits > 31) throw new Error('dedupe: too many records');
  const hashShift = Math.max(0, 32 + bits - 53);
  const scale = 2 ** bits;
  const types = rules.blockingKeys;
  const keys: KeyTable = { hashes: [], slots: [] };
  let oversized = 0;
  const maxBlock = rules.file.blocking.maxBlockSize;

  for (let t = 0; t < types.length; t++) {
    const type = types[t]!;
    // Hash the keys straight away (no per-record key arrays kept alive).
    const owner = new GrowableInt32();
    const hashed = new GrowableInt32();
    let slots = 1;
    const hs: number[] = [];
    for (let i = 0; i < n; i++) {
      hs.length = 0;
      blockingHashes(prepared[i]!, type, hs);
      if (hs.length > slots) slots = hs.length;
      for (const k of hs) {
        owner.push(i);
        hashed.push(k >>> hashShift || 1);
      }
    }
    const total = owner.length;
    const hashes = new Uint32Array(n * slots);
    const packed = new Float64Array(total);
    let last = -1;
    let slot = 0;
    for (let p = 0; p < total; p++) {
      const i = owner.data[p]!;
      const h = hashed.data[p]! >>> 0;
      slot = i === last ? slot + 1 : 0;
      last = i;
      hashes[i * slots + slot] = h;
      packed[p] = h * scale + i;
    }
    keys.hashes.push(hashes);
    keys.slots.push(slots);
    packed.sort();
    let start = 0;
    while (start < total) {
      const h = Math.floor(packed[start]! / scale);
      let end = start + 1;
      while (end < total && Math.floor(packed[end]! / scale) === h) end++;
      const size = end - start;
      if (size > maxBlock) {
        oversized++;
      } else if (size > 1) {
        for (let x = start; x < end; x++) {
          const a = packed[x]! - h * scale;
          for (let y = x + 1; y < end; y++) {
            const b = packed[y]! - h * scale;
            if (a === b || sharesEarlierKey(keys, t, h, a, b)) continue;
            visit(a, b);
          }
        }
      }
      start = end;
    }
    if (onProgress) onProgress('compare', t + 1, types.length);
  }
  return oversized;
}

/** Deduplicates records: candidate pairs from blocking, scoring, and constrained clustering of auto-links. */
export function dedupe(records: readonly (PersonRecord | PreparedRecord)[], options: DedupeOptions = {}): DedupeResult {
  const rules = options.rules ?? DEFAULT_RULES;
  const t0 = performance.now();
  const n = records.length;
  const prepared: PreparedRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    prepared[i] = 'idValid' in r ? (r as PreparedRecord) : prepareRecord(r as PersonRecord);
    if (options.onProgress && i % 100_000 === 99_999) options.onProgress('prepare', i + 1, n);
  }
  const tf = options.termFrequencies === false ? undefined : TermFrequencies.of(prepared);
  const t1 = performance.now();

  const levels = new Int8Array(FEATURE_COUNT);
  const raw = { weight: 0, decision: 2, reason: 0, cap: -1 };
  const linkA = new GrowableInt32();
  const linkB = new GrowableInt32();
  const linkW = new GrowableFloat32();
  const linkP = new GrowableInt32();
  const cannotA = new GrowableInt32();
  const cannotB = new GrowableInt32();
  const review: ReviewPair[] = [];
  const reviewA = new GrowableInt32();
  const reviewB = new GrowableInt32();
  let comparisons = 0;
  const oversized = forEachCandidatePair(
    prepared,
    rules,
    (a, b) => {
      comparisons++;
      const ra = prepared[a]!;
      const rb = prepared[b]!;
      compareRecords(ra, rb, levels);
      scoreLevels(ra, rb, levels, rules, tf, raw);
      if (raw.decision === 0) {
        linkA.push(a);
        linkB.push(b);
        linkW.push(raw.weight);
        linkP.push(raw.reason === 1 ? 1 : 0);
        return;
      }
      if (raw.decision === 1) {
        reviewA.push(a);
        reviewB.push(b);
        review.push({
          a: ra.id,
          b: rb.id,
          weight: Math.round(raw.weight * 1000) / 1000,
          reason: REASON_OF_CODE[raw.reason]!,
          ...(raw.cap >= 0 ? { cappedBy: rules.caps[raw.cap]!.label } : {}),
        });
      }
      // Kept apart by the twin guard: never in one cluster, whatever links through third records say. Only pairs of
      // one household need the constraint (twins); a cluster holds at most one valid ID number anyway.
      if (raw.reason === 3 && (levels[F.phone] === 0 || (levels[F.address]! >= 0 && levels[F.address]! <= 1))) {
        cannotA.push(a);
        cannotB.push(b);
      }
    },
    options.onProgress,
  );
  const t2 = performance.now();

  // Cluster: strongest links first, refusing joins that violate a cannot-link pair.
  const idCodes = new Map<string, number>();
  const idOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const r = prepared[i]!;
    if (!r.idValid || !r.idNumber) continue;
    let c = idCodes.get(r.idNumber);
    if (c === undefined) idCodes.set(r.idNumber, (c = idCodes.size));
    idOf[i] = c;
  }
  const uf = new ConstrainedUnionFind(n, idOf);
  for (let i = 0; i < cannotA.length; i++) uf.addCannotLink(cannotA.data[i]!, cannotB.data[i]!);
  const w = linkW.data;
  const det = linkP.data;
  // Deterministic (ID number) links first, then by weight: sort packed (priority, index) numbers natively.
  const links = linkA.length;
  const idxBits = Math.max(1, Math.ceil(Math.log2(links + 1)));
  const idxScale = 2 ** idxBits;
  const order = new Float64Array(links);
  for (let i = 0; i < links; i++) {
    // Weight in 1/64 bit steps, offset so it is positive; deterministic links above everything.
    const q = Math.max(0, Math.min(2 ** 20 - 1, Math.round((w[i]! + 2000) * 64))) + (det[i] ? 2 ** 20 : 0);
    order[i] = (2 ** 21 - 1 - q) * idxScale + i;
  }
  if (idxBits + 21 > 53) throw new Error('dedupe: too many links');
  order.sort();
  let refused = 0;
  for (let k = 0; k < links; k++) {
    const i = order[k]! % idxScale;
    const a = linkA.data[i]!;
    const b = linkB.data[i]!;
    if (!uf.union(a, b)) {
      refused++;
      reviewA.push(a);
      reviewB.push(b);
      review.push({ a: prepared[a]!.id, b: prepared[b]!.id, weight: Math.round(w[i]! * 1000) / 1000, reason: 'cluster-conflict' });
    }
  }
  // Number the clusters; list members only for clusters of two or more.
  const assignment = new Int32Array(n);
  const rootCluster = new Int32Array(n).fill(-1);
  const size = new Int32Array(n);
  let clusterCount = 0;
  for (let i = 0; i < n; i++) {
    const r = uf.find(i);
    if (rootCluster[r] === -1) rootCluster[r] = clusterCount++;
    const c = rootCluster[r]!;
    assignment[i] = c;
    size[c]!++;
  }
  const slotOf = new Int32Array(clusterCount).fill(-1);
  const clusters: string[][] = [];
  for (let i = 0; i < n; i++) {
    const c = assignment[i]!;
    if (size[c]! < 2) continue;
    if (slotOf[c] === -1) {
      slotOf[c] = clusters.length;
      clusters.push([]);
    }
    clusters[slotOf[c]!]!.push(prepared[i]!.id);
  }
  // Review pairs already joined through other links need no decision.
  const reviewPairs = review.filter(
    (p, k) => p.reason === 'cluster-conflict' || assignment[reviewA.data[k]!] !== assignment[reviewB.data[k]!],
  );
  const t3 = performance.now();
  return {
    clusters,
    assignment,
    reviewPairs,
    stats: {
      records: n,
      comparisons,
      oversizedBlocks: oversized,
      links: linkA.length,
      refusedLinks: refused,
      reviewPairs: reviewPairs.length,
      clusters: clusters.length,
      timings: {
        prepareMs: Math.round(t1 - t0),
        blockAndScoreMs: Math.round(t2 - t1),
        clusterMs: Math.round(t3 - t2),
        totalMs: Math.round(t3 - t0),
      },
    },
  };
}
