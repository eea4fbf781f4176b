/**
 * Read-back (复述确认): the doctor repeats the critical value as heard, and it is checked against the result.
 * A measurement is read back as a number that equals the value rounded to the precision read back (7.1 → "7.1",
 * "7.10" or "7"), together with its unit (any spelling that means the same unit, or a convertible one) or the item's
 * name; a coded finding is read back by its name or an alias.
 */
import type { CriticalFinding } from './evaluate.js';
import { quantityUnit } from './evaluate.js';
import { unitText, type MeasurementItem } from './catalogue.js';
import { convert, parseUnit } from './units.js';

export type ReadBackCheck = { ok: true } | { ok: false; message: string };

const NUMBER = /[+-]?\d+(?:\.\d+)?/;

const mentions = (text: string, words: readonly string[]): boolean => {
  const lower = text.toLowerCase();
  return words.some((w) => {
    const word = w.toLowerCase();
    // Latin names and symbols must stand alone ('K' is not the k of 'mmol/kg'); Chinese ones are substrings.
    if (/^[a-z0-9+]+$/i.test(word)) return new RegExp(`(^|[^a-z])${word.replace(/\+/g, '\\+')}($|[^a-z])`, 'i').test(lower);
    return lower.includes(word);
  });
};

function namesOf(finding: CriticalFinding): string[] {
  return [finding.item.name, finding.item.nameEn, finding.item.id, ...(finding.item.aliases ?? [])];
}

export function checkReadBack(finding: CriticalFinding, readBack: string): ReadBackCheck {
  const text = readBack.trim();
  if (!text) return { ok: false, message: 'readBack is empty: repeat the value and unit as heard (请复述危急值及单位)' };
  if (finding.kind === 'finding') {
    if (mentions(text, namesOf(finding))) return { ok: true };
    return {
      ok: false,
      message: `Read-back does not name the finding ${finding.item.nameEn} (${finding.item.name}) (复述内容与危急值不符)`,
    };
  }
  const q = finding.value!;
  const item = finding.item as MeasurementItem;
  const reportedUnit = quantityUnit(q) ?? item.unit;
  const m = NUMBER.exec(text.replace(/，/g, ',').replace(/,(?=\d{3}\b)/g, ''));
  if (!m) return { ok: false, message: 'Read-back has no number: repeat the value and unit (复述中没有数值，请复述数值及单位)' };
  let heard = Number(m[0]);
  const after =
    text
      .slice(m.index + m[0].length)
      .trim()
      .split(/[\s,，;；。]/)[0] ?? '';
  const heardUnit = after && parseUnit(after) && after !== '1' ? after : undefined;
  let unitOk = false;
  if (heardUnit) {
    const inReported = convert(heard, heardUnit, reportedUnit, item);
    if (inReported === undefined) {
      return {
        ok: false,
        message: `Read-back unit '${heardUnit}' does not match the result: check it and read back again (复述单位与结果不符，请核对后重新复述)`,
      };
    }
    // A value read back in another unit (mEq/L for mmol/L) is compared after conversion.
    if (convert(1, heardUnit, reportedUnit, item) !== 1) heard = inReported;
    unitOk = true;
  }
  const decimals = heardUnit && convert(1, heardUnit, reportedUnit, item) !== 1 ? 6 : (m[0].split('.')[1]?.length ?? 0);
  const rounded = Number(q.value!.toFixed(Math.min(decimals, 10)));
  const same = decimals === 6 ? Math.abs(heard - q.value!) <= Math.abs(q.value!) * 0.01 : rounded === Number(heard.toFixed(decimals));
  // The answer never tells the expected value: a read-back that could be copied from the error would prove nothing.
  if (!same)
    return {
      ok: false,
      message: `Read-back value ${m[0]} does not match the result: check it and read back again (复述数值与结果不符，请核对后重新复述)`,
    };
  if (!unitOk && !mentions(text, namesOf(finding)) && !(item.unitOptional && !item.unitDisplay)) {
    return {
      ok: false,
      message: `Read-back must name the unit (${unitText(item) || item.unit}) or the item (${item.name}) (复述须包含单位或项目名称)`,
    };
  }
  return { ok: true };
}
