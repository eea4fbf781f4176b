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
  /** Turns the strings FHIRPath found into the values to index. */
  derive: (strings: string[]) => string[];
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

export const CUSTOM_PARAMS: CustomParam[] = [NAME_PINYIN];
