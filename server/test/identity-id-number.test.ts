import { describe, expect, it } from 'vitest';
import {
  PROVINCE_PREFIXES,
  ageOn,
  chinaDate,
  computeCheckCharacter,
  convertLegacyIdNumber,
  isPlaceholderIdNumber,
  isValidIdNumber,
  maskIdNumber,
  maskName,
  maskPhone,
  normaliseIdNumber,
  quickIdNumber,
  validateIdNumber,
  type InvalidIdNumber,
  type ValidIdNumber,
} from '../src/platform/identity/id-number.js';

/** Independent implementation of the GB 11643 check (ISO 7064 MOD 11-2) for building test numbers. */
function check(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  return '10X98765432'[sum % 11]!;
}
const id = (first17: string) => first17 + check(first17);

function valid(input: string, today = '2024-06-30'): ValidIdNumber {
  const r = validateIdNumber(input, { today });
  if (!r.valid) throw new Error(`expected valid: ${input}: ${r.message}`);
  return r;
}
function invalid(input: string, today = '2024-06-30', allowLegacy = true): InvalidIdNumber {
  const r = validateIdNumber(input, { today, allowLegacy });
  if (r.valid) throw new Error(`expected invalid: ${input}`);
  return r;
}

describe('resident ID number (GB 11643)', () => {
  it('accepts the example from the domain rules and derives birth date and sex', () => {
    const r = valid('11010519491231002X');
    expect(r).toMatchObject({
      idNumber: '11010519491231002X',
      legacy: false,
      normalised: false,
      regionCode: '110105',
      provinceCode: '11',
      birthDate: '1949-12-31',
      sex: 'female',
      sequence: '002',
    });
  });

  it('computes the check character with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2', () => {
    expect(computeCheckCharacter('11010519491231002')).toBe('X');
    for (const first17 of ['50011919800101123', '50011920150229000', '81000019991231999', '65432119700707070']) {
      expect(computeCheckCharacter(first17)).toBe(check(first17));
    }
    expect(() => computeCheckCharacter('1234')).toThrow();
  });

  it('accepts lower-case x, spaces and full-width digits, and normalises them', () => {
    const r = valid(' 11010519491231002x ');
    expect(r.idNumber).toBe('11010519491231002X');
    expect(r.normalised).toBe(true);
    expect(valid('１１０１０５１９４９１２３１００２Ｘ').idNumber).toBe('11010519491231002X');
    expect(valid('110105 1949 1231 002x').idNumber).toBe('11010519491231002X');
  });

  it('odd sequence digit = male, even = female', () => {
    expect(valid(id('50011919800101123')).sex).toBe('male');
    expect(valid(id('50011919800101124')).sex).toBe('female');
  });

  it('reports length and format errors', () => {
    expect(invalid('').code).toBe('empty');
    expect(invalid('1101051949123100').code).toBe('bad-length');
    expect(invalid('1101051949123100212').code).toBe('bad-length');
    expect(invalid('11010519491231X02X').code).toBe('bad-format');
    expect(invalid('11010549123100X').code).toBe('bad-format');
    expect(invalid('110105491231002', '2024-06-30', false).code).toBe('bad-length');
  });

  it('reports a wrong check character as a probable typing error', () => {
    const r = invalid('110105194912310021');
    expect(r.code).toBe('bad-check-character');
    expect(r.message).toMatch(/expected X, got 1/);
    expect(r.messageZh).toBe('身份证号校验位错误（可能输入有误）');
    // A single mistyped digit is always caught by the check character.
    const good = id('50011919800101123');
    for (let i = 0; i < 17; i++) {
      const d = String((Number(good[i]) + 1) % 10);
      expect(isValidIdNumber(good.slice(0, i) + d + good.slice(i + 1), { today: '2024-06-30' })).toBe(false);
    }
  });

  it('accepts exactly the listed province prefixes', () => {
    const listed = ['11', '15', '21', '23', '31', '37', '41', '46', '50', '54', '61', '65', '71', '81', '82'];
    for (const p of listed) {
      expect(PROVINCE_PREFIXES.has(p)).toBe(true);
      expect(valid(id(`${p}010119800101123`)).provinceCode).toBe(p);
    }
    for (const p of ['10', '16', '20', '24', '30', '38', '40', '47', '55', '60', '66', '70', '72', '80', '83', '91', '00']) {
      expect(PROVINCE_PREFIXES.has(p)).toBe(false);
      const r = invalid(id(`${p}010119800101123`));
      expect(r.code).toBe('unknown-region');
      expect(r.messageZh).toMatch(/省级代码/);
    }
    expect(PROVINCE_PREFIXES.size).toBe(34);
  });

  it('rejects impossible dates, including 29 February outside leap years', () => {
    for (const date of ['19990230', '20230229', '19001301', '19800001', '19800100', '19800431', '18000101', '21000229']) {
      expect(invalid(id(`500119${date}123`), '2200-01-01').code).toBe('impossible-date');
    }
    expect(valid(id('50011920000229123')).birthDate).toBe('2000-02-29');
    expect(valid(id('50011920240229123')).birthDate).toBe('2024-02-29');
  });

  describe('dated scenarios (today in China Standard Time)', () => {
    const bornJuly1 = id('50011920240701123');

    it('a birth date after today is a future date; on the day it becomes valid', () => {
      expect(invalid(bornJuly1, '2024-06-30').code).toBe('future-date');
      expect(valid(bornJuly1, '2024-07-01').birthDate).toBe('2024-07-01');
      expect(valid(bornJuly1, '2025-01-01').sex).toBe('male');
    });

    it('uses UTC+8 for Date arguments: 16:30 UTC on 30 June is already 1 July in 南川', () => {
      expect(validateIdNumber(bornJuly1, { today: new Date('2024-06-30T15:59:00Z') }).valid).toBe(false);
      expect(validateIdNumber(bornJuly1, { today: new Date('2024-06-30T16:30:00Z') }).valid).toBe(true);
      expect(chinaDate(new Date('2024-12-31T16:00:00Z'))).toBe('2025-01-01');
    });

    it('rejects a malformed today', () => {
      expect(() => validateIdNumber(bornJuly1, { today: '2024/07/01' })).toThrow(/YYYY-MM-DD/);
    });

    it('computes completed years of age', () => {
      expect(ageOn('1949-12-31', '2024-12-30')).toBe(74);
      expect(ageOn('1949-12-31', '2024-12-31')).toBe(75);
      expect(ageOn('2000-02-29', '2024-02-28')).toBe(23);
    });
  });

  it('lists every failed check, the first one as the code', () => {
    const r = invalid('990101203002301231', '2024-06-30');
    expect(r.problems.map((p) => p.code)).toEqual(['bad-check-character', 'unknown-region', 'impossible-date']);
    expect(r.code).toBe('bad-check-character');
  });

  describe('legacy 15-digit numbers', () => {
    it('insert 19 after the region code and compute the check character', () => {
      expect(convertLegacyIdNumber('110105491231002')).toBe('11010519491231002X');
      const r = valid('110105491231002');
      expect(r).toMatchObject({ idNumber: '11010519491231002X', legacy: true, normalised: true, birthDate: '1949-12-31' });
      expect(() => convertLegacyIdNumber('11010549123100')).toThrow();
    });

    it('still check region and date', () => {
      expect(invalid('990105491231002').code).toBe('unknown-region');
      expect(invalid('500119490230123').code).toBe('impossible-date');
    });
  });

  it('normalises for comparison: valid → 18 characters, invalid kept, legacy converted', () => {
    expect(normaliseIdNumber('11010519491231002x')).toBe('11010519491231002X');
    expect(normaliseIdNumber('110105491231002')).toBe('11010519491231002X');
    expect(normaliseIdNumber('110105194912310021')).toBe('110105194912310021');
    expect(normaliseIdNumber('')).toBeNull();
    expect(normaliseIdNumber(undefined)).toBeNull();
  });

  it('the bulk fast path agrees with the full validation', () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let k = 0; k < 3000; k++) {
      const first17 = `${['50', '11', '99', '51', '82'][Math.floor(rnd() * 5)]}0119${1900 + Math.floor(rnd() * 130)}${String(1 + Math.floor(rnd() * 13)).padStart(2, '0')}${String(1 + Math.floor(rnd() * 31)).padStart(2, '0')}${String(Math.floor(rnd() * 1000)).padStart(3, '0')}`;
      const last = rnd() < 0.7 ? check(first17) : '0123456789Xx'[Math.floor(rnd() * 12)]!;
      const candidate = rnd() < 0.1 ? first17.slice(0, 6) + first17.slice(8) : first17 + last;
      const full = validateIdNumber(candidate, { today: '9999-12-31' });
      const quick = quickIdNumber(candidate);
      expect(quick === null ? false : quick === undefined ? full.valid : true).toBe(full.valid);
      if (quick && full.valid) expect(quick.idNumber).toBe(full.idNumber);
    }
  });

  it('recognises placeholder numbers', () => {
    expect(isPlaceholderIdNumber('000000000000000000')).toBe(true);
    expect(isPlaceholderIdNumber('111111111111111111')).toBe(true);
    expect(isPlaceholderIdNumber('123456789012345678')).toBe(true);
    expect(isPlaceholderIdNumber('无')).toBe(true);
    expect(isPlaceholderIdNumber('11010519491231002X')).toBe(false);
  });
});

describe('masking for display', () => {
  it('keeps the first and last four characters of an ID number', () => {
    expect(maskIdNumber('500119198001011234')).toBe('5001**********1234');
    expect(maskIdNumber('11010519491231002x')).toBe('1101**********002X');
    expect(maskIdNumber('110105491231002')).toBe('1101*******1002');
    expect(maskIdNumber('1234567')).toBe('******7');
  });

  it('masks mobile and landline numbers, keeping prefix and last four digits', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('+86 138 1234 5678')).toBe('+86 138****5678');
    expect(maskPhone('023-71641234')).toBe('023-****1234');
    expect(maskPhone('71641234')).toBe('****1234');
    expect(maskPhone('')).toBe('');
  });

  it('masks names after the first character', () => {
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳娜娜')).toBe('欧***');
    expect(maskName('')).toBe('');
  });
});
