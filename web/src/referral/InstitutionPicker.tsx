/**
 * Choose the receiving institution: for an up-referral the county hospitals (and the township centres, for a village
 * clinic), for a down-referral the township centres and village clinics, for an external one any hospital. Departments
 * are chosen separately.
 */
import { Select } from 'antd';
import type { Organization } from '../api/types';
import { orgType } from '../api/format';
import { ORG_TYPE_SYSTEM } from '../api/fhir';
import { useOrganizations } from '../hooks';
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

export function InstitutionPicker({
  value,
  onChange,
  direction,
  own,
  id,
}: {
  value?: string;
  onChange?: (v: string) => void;
  direction: Direction;
  own?: string;
  id?: string;
}) {
  const orgs = useOrganizations();
  const list = targetsFor([...(orgs.data?.values() ?? [])], direction, own);
  return (
    <Select
      id={id}
      showSearch
      optionFilterProp="label"
      value={value}
      onChange={onChange}
      loading={orgs.isLoading}
      data-testid="institution-picker"
      style={{ width: '100%' }}
      options={list.map((o) => ({ value: `Organization/${o.id}`, label: `${o.name ?? o.id}（${orgType(o) ?? ''}）` }))}
    />
  );
}
