/** Public-health worker (公卫人员): programme lists — chronic diseases, maternal care. */
import { Card, Space, Tabs } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { resources, search } from '../api/fhir';
import type { Patient } from '../api/types';
import { PatientTable } from '../components/PatientTable';
import { useI18n, type TextKey } from '../i18n';
import { Counts } from './common';

function Programme({ params }: { params: Record<string, string> }) {
  const q = useQuery({
    queryKey: ['programme', params],
    queryFn: () => search('Condition', { 'clinical-status': 'active', _include: 'Condition:subject', _count: 100, ...params }),
  });
  const patients = [
    ...new Map(
      resources(q.data)
        .filter((r): r is Patient => r.resourceType === 'Patient')
        .map((p) => [p.id, p]),
    ).values(),
  ];
  return <PatientTable patients={patients} loading={q.isLoading} />;
}

const PROGRAMMES: [TextKey, string][] = [
  ['hypertension', 'I10.x00'],
  ['diabetes', 'E11.900'],
  ['copd', 'J44.900'],
  ['stroke', 'I63.900'],
];

export function PublicHealthBench() {
  const { t } = useI18n();
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Counts
        specs={[
          ...PROGRAMMES.map(([label, code]) => ({ label, type: 'Condition', params: { code, 'clinical-status': 'active' } })),
          { label: 'pregnancyCare', type: 'EpisodeOfCare', params: { type: 'pregnancy', status: 'active' } },
        ]}
      />
      <Card size="small" title={t('programmes')}>
        <Tabs items={PROGRAMMES.map(([label, code]) => ({ key: code, label: t(label), children: <Programme params={{ code }} /> }))} />
      </Card>
    </Space>
  );
}
