/**
 * Choose the items of the resident's record to share with the experts: diagnoses (Condition), reports
 * (DiagnosticReport) and recent results (Observation), read through the caller's own access. Value: references.
 */
import { Select } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { resources, search } from '../../api/fhir';
import { codeText, day } from '../../api/format';
import type { Condition, DiagnosticReport, Observation } from '../../api/types';

type Item = Condition | DiagnosticReport | Observation;

const LABEL: Record<Item['resourceType'], string> = { Condition: '诊断', DiagnosticReport: '报告', Observation: '检验/体征' };

function when(r: Item): string | undefined {
  if (r.resourceType === 'Condition') return r.onsetDateTime ?? r.recordedDate;
  if (r.resourceType === 'DiagnosticReport') return r.effectiveDateTime ?? r.issued;
  return r.effectiveDateTime ?? r.issued;
}

function valueOf(r: Item): string {
  if (r.resourceType !== 'Observation') return '';
  if (r.valueQuantity) return ` ${r.valueQuantity.value ?? ''} ${r.valueQuantity.unit ?? ''}`.trimEnd();
  return r.valueString ? ` ${r.valueString}` : '';
}

export function RecordPicker({
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
    queryKey: ['consultation-record', patient],
    enabled: !!patient,
    queryFn: async () => {
      const [conditions, reports, observations] = await Promise.all([
        search<Condition>('Condition', { patient, _count: 30 }),
        search<DiagnosticReport>('DiagnosticReport', { patient, _sort: '-date', _count: 30 }),
        search<Observation>('Observation', { patient, _sort: '-date', _count: 30 }),
      ]);
      return [...resources<Item>(conditions), ...resources<Item>(reports), ...resources<Item>(observations)];
    },
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
      data-testid="record-picker"
      options={(q.data ?? []).map((r) => ({
        value: `${r.resourceType}/${r.id}`,
        label: `【${LABEL[r.resourceType]}】${codeText(r.code)}${valueOf(r)} (${day(when(r))})`,
      }))}
    />
  );
}
