/**
 * Choose items of a resident's record, read through the caller's own access: recent results (Observation) to attach
 * to a referral; diagnoses (Condition), reports (DiagnosticReport) and results to share with a consultation's experts.
 * Value: references ('Observation/<id>' …). Used as a Form.Item control.
 */
import { Select } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { resources, search } from '../api/fhir';
import { codeText, day } from '../api/format';
import type { Condition, DiagnosticReport, Observation } from '../api/types';
import { useI18n } from '../i18n';

type Item = Condition | DiagnosticReport | Observation;
export type RecordItemType = Item['resourceType'];

/** What a Form.Item hands its control. */
export interface FormControlProps<T> {
  id?: string;
  value?: T;
  onChange?: (v: T) => void;
}

/** Each type's name, shown before an item when more than one type is offered. */
const LABEL: Record<RecordItemType, { zh: string; en: string }> = {
  Condition: { zh: '诊断', en: 'Diagnosis' },
  DiagnosticReport: { zh: '报告', en: 'Report' },
  Observation: { zh: '检验/体征', en: 'Result' },
};
/** Newest first where the type has a date to sort by. */
const SORT: Partial<Record<RecordItemType, string>> = { DiagnosticReport: '-date', Observation: '-date' };

function when(r: Item): string | undefined {
  if (r.resourceType === 'Condition') return r.onsetDateTime ?? r.recordedDate;
  return r.effectiveDateTime ?? r.issued;
}

function valueOf(r: Item): string {
  if (r.resourceType !== 'Observation') return '';
  if (r.valueQuantity) return `${r.valueQuantity.value ?? ''} ${r.valueQuantity.unit ?? ''}`.trim();
  if (r.valueString) return r.valueString;
  if (r.valueCodeableConcept) return codeText(r.valueCodeableConcept);
  return '';
}

export function RecordItemPicker({
  patient,
  types,
  testId,
  ...control
}: FormControlProps<string[]> & { patient?: string; types: readonly RecordItemType[]; testId: string }) {
  const { pick } = useI18n();
  const q = useQuery({
    queryKey: ['record-items', patient, types],
    enabled: !!patient,
    queryFn: async () => {
      const found = await Promise.all(types.map((type) => search<Item>(type, { patient, _sort: SORT[type], _count: 30 })));
      return found.flatMap((b) => resources<Item>(b));
    },
  });
  const prefix = (r: Item) => (types.length > 1 ? `【${pick(LABEL[r.resourceType])}】` : '');
  return (
    <Select
      {...control}
      mode="multiple"
      disabled={!patient}
      loading={q.isLoading && !!patient}
      optionFilterProp="label"
      style={{ width: '100%' }}
      data-testid={testId}
      options={(q.data ?? []).map((r) => {
        const value = valueOf(r);
        return {
          value: `${r.resourceType}/${r.id}`,
          label: `${prefix(r)}${codeText(r.code)}${value ? ` ${value}` : ''} (${day(when(r))})`,
        };
      })}
    />
  );
}
