/** Display helpers for FHIR values. */
import type { CodeableConcept, HumanName, Organization, Patient, Reference } from './types';
import { CENTRE_SYSTEM, EHEALTH_CARD_SYSTEM, ID_NUMBER_SYSTEM, ORG_TYPE_SYSTEM } from './fhir';

export function nameOf(names: HumanName[] | undefined): string {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  if (!n) return '—';
  if (n.text) return n.text;
  const family = n.family ?? '';
  const given = (n.given ?? []).join('');
  // Chinese names: family name first, no space.
  return /[\u4e00-\u9fff]/.test(family + given) ? family + given : [given, family].filter(Boolean).join(' ');
}

export function codeText(c: CodeableConcept | undefined): string {
  if (!c) return '—';
  return c.text ?? c.coding?.find((x) => x.display)?.display ?? c.coding?.[0]?.code ?? '—';
}

export function idNumberOf(p: Patient): string | undefined {
  return p.identifier?.find((i) => i.system === ID_NUMBER_SYSTEM)?.value;
}

export function cardOf(p: Patient): string | undefined {
  return p.identifier?.find((i) => i.system === EHEALTH_CARD_SYSTEM)?.value;
}

export function phoneOf(p: Patient): string | undefined {
  return p.telecom?.find((t) => t.system === 'phone')?.value;
}

export function addressOf(p: Patient): string | undefined {
  const a = p.address?.[0];
  if (!a) return undefined;
  return a.text ?? [a.state, a.city, a.district, ...(a.line ?? [])].filter(Boolean).join('');
}

export function ageOf(birthDate: string | undefined, today = new Date()): number | undefined {
  if (!birthDate) return undefined;
  const b = new Date(birthDate);
  let age = today.getFullYear() - b.getFullYear();
  if (today.getMonth() < b.getMonth() || (today.getMonth() === b.getMonth() && today.getDate() < b.getDate())) age--;
  return age;
}

export function refId(ref: Reference | undefined, type?: string): string | undefined {
  const r = ref?.reference;
  if (!r) return undefined;
  const [t, id] = r.split('/').slice(-2);
  return type && t !== type ? undefined : id;
}

export function day(date: string | undefined): string {
  return date ? date.slice(0, 10) : '—';
}

export function orgType(o: Organization | undefined): string | undefined {
  return o?.type?.flatMap((t) => t.coding ?? []).find((c) => c.system === ORG_TYPE_SYSTEM)?.display;
}

export function centreRoles(o: Organization): string[] {
  return (o.type ?? [])
    .flatMap((t) => t.coding ?? [])
    .filter((c) => c.system === CENTRE_SYSTEM)
    .map((c) => c.display ?? c.code ?? '');
}

export function genderText(g: string | undefined, t: (k: 'male' | 'female') => string): string {
  return g === 'male' ? t('male') : g === 'female' ? t('female') : (g ?? '—');
}

/** Local date and time to the minute, e.g. 2026-12-05 09:14. */
export function dateTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * The part of a server message in the user's language: the server writes "English text (中文说明)", "中文 English"
 * or "中文 (English)"; an unknown form is returned whole.
 */
export function inLanguage(message: string, lang: 'zh' | 'en'): string {
  const lead = /^([\u4e00-\u9fff][^A-Za-z]*?)\s+([A-Za-z].*)$/.exec(message);
  if (lead) return lang === 'zh' ? lead[1]! : lead[2]!;
  const paren = /^(.*?)\s*[(（]([^()（）]*[\u4e00-\u9fff][^()（）]*)[)）]\s*$/.exec(message);
  if (paren) return lang === 'zh' ? paren[2]! : paren[1]!;
  const english = /^(.*[\u4e00-\u9fff].*?)\s*[(（]([A-Za-z][^()（）]*)[)）]\s*$/.exec(message);
  if (english) return lang === 'zh' ? english[1]! : english[2]!;
  return message;
}

/** Minutes of an ISO 8601 duration such as PT10M, PT1H30M or P1D (undefined when not one). */
export function durationMinutes(iso: string | undefined): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso ?? '');
  if (!m || iso === 'P' || iso === 'PT') return undefined;
  return Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 60;
}
