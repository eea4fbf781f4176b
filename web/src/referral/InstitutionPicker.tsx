/**
 * Choose the receiving institution: for an up-referral the county hospitals (and the township centres, for a village
 * clinic), for a down-referral the township centres and village clinics, for an external one any hospital. Departments
 * are chosen separately.
 */
import { Select } from 'antd';
import { orgType } from '../api/format';
import { useOrganizations } from '../hooks';
import type { Direction } from './api';
import { targetsFor } from './institutions';

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
