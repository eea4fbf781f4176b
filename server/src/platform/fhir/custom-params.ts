/**
 * Search parameters of our own, beside the R4 ones: declared as SearchParameter data (they appear in the
 * CapabilityStatement with their canonical URL) plus, where FHIRPath cannot compute the value, a derivation.
 *
 * name-pinyin (姓名拼音): village doctors type names on a phone keyboard in pinyin. The values are the
 * toneless pinyin of each name part, syllables run together (张秀英 → zhangxiuying) and their initials (zxy),
 * with the surname reading of a leading polyphone (单 → shan). Searched like any string parameter (prefix,
 * :exact), through the shared search_string index.
 */
import type { SearchParameter } from '@medplum/fhirtypes';
import { canonical, hasHan, surnameReading } from '../identity/matching/pinyin.js';

export interface CustomParam {
  definition: SearchParameter;
  /** Turns the strings FHIRPath found into the values to index (string parameters only). */
  derive?: (strings: string[]) => string[];
}

function pinyinForms(text: string): string[] {
  const chars = [...text.replace(/\s+/g, '')];
  if (!chars.length || !hasHan(text)) return [];
  const syllables = chars.map(canonical);
  const forms = [syllables.join(''), syllables.map((s) => s[0] ?? '').join('')];
  const surname = surnameReading(chars[0]!);
  if (surname !== syllables[0]) {
    const rest = syllables.slice(1);
    forms.push([surname, ...rest].join(''), [surname, ...rest].map((s) => s[0] ?? '').join(''));
  }
  return forms;
}

export const NAME_PINYIN: CustomParam = {
  definition: {
    resourceType: 'SearchParameter',
    url: 'https://yiwang.cn/fhir/SearchParameter/name-pinyin',
    name: 'name-pinyin',
    status: 'active',
    description: 'Toneless pinyin of the name (full, syllables run together, and initials), for typing on a Latin keyboard',
    code: 'name-pinyin',
    base: ['Patient', 'Practitioner'],
    type: 'string',
    expression: 'Patient.name | Practitioner.name',
  },
  derive: (strings) => [...new Set(strings.flatMap(pinyinForms))],
};

/**
 * Flag status and category (R4 defines neither as a search parameter): open alerts such as critical values (危急值) are
 * then a plain search, `Flag?status=active&category=critical-value` (docs/critical-values.md; columns: migration 0012).
 */
export const FLAG_STATUS: CustomParam = {
  definition: {
    resourceType: 'SearchParameter',
    url: 'https://yiwang.cn/fhir/SearchParameter/flag-status',
    name: 'status',
    status: 'active',
    description: 'Flag.status: active | inactive | entered-in-error',
    code: 'status',
    base: ['Flag'],
    type: 'token',
    expression: 'Flag.status',
  },
};

export const FLAG_CATEGORY: CustomParam = {
  definition: {
    resourceType: 'SearchParameter',
    url: 'https://yiwang.cn/fhir/SearchParameter/flag-category',
    name: 'category',
    status: 'active',
    description: 'Flag.category (e.g. urn:yiwang:flag-category|critical-value)',
    code: 'category',
    base: ['Flag'],
    type: 'token',
    expression: 'Flag.category',
  },
};

export const CUSTOM_PARAMS: CustomParam[] = [NAME_PINYIN, FLAG_STATUS, FLAG_CATEGORY];
