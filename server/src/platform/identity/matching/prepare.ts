/**
 * Input records for matching and their prepared (normalised, pre-computed) form.
 */
import { convertLegacyIdNumber, isPlaceholderIdNumber, normaliseIdNumberInput, quickIdNumber, validateIdNumber } from '../id-number.js';
import { canonical, foldSyllable, hasHan, isHan, readings, surnameReading } from './pinyin.js';
import { soundex } from './strings.js';

/** A person record as the resident index sees it (a FHIR Patient flattened to the matching fields). */
export interface PersonRecord {
  id: string;
  /** Full name; Chinese names are split into family and given name with the compound-surname list. */
  name?: string;
  familyName?: string;
  givenName?: string;
  /** 'YYYY-MM-DD', 'YYYYMMDD' or 'YYYY/MM/DD'. */
  birthDate?: string;
  sex?: 'male' | 'female' | 'unknown' | string;
  /** Resident ID number (GB 11643) or another national identifier (then it is compared as a plain string). */
  idNumber?: string;
  phone?: string;
  address?: string;
}

export interface NameForm {
  /** Normalised text: Chinese characters, or lower-case a–z for Latin names. */
  text: string;
  han: boolean;
  /** Characters (Han) or [text] (Latin). */
  chars: string[];
  /** Canonical toneless pinyin per character (Han) or [text] (Latin). */
  syllables: string[];
  /** Every reading per character (多音字), or [[text]]. */
  readings: string[][];
  /** Dialect-folded readings per character. */
  folded: string[][];
  /** Canonical pinyin joined (Han) or text (Latin). */
  key: string;
  /**
   * Blocking form: dialect-folded pinyin (Han: 玲 ling and 林 lin both give 'lin') or Soundex (Latin), so homophone,
   * 多音字 (canonical reading) and dialect errors land in the same block.
   */
  phonetic: string;
}

export interface AddressForm {
  han: boolean;
  /** Town / township / sub-district (镇, 乡, 街道), as a pinyin key. */
  town: string | null;
  /** Village or community (村, 社区, 居委会), as a pinyin key. */
  village: string | null;
  /** Remaining tokens (group, road, house number …; Latin: words), as keys. */
  detail: string[];
  /** Latin addresses: the postcode (last all-digit word of 4–6 digits), used as the place in blocking; Han: null. */
  postcode: string | null;
}

export interface PreparedRecord {
  id: string;
  surname: NameForm | null;
  given: NameForm | null;
  /** 8 digits YYYYMMDD as written (possibly not a real date), or null. */
  birth: string | null;
  /** 0 unknown, 1 male, 2 female. */
  sex: 0 | 1 | 2;
  /** Normalised identifier: valid resident ID numbers in 18-character form, others cleaned. */
  idNumber: string | null;
  /** True when `idNumber` is a valid GB 11643 number. */
  idValid: boolean;
  phone: string | null;
  address: AddressForm | null;
}

/** Two-character Chinese family names (复姓) that occur in the population registers. */
export const COMPOUND_SURNAMES: ReadonlySet<string> = new Set(
  (
    '欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 澹台 轩辕 端木 百里 呼延 南宫 西门 ' +
    '独孤 申屠 太史 闻人 东郭 公冶 濮阳 淳于 单于 赫连 钟离 宗政 万俟 拓跋 司空 第五 鲜于 闾丘 谷梁 左丘 梁丘'
  ).split(' '),
);

// Name forms are shared between records with the same name part (a few hundred thousand distinct values).
const surnameCache = new Map<string, NameForm>();
const givenCache = new Map<string, NameForm>();
const NAME_CACHE_LIMIT = 500_000;

function cacheName(cache: Map<string, NameForm>, key: string, make: () => NameForm): NameForm {
  let f = cache.get(key);
  if (f === undefined) {
    f = make();
    if (cache.size >= NAME_CACHE_LIMIT) cache.clear();
    cache.set(key, f);
  }
  return f;
}

function cleanHan(s: string): string {
  // Keep Han characters only (drops spaces, middle dots of minority names, punctuation).
  let out = '';
  for (const ch of s.normalize('NFKC')) if (isHan(ch)) out += ch;
  return out;
}

function cleanLatin(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/ü/g, 'v')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

/** Prepared form of one part of a name (family or given); `surname` selects surname readings for the first char. */
export function nameForm(part: string | undefined | null, surname = false): NameForm | null {
  if (!part) return null;
  return cacheName(surname ? surnameCache : givenCache, part, () => {
    if (hasHan(part)) {
      const text = cleanHan(part);
      const chars = [...text];
      const syllables = chars.map((ch, i) => (surname && i === 0 ? surnameReading(ch) : canonical(ch)));
      const rs = chars.map((ch, i) => {
        const r = readings(ch);
        return surname && i === 0 && r[0] !== syllables[0] ? [syllables[0]!, ...r.filter((x) => x !== syllables[0])] : r;
      });
      const key = syllables.join('');
      return {
        text,
        han: true,
        chars,
        syllables,
        readings: rs,
        folded: rs.map((r) => [...new Set(r.map(foldSyllable))]),
        key,
        phonetic: syllables.map(foldSyllable).join(''),
      };
    }
    const text = cleanLatin(part);
    return {
      text,
      han: false,
      chars: [text],
      syllables: [text],
      readings: [[text]],
      folded: [[text]],
      key: text,
      phonetic: soundex(text),
    };
  });
}

/**
 * Splits a full name into family and given name. Chinese: compound surname (欧阳) or first character. Latin:
 * "Family, Given" with a comma, otherwise the last word is the family name.
 */
export function splitName(name: string): { family: string; given: string } {
  const n = name.trim();
  if (hasHan(n)) {
    const han = cleanHan(n);
    const two = han.slice(0, 2);
    if (han.length > 2 && COMPOUND_SURNAMES.has(two)) return { family: two, given: han.slice(2) };
    return { family: han.slice(0, 1), given: han.slice(1) };
  }
  const comma = n.indexOf(',');
  if (comma >= 0) return { family: n.slice(0, comma).trim(), given: n.slice(comma + 1).trim() };
  const words = n.split(/\s+/).filter(Boolean);
  if (words.length <= 1) return { family: words[0] ?? '', given: '' };
  return { family: words[words.length - 1]!, given: words.slice(0, -1).join(' ') };
}

/** 8-digit YYYYMMDD from common date spellings, or null. Unreal dates (e.g. typos) are kept if they have 8 digits. */
export function normaliseBirthDate(s: string | undefined | null): string | null {
  if (!s) return null;
  const t = s.trim().normalize('NFKC');
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T\s].*)?$/.exec(t);
  if (m) return m[1]! + m[2]!.padStart(2, '0') + m[3]!.padStart(2, '0');
  m = /^(\d{8})$/.exec(t);
  if (m) return m[1]!;
  return null;
}

export function normaliseSex(s: string | undefined | null): 0 | 1 | 2 {
  if (!s) return 0;
  const t = s.trim().toLowerCase();
  if (t === 'male' || t === 'm' || t === '男' || t === '1') return 1;
  if (t === 'female' || t === 'f' || t === '女' || t === '2') return 2;
  return 0;
}

/** Digits of a phone number without a +86/0086 prefix (mobiles), or null when fewer than 7 digits remain. */
export function normalisePhone(s: string | undefined | null): string | null {
  if (!s) return null;
  let d = s.normalize('NFKC').replace(/\D/g, '');
  if (/^(0086|86)1\d{10}$/.test(d)) d = d.replace(/^(0086|86)/, '');
  return d.length >= 7 ? d : null;
}

// One Chinese character that cannot end an admin-division name of the level being parsed.
const H_ADMIN = '(?:(?![镇乡村组号街道社])[\\u4e00-\\u9fff])';
const H_TOWN = '(?:(?![村组号社])[\\u4e00-\\u9fff])';
const ADMIN_PREFIX = new RegExp(
  `^(?:${H_ADMIN}{2,7}?(?:省|自治区))?(?:${H_ADMIN}{2,7}?(?:市|自治州|地区|盟))?(?:${H_ADMIN}{1,7}?(?:区|县|旗))?`,
  'u',
);
const TOWN = new RegExp(`^(${H_TOWN}{1,8}?(?:街道办事处|街道|镇|乡))`, 'u');
const VILLAGE = /^([\u4e00-\u9fff]{1,8}?(?:村民委员会|居民委员会|居委会|社区|村))/u;
const DETAIL = /[\u4e00-\u9fff]+?(?:大道|路|街|巷|道|苑|小区|花园)|[\u4e00-\u9fff]*?\d+(?:单元|[\u4e00-\u9fff])?|[\u4e00-\u9fff]+/gu;
const CN_DIGITS: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** '十二组' → '12组': Chinese numerals before a group/house/building suffix become digits. */
function chineseNumerals(s: string): string {
  return s.replace(/([一二两三四五六七八九十]{1,3})(?=组|社|队|号|栋|幢|单元|楼)/gu, (n) => {
    const ten = n.indexOf('十');
    if (ten < 0) return n.length === 1 ? String(CN_DIGITS[n] ?? n) : n;
    const tens = ten === 0 ? 1 : (CN_DIGITS[n[0]!] ?? 1);
    const ones = ten === n.length - 1 ? 0 : (CN_DIGITS[n[n.length - 1]!] ?? 0);
    return String(tens * 10 + ones);
  });
}

const tokenKeys = new Map<string, string>();

/** Pinyin key of an address token, interned (tokens repeat across millions of addresses). */
function tokenKey(tok: string): string {
  let k = tokenKeys.get(tok);
  if (k === undefined) {
    k = '';
    for (const ch of tok) k += canonical(ch);
    if (tokenKeys.size > 500_000) tokenKeys.clear();
    tokenKeys.set(tok, k);
  }
  return k;
}

interface HanAddressHead {
  town: string | null;
  village: string | null;
  /** Han text after the village (road names …), parsed with the digits that follow. */
  rest: string;
}

// The part before the first digit ("重庆市南川区三泉镇马嘴村") repeats across a whole village: parse it once.
const headCache = new Map<string, HanAddressHead>();

function parseHead(head: string): HanAddressHead {
  let parsed = headCache.get(head);
  if (parsed) return parsed;
  let rest = head.replace(/^中国/, '').replace(ADMIN_PREFIX, '');
  let town: string | null = null;
  let village: string | null = null;
  let m = TOWN.exec(rest);
  if (m) {
    town = tokenKey(m[1]!.replace(/(街道办事处|街道|镇|乡)$/, ''));
    rest = rest.slice(m[1]!.length);
  }
  m = VILLAGE.exec(rest);
  if (m) {
    village = tokenKey(m[1]!.replace(/(村民委员会|居民委员会|居委会|社区|村)$/, ''));
    rest = rest.slice(m[1]!.length);
  }
  parsed = { town, village, rest };
  if (headCache.size > 200_000) headCache.clear();
  headCache.set(head, parsed);
  return parsed;
}

const NO_TOKENS: readonly string[] = [];

/** Parses an address into town, village and detail tokens (Chinese) or words (Latin). */
export function addressForm(address: string | undefined | null): AddressForm | null {
  if (!address) return null;
  const t = address.normalize('NFKC');
  if (hasHan(t)) {
    const compact = chineseNumerals(t.replace(/[\s,，、·()（）#-]+/g, ''));
    const firstDigit = compact.search(/\d/);
    const head = parseHead(firstDigit < 0 ? compact : compact.slice(0, firstDigit));
    const tail = head.rest + (firstDigit < 0 ? '' : compact.slice(firstDigit));
    const tokens = tail.match(DETAIL);
    const detail = tokens ? tokens.map(tokenKey).filter(Boolean) : (NO_TOKENS as string[]);
    return head.town || head.village || detail.length
      ? { han: true, town: head.town, village: head.village, detail, postcode: null }
      : null;
  }
  const words = t
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .map((w) => intern(w));
  let postcode: string | null = null;
  for (let i = words.length - 1; i >= 0 && postcode === null; i--) if (/^\d{4,6}$/.test(words[i]!)) postcode = words[i]!;
  return words.length ? { han: false, town: null, village: null, detail: words, postcode } : null;
}

const interned = new Map<string, string>();

/** Shares one string object for repeated short values (birth dates, address words) to save memory. */
function intern(s: string): string {
  const v = interned.get(s);
  if (v !== undefined) return v;
  if (interned.size > 1_000_000) interned.clear();
  interned.set(s, s);
  return s;
}

function internOrNull(s: string | null): string | null {
  return s === null ? null : intern(s);
}

/** Normalises a record for matching; birth date and sex fall back to those encoded in a valid ID number. */
export function prepareRecord(r: PersonRecord): PreparedRecord {
  let family = r.familyName?.trim() || undefined;
  let given = r.givenName?.trim() || undefined;
  if (!family && !given && r.name) {
    const s = splitName(r.name);
    family = s.family || undefined;
    given = s.given || undefined;
  }
  let idNumber: string | null = null;
  let idValid = false;
  let idBirth: string | null = null;
  let idSex: 0 | 1 | 2 = 0;
  if (r.idNumber) {
    const quick = quickIdNumber(r.idNumber);
    if (quick) {
      idNumber = quick.idNumber;
      idValid = true;
      idBirth = quick.birth;
      idSex = quick.sex;
    } else if (quick === undefined && r.idNumber.trim()) {
      const v = validateIdNumber(r.idNumber, { today: '9999-12-31' });
      if (v.valid) {
        idNumber = v.idNumber;
        idValid = true;
        idBirth = v.birthDate.replace(/-/g, '');
        idSex = v.sex === 'male' ? 1 : 2;
      }
    }
    if (!idValid && !isPlaceholderIdNumber(r.idNumber)) {
      // Invalid numbers are kept (a mistyped digit still matches as 'typo'); placeholders count as missing.
      const s = normaliseIdNumberInput(r.idNumber).toUpperCase();
      idNumber = /^\d{15}$/.test(s) ? convertLegacyIdNumber(s) : s || null;
    }
  }
  const sex = normaliseSex(r.sex);
  return {
    id: r.id,
    surname: nameForm(family, true),
    given: nameForm(given, false),
    birth: internOrNull(normaliseBirthDate(r.birthDate) ?? idBirth),
    sex: sex || idSex,
    idNumber,
    idValid,
    phone: normalisePhone(r.phone),
    address: addressForm(r.address),
  };
}
