/** Which institutions a referral may go to, and the departments of one (pure logic, tested in logic tests). */
import { ORG_TYPE_SYSTEM } from '../api/fhir';
import type { Organization } from '../api/types';
import type { Direction } from './api';

const UP = ['county-hospital', 'tcm-hospital', 'private-hospital', 'township-health-centre'];
const DOWN = ['township-health-centre', 'village-clinic'];
const CARE = [...UP, 'village-clinic'];

export const typeCode = (o: Organization | undefined): string | undefined =>
  o?.type?.flatMap((t) => t.coding ?? []).find((c) => c.system === ORG_TYPE_SYSTEM)?.code;

const RANK: Record<string, number> = {
  'county-hospital': 0,
  'tcm-hospital': 1,
  'private-hospital': 2,
  'township-health-centre': 3,
  'village-clinic': 4,
};

export function targetsFor(orgs: Organization[], direction: Direction, own?: string): Organization[] {
  const ownType = typeCode(orgs.find((o) => o.id === own));
  const allowed =
    direction === 'down'
      ? DOWN
      : direction === 'up'
        ? ownType === 'village-clinic'
          ? UP
          : UP.filter((x) => x !== 'township-health-centre')
        : CARE;
  return orgs
    .filter((o) => o.id !== own && allowed.includes(typeCode(o) ?? ''))
    .sort((a, b) => (RANK[typeCode(a) ?? ''] ?? 9) - (RANK[typeCode(b) ?? ''] ?? 9) || (a.name ?? '').localeCompare(b.name ?? '', 'zh'));
}

/** The departments (child organisations typed 'dept') of an institution, by name. */
export function departmentsOf(orgs: Organization[], parent: string | undefined): string[] {
  if (!parent) return [];
  const prefix = orgs.find((o) => `Organization/${o.id}` === parent)?.name ?? '';
  return orgs
    .filter((o) => o.partOf?.reference === parent && o.type?.some((t) => t.coding?.some((c) => c.code === 'dept')))
    .map((o) => (o.name ?? '').replace(prefix, ''))
    .filter(Boolean);
}
