/** Which institutions a referral may go to, and the departments of one (pure logic, tested in logic tests). */
import { ORG_TYPE_SYSTEM } from '../api/fhir';
import type { Organization } from '../api/types';
import type { Direction } from './api';

const UP = ['county-hospital', 'tcm-hospital', 'private-hospital', 'township-health-centre'];
const DOWN = ['township-health-centre', 'village-clinic'];

export const typeCode = (o: Organization | undefined): string | undefined =>
  o?.type?.flatMap((t) => t.coding ?? []).find((c) => c.system === ORG_TYPE_SYSTEM)?.code;

const RANK: Record<string, number> = {
  'county-hospital': 0,
  'tcm-hospital': 1,
  'private-hospital': 2,
  'township-health-centre': 3,
  'village-clinic': 4,
};

/** Types that never receive a patient (administration, public health, other agencies). */
const NOT_CARE = new Set(['county-commission', 'medical-community', 'cdc', 'insurance-bureau', 'rural-revitalisation-bureau', 'school']);

const isDept = (o: Organization) => !!o.type?.some((t) => t.coding?.some((c) => c.code === 'dept'));

/** The top of an institution's partOf chain (the county's health commission for every institution of the community). */
export function rootOf(orgs: Map<string, Organization>, id: string | undefined): string | undefined {
  const seen = new Set<string>();
  let current = id;
  while (current && !seen.has(current)) {
    seen.add(current);
    const parent = orgs.get(current)?.partOf?.reference?.replace(/^Organization\//, '');
    if (!parent || !orgs.has(parent)) return current;
    current = parent;
  }
  return current;
}

/**
 * Institutions a referral may go to: up — the community's county hospitals (and the township centre from a village clinic); down —
 * township centres and village clinics; external — care institutions outside the caller's medical community (a
 * different top of the partOf tree). The server checks again and says why when one is refused.
 */
export function targetsFor(orgs: Organization[], direction: Direction, own?: string): Organization[] {
  const byId = new Map(orgs.filter((o) => o.id).map((o) => [o.id!, o]));
  const ownType = typeCode(byId.get(own ?? ''));
  const home = rootOf(byId, own);
  if (direction === 'external') {
    return orgs
      .filter((o) => o.id !== own && !isDept(o) && !NOT_CARE.has(typeCode(o) ?? '') && rootOf(byId, o.id) !== home)
      .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '', 'zh'));
  }
  const allowed = direction === 'down' ? DOWN : ownType === 'village-clinic' ? UP : UP.filter((x) => x !== 'township-health-centre');
  return orgs
    .filter((o) => o.id !== own && allowed.includes(typeCode(o) ?? '') && rootOf(byId, o.id) === home)
    .sort((a, b) => (RANK[typeCode(a) ?? ''] ?? 9) - (RANK[typeCode(b) ?? ''] ?? 9) || (a.name ?? '').localeCompare(b.name ?? '', 'zh'));
}

/** The departments (child organisations typed 'dept') of an institution: reference and short name. */
export function departmentsOf(orgs: Organization[], parent: string | undefined): { value: string; label: string }[] {
  if (!parent) return [];
  const prefix = orgs.find((o) => `Organization/${o.id}` === parent)?.name ?? '';
  return orgs
    .filter((o) => o.partOf?.reference === parent && o.type?.some((t) => t.coding?.some((c) => c.code === 'dept')))
    .map((o) => ({ value: `Organization/${o.id}`, label: (o.name ?? '').replace(prefix, '') || (o.name ?? o.id ?? '') }))
    .sort((a, b) => a.label.localeCompare(b.label, 'zh'));
}

/** An ICD-10 code as the server accepts it (I10, E11.9, I10.X00). */
export const ICD10 = /^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$/;

/** A typed diagnosis "I10 高血压" (code first or last) → { code, display }; no code → display only. */
export function parseDiagnosis(text: string): { code?: string; display: string } {
  const v = text.trim();
  const first = /^([A-Za-z][0-9]{2}(?:\.[0-9A-Za-z]{1,4})?)\s+(.+)$/.exec(v);
  if (first) return { code: first[1]!.toUpperCase(), display: first[2]!.trim() };
  const last = /^(.+?)\s+([A-Za-z][0-9]{2}(?:\.[0-9A-Za-z]{1,4})?)$/.exec(v);
  if (last) return { code: last[2]!.toUpperCase(), display: last[1]!.trim() };
  return { display: v };
}
