/** Choose a resident by name, pinyin, ID number or phone (FHIR search in the caller's scope); value 'Patient/<id>'. */
import { useEffect, useState } from 'react';
import { Select, Spin } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { read, resources, search } from '../api/fhir';
import { ageOf, genderText, nameOf } from '../api/format';
import { patientQuery } from '../api/patient-query';
import type { Patient } from '../api/types';
import { usePatientSearchParams } from '../hooks';
import { useI18n } from '../i18n';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

export function PatientPicker({ value, onChange, id }: { value?: string; onChange?: (v: string) => void; id?: string }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const typed = useDebounced(text.trim(), 300);
  const caps = usePatientSearchParams();
  const found = useQuery({
    queryKey: ['patient-picker', typed],
    enabled: typed.length >= 1,
    queryFn: async () =>
      resources(await search<Patient>('Patient', { ...patientQuery(typed, 'auto', !!caps.data?.has('name-pinyin')), _count: 20 })),
  });
  const chosenId = value?.startsWith('Patient/') ? value.slice(8) : undefined;
  const chosen = useQuery({
    queryKey: ['patient', chosenId],
    enabled: !!chosenId,
    queryFn: () => read<Patient>('Patient', chosenId!),
  });
  const label = (p: Patient) => `${nameOf(p.name)} · ${genderText(p.gender, t)} · ${ageOf(p.birthDate) ?? '—'}${t('yearsOld')}`;
  const options = new Map<string, string>();
  if (chosen.data?.id) options.set(`Patient/${chosen.data.id}`, label(chosen.data));
  for (const p of found.data ?? []) if (p.id) options.set(`Patient/${p.id}`, label(p));
  return (
    <Select
      id={id}
      showSearch
      value={value}
      placeholder={t('patientPickerHint')}
      filterOption={false}
      onSearch={setText}
      onChange={onChange}
      notFoundContent={found.isFetching ? <Spin size="small" /> : typed ? t('noData') : null}
      options={[...options].map(([v, l]) => ({ value: v, label: l }))}
      data-testid="patient-picker"
      style={{ width: '100%' }}
    />
  );
}
