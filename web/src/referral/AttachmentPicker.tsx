/** Attach recent results of the resident (lab results, vital signs) to the referral: 'Observation/<id>'. */
import { Select } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { resources, search } from '../api/fhir';
import { codeText, day } from '../api/format';
import type { Observation } from '../api/types';

function valueText(o: Observation): string {
  if (o.valueQuantity) return `${o.valueQuantity.value ?? ''} ${o.valueQuantity.unit ?? ''}`.trim();
  if (o.valueString) return o.valueString;
  if (o.valueCodeableConcept) return codeText(o.valueCodeableConcept);
  return '';
}

export function AttachmentPicker({
  patient,
  value,
  onChange,
  id,
}: {
  patient?: string;
  value?: string[];
  onChange?: (v: string[]) => void;
  id?: string;
}) {
  const q = useQuery({
    queryKey: ['attachable', patient],
    enabled: !!patient,
    queryFn: async () => resources(await search<Observation>('Observation', { patient, _sort: '-date', _count: 30 })),
  });
  return (
    <Select
      id={id}
      mode="multiple"
      value={value}
      onChange={onChange}
      disabled={!patient}
      loading={q.isLoading && !!patient}
      optionFilterProp="label"
      style={{ width: '100%' }}
      data-testid="attachment-picker"
      options={(q.data ?? []).map((o) => ({
        value: `Observation/${o.id}`,
        label: `${codeText(o.code)} ${valueText(o)} (${day(o.effectiveDateTime ?? o.issued)})`,
      }))}
    />
  );
}
