/**
 * Resident ID numbers (居民身份证号码, GB 11643-1999) and display masking.
 *
 * An 18-character number is: 6-digit region code (GB/T 2260) + birth date YYYYMMDD + 3-digit sequence (odd = male,
 * even = female) + check character (ISO 7064 MOD 11-2: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 on the first 17
 * digits, r = sum mod 11, check = "10X98765432"[r]). Legacy 15-digit numbers (issued until 1999) have a 2-digit year and
 * no check character; they convert to 18 characters by inserting "19" after the region code and appending the check.
 *
 * Only the province prefix of the region code is checked: county codes are renumbered over time (南川 was a Sichuan
 * county before 1997) and a number keeps its original code for life, so a current code list would reject real people.
 *
 * Dates are compared in China Standard Time (UTC+8, no daylight saving); pass `today` to make results reproducible.
 */

/** Province-level prefixes of GB/T 2260 that appear on resident ID numbers (incl. 71 台湾, 81 香港, 82 澳门). */
export const PROVINCE_PREFIXES: ReadonlySet<string> = new Set([
  ...range(11, 15),
  ...range(21, 23),
  ...range(31, 37),
  ...range(41, 46),
  ...range(50, 54),
  ...range(61, 65),
  '71',
  '81',
  '82',
]);

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARACTERS = '10X98765432';
/** Nobody alive when ID numbers were introduced (1984) was born before this year. */
export const MIN_BIRTH_YEAR = 1850;

export type IdNumberErrorCode =
  'empty' | 'bad-length' | 'bad-format' | 'bad-check-character' | 'unknown-region' | 'impossible-date' | 'future-date';

export interface IdNumberProblem {
  code: IdNumberErrorCode;
  /** English message for logs and API errors. */
  message: string;
  /** Chinese message for the user interface. */
  messageZh: string;
}

export interface ValidIdNumber {
  valid: true;
  /** Normalised 18-character number (upper-case X; legacy numbers converted). */
  idNumber: string;
  /** The input as given (trimmed). */
  input: string;
  /** True when the input was a legacy 15-digit number. */
  legacy: boolean;
  /** True when the input differed from `idNumber` (lower-case x, full-width digits, spaces, 15 digits). */
  normalised: boolean;
  regionCode: string;
  provinceCode: string;
  /** YYYY-MM-DD */
  birthDate: string;
  sex: 'male' | 'female';
  /** The 3-digit sequence code. */
  sequence: string;
}

export interface InvalidIdNumber extends IdNumberProblem {
  valid: false;
  input: string;
  /** Every failed check, the first one repeated in `code`/`message`. */
  problems: IdNumberProblem[];
}

export type IdNumberResult = ValidIdNumber | InvalidIdNumber;

export interface IdNumberOptions {
  /** Reference date for the future-date check: a Date (taken in UTC+8) or 'YYYY-MM-DD'. Default: now. */
  today?: Date | string;
  /** Accept legacy 15-digit numbers (converted to 18). Default true. */
  allowLegacy?: boolean;
  /** Override the province prefix list (e.g. from a versioned table). */
  provincePrefixes?: ReadonlySet<string>;
}

const MESSAGES: Record<IdNumberErrorCode, [string, string]> = {
  empty: ['ID number is empty', '身份证号为空'],
  'bad-length': ['ID number must have 18 characters (or 15 digits for a legacy number)', '身份证号应为18位（旧证15位）'],
  'bad-format': ['ID number must be digits, with X allowed only as the last character', '身份证号只能由数字组成，最后一位可为X'],
  'bad-check-character': ['check character does not match (probably a typing error)', '身份证号校验位错误（可能输入有误）'],
  'unknown-region': ['region code does not start with a known province code', '身份证号地区码的省级代码无效'],
  'impossible-date': ['birth date in the ID number does not exist', '身份证号中的出生日期无效'],
  'future-date': ['birth date in the ID number is in the future', '身份证号中的出生日期晚于当前日期'],
};

function problem(code: IdNumberErrorCode, detail?: string): IdNumberProblem {
  const [message, messageZh] = MESSAGES[code];
  return { code, message: detail ? `${message}: ${detail}` : message, messageZh };
}

/** Trims, removes spaces and hyphens, maps full-width digits/X to ASCII and lower-case x to X. */
export function normaliseIdNumberInput(input: string): string {
  return input
    .replace(/[\s\u3000-]+/g, '')
    .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xff10 + 0x30))
    .replace(/[xｘＸ]/g, 'X');
}

/** Check character for the first 17 digits of an 18-character number. */
export function computeCheckCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error(`computeCheckCharacter needs 17 digits, got '${first17}'`);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARACTERS[sum % 11]!;
}

/** Converts a legacy 15-digit number to 18 characters (no other validation). */
export function convertLegacyIdNumber(id15: string): string {
  const s = normaliseIdNumberInput(id15);
  if (!/^\d{15}$/.test(s)) throw new Error(`a legacy ID number has 15 digits, got '${id15}'`);
  const first17 = s.slice(0, 6) + '19' + s.slice(6);
  return first17 + computeCheckCharacter(first17);
}

/** 'YYYY-MM-DD' of a date in China Standard Time (UTC+8). */
export function chinaDate(date: Date = new Date()): string {
  return new Date(date.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

function todayString(today: Date | string | undefined): string {
  if (today === undefined) return chinaDate();
  if (typeof today === 'string') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new Error(`today must be YYYY-MM-DD, got '${today}'`);
    return today;
  }
  return chinaDate(today);
}

/** True when year-month-day is a real Gregorian date. */
export function isRealDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

/**
 * Validates a resident ID number; accepts lower-case x and legacy 15-digit numbers and returns the normalised
 * 18-character number with the derived birth date and sex.
 */
export function validateIdNumber(input: string, options: IdNumberOptions = {}): IdNumberResult {
  const raw = (input ?? '').trim();
  const fail = (problems: IdNumberProblem[]): InvalidIdNumber => ({ valid: false, input: raw, ...problems[0]!, problems });
  const s = normaliseIdNumberInput(raw);
  if (s.length === 0) return fail([problem('empty')]);
  const allowLegacy = options.allowLegacy ?? true;
  if (s.length !== 18 && !(allowLegacy && s.length === 15)) {
    return fail([problem('bad-length', `got ${s.length} characters`)]);
  }
  const legacy = s.length === 15;
  if (legacy ? !/^\d{15}$/.test(s) : !/^\d{17}[\dX]$/.test(s)) return fail([problem('bad-format')]);

  const problems: IdNumberProblem[] = [];
  const first17 = legacy ? s.slice(0, 6) + '19' + s.slice(6) : s.slice(0, 17);
  const check = computeCheckCharacter(first17);
  if (!legacy && s[17] !== check) problems.push(problem('bad-check-character', `expected ${check}, got ${s[17]}`));

  const prefixes = options.provincePrefixes ?? PROVINCE_PREFIXES;
  const provinceCode = first17.slice(0, 2);
  if (!prefixes.has(provinceCode)) problems.push(problem('unknown-region', `province code ${provinceCode}`));

  const year = Number(first17.slice(6, 10));
  const month = Number(first17.slice(10, 12));
  const day = Number(first17.slice(12, 14));
  const birthDate = `${first17.slice(6, 10)}-${first17.slice(10, 12)}-${first17.slice(12, 14)}`;
  if (!isRealDate(year, month, day) || year < MIN_BIRTH_YEAR) {
    problems.push(problem('impossible-date', birthDate));
  } else if (birthDate > todayString(options.today)) {
    problems.push(problem('future-date', birthDate));
  }
  if (problems.length > 0) return fail(problems);

  const idNumber = first17 + check;
  return {
    valid: true,
    idNumber,
    input: raw,
    legacy,
    normalised: idNumber !== raw,
    regionCode: first17.slice(0, 6),
    provinceCode,
    birthDate,
    sex: Number(first17[16]) % 2 === 1 ? 'male' : 'female',
    sequence: first17.slice(14, 17),
  };
}

/**
 * Fast path for bulk matching: for a plain 18-character (or legacy 15-digit) number returns the normalised number,
 * YYYYMMDD and sex when valid (no future-date check), `undefined` when the input needs the full validation to decide,
 * and null when it is invalid.
 */
export function quickIdNumber(
  input: string,
  prefixes: ReadonlySet<string> = PROVINCE_PREFIXES,
): { idNumber: string; birth: string; sex: 1 | 2 } | null | undefined {
  let first17: string;
  if (input.length === 18) {
    for (let i = 0; i < 17; i++) {
      const c = input.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
    }
    const last = input.charCodeAt(17);
    if (!((last >= 48 && last <= 57) || last === 88 || last === 120)) return undefined;
    first17 = input.slice(0, 17);
    const check = computeCheckCharacter(first17);
    if (check !== (last === 120 ? 'X' : input[17])) return null;
  } else if (input.length === 15) {
    for (let i = 0; i < 15; i++) {
      const c = input.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
    }
    first17 = input.slice(0, 6) + '19' + input.slice(6);
  } else {
    return undefined;
  }
  if (!prefixes.has(first17.slice(0, 2))) return null;
  const year = Number(first17.slice(6, 10));
  if (year < MIN_BIRTH_YEAR || !isRealDate(year, Number(first17.slice(10, 12)), Number(first17.slice(12, 14)))) return null;
  const idNumber = input.length === 18 && input.charCodeAt(17) !== 120 ? input : first17 + computeCheckCharacter(first17);
  return { idNumber, birth: first17.slice(6, 14), sex: (first17.charCodeAt(16) - 48) % 2 === 1 ? 1 : 2 };
}

export function isValidIdNumber(input: string, options?: IdNumberOptions): boolean {
  return validateIdNumber(input, options).valid;
}

/**
 * Best-effort normal form for comparison and indexing: the validated 18-character number when valid, otherwise the
 * cleaned input (legacy numbers converted when they have 15 digits), or null when nothing is left.
 */
export function normaliseIdNumber(input: string | undefined | null, options?: IdNumberOptions): string | null {
  if (!input) return null;
  const result = validateIdNumber(input, options);
  if (result.valid) return result.idNumber;
  const s = normaliseIdNumberInput(input).toUpperCase();
  if (/^\d{15}$/.test(s)) return convertLegacyIdNumber(s);
  return s.length > 0 ? s : null;
}

/**
 * True for filler values entered when the real number is unknown: one digit repeated (000000000000000000,
 * 111111111111111111), ascending runs (123456789…), or fewer than 6 digits.
 */
export function isPlaceholderIdNumber(input: string): boolean {
  const s = normaliseIdNumberInput(input).toUpperCase();
  const digits = s.replace(/\D/g, '');
  if (digits.length < 6) return true;
  if (/^(\d)\1+X?$/.test(s)) return true;
  if (/(\d)\1{9,}/.test(s)) return true;
  return s.startsWith('123456789') || s.startsWith('12345678901');
}

/** Completed years of age on `onDate` (both YYYY-MM-DD). */
export function ageOn(birthDate: string, onDate: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = onDate.split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

function maskMiddle(s: string, keepStart: number, keepEnd: number): string {
  const chars = [...s];
  if (chars.length <= keepStart + keepEnd) {
    // Too short to show both ends: keep at most the last quarter.
    const keep = Math.floor(chars.length / 4);
    return '*'.repeat(chars.length - keep) + chars.slice(chars.length - keep).join('');
  }
  return chars.slice(0, keepStart).join('') + '*'.repeat(chars.length - keepStart - keepEnd) + chars.slice(chars.length - keepEnd).join('');
}

/** `500119198001011234` → `5001**********1234`: keeps the first 4 and last 4 characters. */
export function maskIdNumber(idNumber: string): string {
  return maskMiddle(normaliseIdNumberInput(idNumber), 4, 4);
}

/**
 * Masks a phone number for display: mobile `13812345678` → `138****5678`, with a country code
 * `+86 138****5678`, landline `023-71641234` → `023-****1234`. The last 4 digits are shown; separators inside the
 * number are dropped so they do not reveal its grouping.
 */
export function maskPhone(phone: string): string {
  const trimmed = phone.trim();
  const m = /^(\+86[\s-]?|0086[\s-]?)?(.*)$/.exec(trimmed)!;
  const prefix = m[1] ?? '';
  const rest = m[2]!;
  const digits = rest.replace(/\D/g, '');
  if (digits.length === 0) return trimmed;
  // Landlines keep their area code and separator; mobiles their 3-digit network prefix.
  const area = /^(0\d{2,3})([\s-])/.exec(rest);
  let head = '';
  let body = digits;
  if (area) {
    head = area[1]! + area[2]!;
    body = digits.slice(area[1]!.length);
  } else if (/^1\d{10}$/.test(digits)) {
    head = digits.slice(0, 3);
    body = digits.slice(3);
  }
  const keep = Math.min(4, Math.max(0, body.length - 1));
  return prefix + head + '*'.repeat(body.length - keep) + body.slice(body.length - keep);
}

/** `张三` → `张*`, `欧阳娜娜` → `欧***`, `Li Lei` → `L*****`: keeps the first character only. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}

function range(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(String(i));
  return out;
}
