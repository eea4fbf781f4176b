/**
 * Blocking: only records that share a blocking key are compared. Keys (configurable per rule set):
 * - id: the normalised ID number (legacy numbers converted, so 15- and 18-digit forms meet);
 * - phone: the phone number;
 * - surname-birthdate: every reading of the surname (多音字: 覃 gives qin and tan) + full birth date.
 *   Chinese names block on dialect-folded pinyin (zh/z, ch/c, sh/s, n/l, -ng/-n), Latin names on Soundex;
 * - given-birthdate: given-name pinyin (Soundex for Latin names) + birth date — catches surname errors and changes;
 * - name-birthyear: both name parts (order-free) + birth year — catches day/month errors;
 * - name-monthday: both name parts + {month, day} unordered — catches year errors and day/month swaps;
 * - name-place: both name parts + village (or town) of a Chinese address, or the postcode of a Latin one — finds
 *   records without a birth date;
 * - name: both name parts only — any birth-date error or a missing date (for small registers; large blocks of
 *   common names are skipped by maxBlockSize);
 * - birthdate-place: birth date + place (village, town or postcode) — both name parts wrong or swapped;
 * - id-halves: first and second half of the identifier separately — a mistyped digit leaves one half intact.
 */
import type { NameForm, PersonRecord, PreparedRecord } from './prepare.js';
import { DEFAULT_RULES, type BlockingKeyName, type MatchRules } from './rules.js';
import {
  asPrepared,
  dependencyAdjustment,
  scoreLevels,
  TermFrequencies,
  DECISION_OF_CODE,
  REASON_OF_CODE,
  featureWeight,
  type PairScore,
} from './score.js';
import { compareRecords, FEATURE_COUNT, FEATURE_LEVELS, FEATURE_NAMES } from './compare.js';
import { foldSyllable, readings } from './pinyin.js';
import { FNV_OFFSET, fnv, fnvChar } from './strings.js';

/** Blocking keys of one type for a record (usually 0 or 1; more for polyphonic surnames). */
export function blockingKeys(r: PreparedRecord, type: BlockingKeyName): string[] {
  switch (type) {
    case 'id':
      return r.idNumber && r.idNumber.length >= 6 ? [r.idNumber] : [];
    case 'phone':
      return r.phone ? [r.phone] : [];
    case 'surname-birthdate': {
      if (!r.surname || !r.birth || !r.surname.text) return [];
      const s = r.surname;
      if (!s.han) return [`${s.phonetic}|${r.birth}`];
      const rest = s.syllables.slice(1).map(foldSyllable).join('');
      return surnameAlternatives(s).map((p) => `${p}${rest}|${r.birth}`);
    }
    case 'given-birthdate':
      return r.given && r.birth && r.given.text ? [`${r.given.phonetic}|${r.birth}`] : [];
    case 'name-birthyear': {
      const n = nameKey(r);
      return n && r.birth ? [`${n}|${r.birth.slice(0, 4)}`] : [];
    }
    case 'name-monthday': {
      const n = nameKey(r);
      if (!n || !r.birth) return [];
      const mm = r.birth.slice(4, 6);
      const dd = r.birth.slice(6, 8);
      return [`${n}|${mm < dd ? mm + dd : dd + mm}`];
    }
    case 'name-place': {
      const n = nameKey(r);
      const place = placeOf(r);
      return n && place ? [`${n}|${place}`] : [];
    }
    case 'name': {
      const n = nameKey(r);
      return n ? [n] : [];
    }
    case 'birthdate-place': {
      const place = placeOf(r);
      return r.birth && place ? [`${r.birth}|${place}`] : [];
    }
    case 'id-halves': {
      const id = r.idNumber;
      if (!id || id.length < 6) return [];
      const h = id.length >> 1;
      return [`<${id.slice(0, h)}`, `>${id.slice(h)}`];
    }
  }
}

/** Village or town of a Chinese address, postcode of a Latin one. */
function placeOf(r: PreparedRecord): string | null {
  const a = r.address;
  return a ? (a.village ?? a.town ?? a.postcode) : null;
}

const BAR = 124; // '|'
const PLUS = 43; // '+'

/** Hash of both name parts, order-free (as nameKey), or null. */
function nameHash(r: PreparedRecord): number | null {
  const s = r.surname?.phonetic;
  const g = r.given?.phonetic;
  if (!s || !g) return null;
  return s < g ? fnv(fnvChar(fnv(FNV_OFFSET, s), PLUS), g) : fnv(fnvChar(fnv(FNV_OFFSET, g), PLUS), s);
}

/**
 * The FNV-1a hashes of `blockingKeys(r, type)` (equal keys give equal hashes; the keys themselves are not built),
 * pushed onto `out`. Used by bulk deduplication.
 */
export function blockingHashes(r: PreparedRecord, type: BlockingKeyName, out: number[]): void {
  switch (type) {
    case 'id':
      if (r.idNumber && r.idNumber.length >= 6) out.push(fnv(FNV_OFFSET, r.idNumber) >>> 0);
      return;
    case 'phone':
      if (r.phone) out.push(fnv(FNV_OFFSET, r.phone) >>> 0);
      return;
    case 'surname-birthdate': {
      if (!r.surname || !r.birth || !r.surname.text) return;
      const s = r.surname;
      if (!s.han) {
        out.push(fnv(fnvChar(fnv(FNV_OFFSET, s.phonetic), BAR), r.birth) >>> 0);
        return;
      }
      for (const p of surnameAlternatives(s)) {
        let h = fnv(FNV_OFFSET, p);
        for (let i = 1; i < s.syllables.length; i++) h = fnv(h, foldSyllable(s.syllables[i]!));
        out.push(fnv(fnvChar(h, BAR), r.birth) >>> 0);
      }
      return;
    }
    case 'given-birthdate':
      if (r.given && r.birth && r.given.text) out.push(fnv(fnvChar(fnv(FNV_OFFSET, r.given.phonetic), BAR), r.birth) >>> 0);
      return;
    case 'name-birthyear': {
      const n = nameHash(r);
      if (n !== null && r.birth) out.push(fnv(fnvChar(n, BAR), r.birth, 0, 4) >>> 0);
      return;
    }
    case 'name-monthday': {
      const n = nameHash(r);
      if (n === null || !r.birth) return;
      const b = r.birth;
      const mmFirst = b.slice(4, 6) < b.slice(6, 8);
      const h = fnvChar(n, BAR);
      out.push((mmFirst ? fnv(fnv(h, b, 4, 6), b, 6, 8) : fnv(fnv(h, b, 6, 8), b, 4, 6)) >>> 0);
      return;
    }
    case 'name-place': {
      const n = nameHash(r);
      const place = placeOf(r);
      if (n !== null && place) out.push(fnv(fnvChar(n, BAR), place) >>> 0);
      return;
    }
    case 'name': {
      const n = nameHash(r);
      if (n !== null) out.push(n >>> 0);
      return;
    }
    case 'birthdate-place': {
      const place = placeOf(r);
      if (r.birth && place) out.push(fnv(fnvChar(fnv(FNV_OFFSET, r.birth), BAR), place) >>> 0);
      return;
    }
    case 'id-halves': {
      const id = r.idNumber;
      if (!id || id.length < 6) return;
      const h = id.length >> 1;
      out.push(fnv(fnvChar(FNV_OFFSET, 60), id, 0, h) >>> 0, fnv(fnvChar(FNV_OFFSET, 62), id, h) >>> 0);
      return;
    }
  }
}

const alternativesCache = new Map<string, string[]>();

/** Folded readings of the first surname character, the surname reading first (覃 → qin, tan). */
function surnameAlternatives(s: NameForm): string[] {
  let alt = alternativesCache.get(s.chars[0]!);
  if (!alt) {
    alt = [...new Set([s.syllables[0]!, ...readings(s.chars[0]!)].map(foldSyllable))];
    alternativesCache.set(s.chars[0]!, alt);
  }
  return alt;
}

function nameKey(r: PreparedRecord): string | null {
  const s = r.surname?.phonetic;
  const g = r.given?.phonetic;
  if (!s || !g) return null;
  return s < g ? `${s}+${g}` : `${g}+${s}`;
}

export interface ScoredCandidate extends PairScore {
  id: string;
}

/**
 * In-memory blocking index for incremental matching (one record at a time, as patients are registered). Keeps
 * term frequencies up to date. For bulk deduplication use `dedupe()`, which blocks by sorting instead.
 */
export class BlockingIndex {
  readonly rules: MatchRules;
  readonly frequencies = new TermFrequencies();
  private readonly records = new Map<string, PreparedRecord>();
  private readonly blocks = new Map<string, Set<string>>();

  constructor(options: { rules?: MatchRules } = {}) {
    this.rules = options.rules ?? DEFAULT_RULES;
  }

  get size(): number {
    return this.records.size;
  }

  get(id: string): PreparedRecord | undefined {
    return this.records.get(id);
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  private keysOf(r: PreparedRecord): string[] {
    const out: string[] = [];
    for (const type of this.rules.blockingKeys) for (const k of blockingKeys(r, type)) out.push(`${type}:${k}`);
    return out;
  }

  /** Adds (or replaces) a record. */
  add(record: PersonRecord | PreparedRecord): PreparedRecord {
    const r = asPrepared(record);
    if (this.records.has(r.id)) this.remove(r.id);
    this.records.set(r.id, r);
    this.frequencies.add(r);
    for (const k of this.keysOf(r)) {
      let set = this.blocks.get(k);
      if (!set) this.blocks.set(k, (set = new Set()));
      set.add(r.id);
    }
    return r;
  }

  addAll(records: Iterable<PersonRecord | PreparedRecord>): void {
    for (const r of records) this.add(r);
  }

  remove(id: string): boolean {
    const r = this.records.get(id);
    if (!r) return false;
    this.records.delete(id);
    this.frequencies.remove(r);
    for (const k of this.keysOf(r)) {
      const set = this.blocks.get(k);
      if (!set) continue;
      set.delete(id);
      if (set.size === 0) this.blocks.delete(k);
    }
    return true;
  }

  /** Ids of indexed records sharing at least one blocking key with `record` (oversized blocks skipped). */
  candidateIds(record: PersonRecord | PreparedRecord): string[] {
    const r = asPrepared(record);
    const out = new Set<string>();
    for (const k of this.keysOf(r)) {
      const set = this.blocks.get(k);
      if (!set || set.size > this.rules.file.blocking.maxBlockSize) continue;
      for (const id of set) if (id !== r.id) out.add(id);
    }
    return [...out];
  }
}

export interface FindCandidatesOptions {
  /** Include candidates scored 'non-match' (default false). */
  includeNonMatches?: boolean;
  /** At most this many candidates (best first). */
  limit?: number;
}

/** Scores the blocking candidates of `record` in the index; best first. */
export function findCandidates(
  record: PersonRecord | PreparedRecord,
  index: BlockingIndex,
  options: FindCandidatesOptions = {},
): ScoredCandidate[] {
  const r = asPrepared(record);
  const rules = index.rules;
  const levels = new Int8Array(FEATURE_COUNT);
  const raw = { weight: 0, decision: 2, reason: 0, cap: -1 };
  const out: ScoredCandidate[] = [];
  for (const id of index.candidateIds(r)) {
    const c = index.get(id)!;
    compareRecords(r, c, levels);
    scoreLevels(r, c, levels, rules, index.frequencies, raw);
    if (raw.decision === 2 && !options.includeNonMatches) continue;
    out.push({
      id,
      weight: Math.round(raw.weight * 1000) / 1000,
      dependencyAdjustment: Math.round(dependencyAdjustment(rules, levels) * 1000) / 1000,
      decision: DECISION_OF_CODE[raw.decision]!,
      reason: REASON_OF_CODE[raw.reason]!,
      ...(raw.cap >= 0 ? { cappedBy: rules.caps[raw.cap]!.label } : {}),
      features: FEATURE_NAMES.map((feature, f) => ({
        feature,
        level: levels[f]! < 0 ? null : (FEATURE_LEVELS[feature] as readonly string[])[levels[f]!]!,
        weight: Math.round(featureWeight(rules, f, levels[f]!, r, index.frequencies, c) * 1000) / 1000,
      })),
    });
  }
  const rank = (c: ScoredCandidate) => (c.decision === 'match' ? 0 : c.decision === 'review' ? 1 : 2);
  out.sort((x, y) => rank(x) - rank(y) || y.weight - x.weight);
  return options.limit !== undefined ? out.slice(0, options.limit) : out;
}
