/** Manager (管理者): key indicators by counts, and the chronic-disease burden as a chart. */
import { Card, Space } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { count } from '../api/fhir';
import { EChart } from '../components/EChart';
import { useI18n, type TextKey } from '../i18n';
import { Counts, daysAgo } from './common';

const DISEASES: [TextKey, string][] = [
  ['hypertension', 'I10.x00'],
  ['diabetes', 'E11.900'],
  ['copd', 'J44.900'],
  ['coronary', 'I25.100'],
  ['stroke', 'I63.900'],
];

export function ManagerBench() {
  const { t } = useI18n();
  const burden = useQuery({
    queryKey: ['burden'],
    queryFn: () => Promise.all(DISEASES.map(([, code]) => count('Condition', { code, 'clinical-status': 'active' }))),
  });
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Counts
        testId="indicators"
        specs={[
          { label: 'residentsTotal', type: 'Patient' },
          { label: 'encounters30', type: 'Encounter', params: { date: `ge${daysAgo(30)}` } },
          { label: 'hypertension', type: 'Condition', params: { code: 'I10.x00', 'clinical-status': 'active' } },
          { label: 'diabetes', type: 'Condition', params: { code: 'E11.900', 'clinical-status': 'active' } },
        ]}
      />
      <Card size="small" title={t('chronicBurden')}>
        <EChart
          testId="burden-chart"
          option={{
            tooltip: {},
            grid: { left: 40, right: 10, top: 20, bottom: 30 },
            xAxis: { type: 'category', data: DISEASES.map(([k]) => t(k)) },
            yAxis: { type: 'value' },
            series: [{ type: 'bar', data: burden.data ?? [], itemStyle: { color: '#1677ff' } }],
          }}
        />
      </Card>
    </Space>
  );
}
