/**
 * Field comparators: each returns an agreement level (index into FEATURE_LEVELS[feature]) or -1 when a value is
 * missing on either side (missing values carry no evidence).
 */
import type { AddressForm, NameForm, PreparedRecord } from './prepare.js';
import { editDistance, jaroWinkler, withinOneEdit } from './strings.js';

export const FEATURE_LEVELS = {
  surname: ['exact', 'phonetic', 'close', 'different'],
  givenName: ['exact', 'phonetic', 'close', 'partial', 'different'],
  birthDate: ['exact', 'swapped', 'close', 'year', 'different'],
  sex: ['agree', 'disagree'],
  idNumber: ['exact', 'typo', 'different-valid', 'different'],
  phone: ['exact', 'close', 'different'],
  address: ['exact', 'high', 'partial', 'different'],
} as const;

export type FeatureName = keyof typeof FEATURE_LEVELS;
export type FeatureLevel<F extends FeatureName> = (typeof FEATURE_LEVELS)[F][number];
export const FEATURE_NAMES = Object.keys(FEATURE_LEVELS) as FeatureName[];
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Feature positions in a comparison vector. */
export const F = { surname: 0, givenName: 1, birthDate: 2, sex: 3, idNumber: 4, phone: 5, address: 6 } as const;

// Name levels (given-name scale; surnames have no 'partial').
export const NAME_EXACT = 0;
export const NAME_PHONETIC = 1;
export const NAME_CLOSE = 2;
export const NAME_PARTIAL = 3;
export const NAME_DIFFERENT = 4;

export const BIRTH_EXACT = 0;
export const BIRTH_SWAPPED = 1;
export const BIRTH_CLOSE = 2;
export const BIRTH_YEAR = 3;
export const BIRTH_DIFFERENT = 4;

export const ID_EXACT = 0;
export const ID_TYPO = 1;
export const ID_DIFFERENT_VALID = 2;
export const ID_DIFFERENT = 3;

export const PHONE_EXACT = 0;
export const ADDRESS_EXACT = 0;
export const ADDRESS_HIGH = 1;
export const ADDRESS_PARTIAL = 2;
export const ADDRESS_DIFFERENT = 3;

function intersects(a: readonly string[], b: readonly string[]): boolean {
  for (const x of a) for (const y of b) if (x === y) return true;
  return false;
}

/** Can the Latin string be read as the Chinese name, one reading per character (e.g. 'zengle' for 曾乐)? */
function readsAs(readings: readonly (readonly string[])[], text: string): boolean {
  let offsets = new Set<number>([0]);
  for (const rs of readings) {
    const next = new Set<number>();
    for (const o of offsets) for (const r of rs) if (text.startsWith(r, o)) next.add(o + r.length);
    if (next.size === 0) return false;
    offsets = next;
  }
  return offsets.has(text.length);
}

function compareHan(a: NameForm, b: NameForm): number {
  const la = a.chars.length;
  const lb = b.chars.length;
  if (la === lb) {
    let mismatches = 0;
    let bad = -1;
    for (let i = 0; i < la; i++) {
      if (a.chars[i] === b.chars[i] || intersects(a.readings[i]!, b.readings[i]!)) continue;
      mismatches++;
      bad = i;
    }
    if (mismatches === 0) return NAME_PHONETIC;
    if (mismatches === 1 && intersects(a.folded[bad]!, b.folded[bad]!)) return NAME_CLOSE;
    return mismatches < la ? NAME_PARTIAL : NAME_DIFFERENT;
  }
  // Different lengths: a dropped or added character (明 / 小明) or a shared character.
  for (const ch of a.chars) if (b.chars.includes(ch)) return NAME_PARTIAL;
  return NAME_DIFFERENT;
}

function compareLatin(a: string, b: string): number {
  const d = editDistance(a, b, 2);
  if (d <= 1 && Math.min(a.length, b.length) >= 2) return NAME_PHONETIC;
  if (d <= 2 && Math.min(a.length, b.length) >= 5) return NAME_CLOSE;
  const jw = jaroWinkler(a, b);
  if (jw >= 0.9) return NAME_CLOSE;
  if (jw >= 0.8 || (a.length > 0 && b.length > 0 && (a.startsWith(b) || b.startsWith(a)))) return NAME_PARTIAL;
  return NAME_DIFFERENT;
}

function compareCrossScript(han: NameForm, latin: NameForm): number {
  if (readsAs(han.readings, latin.text)) return NAME_PHONETIC;
  if (readsAs(han.folded, latin.text) || withinOneEdit(han.key, latin.text)) return NAME_CLOSE;
  return NAME_DIFFERENT;
}

/** Compares two name parts on the given-name scale (exact, phonetic, close, partial, different). */
export function compareNameParts(a: NameForm, b: NameForm): number {
  if (a.text === b.text) return a.text.length > 0 ? NAME_EXACT : -1;
  if (a.text.length === 0 || b.text.length === 0) return -1;
  if (a.han && b.han) return compareHan(a, b);
  if (!a.han && !b.han) return compareLatin(a.text, b.text);
  return a.han ? compareCrossScript(a, b) : compareCrossScript(b, a);
}

/** Surname scale: partial counts as different (surnames are one or two characters). */
function toSurnameLevel(level: number): number {
  return level === NAME_PARTIAL ? 3 : level === NAME_DIFFERENT ? 3 : level;
}

/**
 * Name levels for surname and given name, trying the swapped order (family ↔ given) when the direct comparison
 * fails on both parts (common in Latin-script registers).
 */
export function compareNames(a: PreparedRecord, b: PreparedRecord, out: Int8Array): void {
  const sa = a.surname;
  const sb = b.surname;
  const ga = a.given;
  const gb = b.given;
  let s = sa && sb ? compareNameParts(sa, sb) : -1;
  let g = ga && gb ? compareNameParts(ga, gb) : -1;
  if ((s === -1 || s >= NAME_PARTIAL) && (g === -1 || g >= NAME_PARTIAL) && sa && sb && ga && gb) {
    const s2 = compareNameParts(sa, gb);
    const g2 = compareNameParts(ga, sb);
    if (s2 >= 0 && s2 <= NAME_CLOSE && g2 >= 0 && g2 <= NAME_CLOSE) {
      s = s2;
      g = g2;
    }
  }
  out[F.surname] = s < 0 ? -1 : toSurnameLevel(s);
  out[F.givenName] = g;
}

/** Birth dates as 8-digit strings: exact, day/month swapped, one digit off (or two adjacent swapped), same year. */
export function compareBirth(a: string, b: string): number {
  if (a === b) return BIRTH_EXACT;
  if (a.length !== 8 || b.length !== 8) return BIRTH_DIFFERENT;
  let diff = 0;
  let first = -1;
  for (let i = 0; i < 8; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) {
      if (diff === 0) first = i;
      diff++;
    }
  }
  const sameYear = first >= 4;
  if (
    sameYear &&
    a.charCodeAt(4) === b.charCodeAt(6) &&
    a.charCodeAt(5) === b.charCodeAt(7) &&
    a.charCodeAt(6) === b.charCodeAt(4) &&
    a.charCodeAt(7) === b.charCodeAt(5)
  ) {
    return BIRTH_SWAPPED;
  }
  if (diff === 1) return BIRTH_CLOSE;
  if (diff === 2 && first < 7 && a.charCodeAt(first) === b.charCodeAt(first + 1) && a.charCodeAt(first + 1) === b.charCodeAt(first)) {
    return BIRTH_CLOSE;
  }
  return sameYear ? BIRTH_YEAR : BIRTH_DIFFERENT;
}

export function compareId(a: string, b: string, aValid: boolean, bValid: boolean): number {
  if (a === b) return ID_EXACT;
  if (withinOneEdit(a, b)) return ID_TYPO;
  return aValid && bValid ? ID_DIFFERENT_VALID : ID_DIFFERENT;
}

export function comparePhone(a: string, b: string): number {
  if (a === b) return PHONE_EXACT;
  // Local numbers written with and without the area code (023-xxxxxxxx).
  if (a.length !== b.length && (a.endsWith(b) || b.endsWith(a)) && Math.min(a.length, b.length) >= 7) return 0;
  if (Math.min(a.length, b.length) >= 7 && withinOneEdit(a, b)) return 1;
  return 2;
}

function tokenEqual(a: string, b: string): boolean {
  if (a === b) return true;
  const min = Math.min(a.length, b.length);
  if (min >= 4 && (a.endsWith(b) || b.endsWith(a))) return true;
  return min >= 4 && withinOneEdit(a, b);
}

/** Fraction of tokens of the longer list matched (each token at most once) by a token of the other. */
function tokenOverlap(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let used = 0; // bit mask over the first 30 tokens of b
  let matched = 0;
  const lb = Math.min(b.length, 30);
  for (const x of a) {
    for (let j = 0; j < lb; j++) {
      if ((used & (1 << j)) === 0 && tokenEqual(x, b[j]!)) {
        used |= 1 << j;
        matched++;
        break;
      }
    }
  }
  return matched / Math.max(a.length, b.length);
}

/**
 * Addresses. Chinese: town (镇/乡/街道) and village (村/社区) decide — same village = high, same town = partial,
 * everything equal = exact. Latin: word overlap.
 */
export function compareAddress(a: AddressForm, b: AddressForm): number {
  if (a.han !== b.han) return -1;
  if (a.han) {
    const town = a.town && b.town ? tokenEqual(a.town, b.town) : null;
    const village = a.village && b.village ? tokenEqual(a.village, b.village) : null;
    const detail = tokenOverlap(a.detail, b.detail);
    const sameDetail = detail === 1 || (a.detail.length === 0 && b.detail.length === 0);
    if (town !== false && village === true) return sameDetail ? ADDRESS_EXACT : ADDRESS_HIGH;
    if (town === true && village === null) {
      if (a.village === null && b.village === null && detail >= 0.5) return sameDetail ? ADDRESS_EXACT : ADDRESS_HIGH;
      return ADDRESS_PARTIAL;
    }
    if (town === true) return ADDRESS_PARTIAL;
    if (town === null && village === null) {
      if (detail >= 0.99) return ADDRESS_HIGH;
      return detail >= 0.5 ? ADDRESS_PARTIAL : ADDRESS_DIFFERENT;
    }
    return ADDRESS_DIFFERENT;
  }
  const overlap = tokenOverlap(a.detail, b.detail);
  if (overlap >= 0.999 && a.detail.length === b.detail.length) return ADDRESS_EXACT;
  if (overlap >= 0.6) return ADDRESS_HIGH;
  if (overlap >= 0.3) return ADDRESS_PARTIAL;
  return ADDRESS_DIFFERENT;
}

/** Fills `out` (length FEATURE_COUNT) with the level of every feature for the pair. */
export function compareRecords(a: PreparedRecord, b: PreparedRecord, out: Int8Array): void {
  compareNames(a, b, out);
  out[F.birthDate] = a.birth && b.birth ? compareBirth(a.birth, b.birth) : -1;
  out[F.sex] = a.sex && b.sex ? (a.sex === b.sex ? 0 : 1) : -1;
  out[F.idNumber] = a.idNumber && b.idNumber ? compareId(a.idNumber, b.idNumber, a.idValid, b.idValid) : -1;
  out[F.phone] = a.phone && b.phone ? comparePhone(a.phone, b.phone) : -1;
  out[F.address] = a.address && b.address ? compareAddress(a.address, b.address) : -1;
}
