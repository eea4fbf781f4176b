/** Village doctor (乡村医生): critical values and tasks first, then the residents of the village and the
 *  chronic-disease patients due for follow-up. */
import { Card, Space } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { resources, search } from '../api/fhir';
import type { Patient } from '../api/types';
import { useAuth } from '../auth';
import { PatientTable } from '../components/PatientTable';
import { useI18n } from '../i18n';
import { Counts } from './common';
import { CriticalValuePanel } from './CriticalValuePanel';
import { ReportsBackPanel } from './ReportsBackPanel';
import { WorklistPanel } from './WorklistPanel';

export function VillageBench() {
  const { t } = useI18n();
  const { me } = useAuth();
  const org = `Organization/${me?.organizationId ?? ''}`;
  const residents = useQuery({
    queryKey: ['village-residents', org],
    queryFn: () => search<Patient>('Patient', { organization: org, _count: 200, _sort: 'family', _total: 'accurate' }),
  });
  const due = useQuery({
    queryKey: ['village-due', org],
    queryFn: () =>
      search('Condition', {
        'clinical-status': 'active',
        category: 'problem-list-item',
        'patient.organization': org,
        _include: 'Condition:subject',
        _count: 100,
      }),
  });
  const duePatients = [
    ...new Map(
      resources(due.data)
        .filter((r): r is Patient => r.resourceType === 'Patient')
        .map((p) => [p.id, p]),
    ).values(),
  ];
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <CriticalValuePanel />
      <WorklistPanel view="mine" title="myTasks" testId="bench-tasks" />
      <ReportsBackPanel />
      <Counts
        specs={[
          { label: 'villageResidents', type: 'Patient', params: { organization: org } },
          { label: 'hypertension', type: 'Condition', params: { code: 'I10.x00', 'patient.organization': org } },
          { label: 'diabetes', type: 'Condition', params: { code: 'E11.900', 'patient.organization': org } },
        ]}
      />
      <Card size="small" title={`${t('villageResidents')} (${residents.data?.total ?? '…'})`}>
        <PatientTable patients={resources(residents.data)} loading={residents.isLoading} testId="village-residents" />
      </Card>
      <Card size="small" title={`${t('dueFollowUps')} (${duePatients.length})`}>
        <PatientTable patients={duePatients} loading={due.isLoading} testId="due-follow-ups" />
      </Card>
    </Space>
  );
}
