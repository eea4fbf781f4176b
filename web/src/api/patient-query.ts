/** What the resident search box sends: the FHIR search parameters for what was typed, pasted or scanned. */
import { EHEALTH_CARD_SYSTEM, ID_NUMBER_SYSTEM } from './fhir';

export type Mode = 'auto' | 'name' | 'id' | 'card' | 'phone';

/** The FHIR search parameters for what was typed. */
export function patientQuery(text: string, mode: Mode, pinyin: boolean): Record<string, string> {
  const v = text.trim();
  const m: Exclude<Mode, 'auto'> =
    mode !== 'auto'
      ? mode
      : /^\d{17}[\dXx]$/.test(v)
        ? 'id'
        : /^1\d{10}$/.test(v)
          ? 'phone'
          : /[\u4e00-\u9fff]/.test(v) || /^[A-Za-z\s]+$/.test(v)
            ? 'name'
            : 'card';
  if (m === 'id') return { identifier: `${ID_NUMBER_SYSTEM}|${v.toUpperCase()}` };
  if (m === 'phone') return { phone: v };
  if (m === 'card') return { identifier: `${EHEALTH_CARD_SYSTEM}|${v}` };
  if (/^[A-Za-z\s]+$/.test(v) && pinyin) return { 'name-pinyin': v.replace(/\s+/g, '').toLowerCase() };
  return { name: v };
}
