/**
 * Toneless pinyin readings of Chinese characters (pinyin-pro), cached per character.
 *
 * `readings(ch)` gives every reading of a 多音字 (e.g. 曾 → zeng, ceng; 乐 → le, yue, yao, lao), `canonical(ch)` the
 * most common one, `surnameReading(ch)` the reading used for family names (曾 → zeng, 单 → shan, 覃 → qin).
 * ü is written v (lü → lv), as in most pinyin input.
 */
import { pinyin } from 'pinyin-pro';

const HAN = /\p{Script=Han}/u;

const readingCache = new Map<string, string[]>();
const canonicalCache = new Map<string, string>();
const surnameCache = new Map<string, string>();

export function isHan(ch: string): boolean {
  return HAN.test(ch);
}

/** True when the string contains at least one Chinese character. */
export function hasHan(s: string): boolean {
  return HAN.test(s);
}

/** All toneless readings of one character (most common first); non-Han characters read as themselves. */
export function readings(ch: string): string[] {
  let r = readingCache.get(ch);
  if (r === undefined) {
    if (!isHan(ch)) {
      r = [ch.toLowerCase()];
    } else {
      const all = pinyin(ch, { toneType: 'none', type: 'array', multiple: true, v: true });
      const first = canonical(ch);
      r = [first, ...new Set(all.filter((x) => x && x !== first))];
    }
    readingCache.set(ch, r);
  }
  return r;
}

/** The most common toneless reading of one character. */
export function canonical(ch: string): string {
  let r = canonicalCache.get(ch);
  if (r === undefined) {
    r = isHan(ch) ? (pinyin(ch, { toneType: 'none', type: 'array', v: true })[0] ?? ch) : ch.toLowerCase();
    canonicalCache.set(ch, r);
  }
  return r;
}

/** Reading of a surname character (surname mode: 曾 zeng, 单 shan, 解 xie, 仇 qiu, 区 ou, 覃 qin). */
export function surnameReading(ch: string): string {
  let r = surnameCache.get(ch);
  if (r === undefined) {
    r = isHan(ch) ? (pinyin(ch, { toneType: 'none', type: 'array', mode: 'surname', v: true })[0] ?? ch) : ch.toLowerCase();
    surnameCache.set(ch, r);
  }
  return r;
}

/** Canonical pinyin of a string, syllables concatenated (non-Han characters kept, lower-cased). */
export function pinyinKey(s: string): string {
  let out = '';
  for (const ch of s) out += canonical(ch);
  return out;
}

/**
 * Folds syllables that speakers of south-western Mandarin (重庆/四川 dialects) and pinyin typists commonly confuse:
 * zh/z, ch/c, sh/s, n/l initials and -ng/-n finals (ing/in, eng/en, ang/an). Two readings with the same fold are
 * "close" rather than equal.
 */
export function foldSyllable(s: string): string {
  return s
    .replace(/^([zcs])h/, '$1')
    .replace(/^n(?!g)/, 'l')
    .replace(/(?<=[aei])ng$/, 'n');
}

const foldCache = new Map<string, string[]>();

/** Dialect-folded forms of every reading of a character. */
export function foldedReadings(ch: string): string[] {
  let r = foldCache.get(ch);
  if (r === undefined) {
    r = [...new Set(readings(ch).map(foldSyllable))];
    foldCache.set(ch, r);
  }
  return r;
}
