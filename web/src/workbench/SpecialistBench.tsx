/** County specialist (县医院专科): incoming referrals to review, the worklist, critical values, recent encounters. */
import { Space } from 'antd';
import { useAuth } from '../auth';
import { daysAgo, EncounterList } from './common';
import { CriticalValuePanel } from './CriticalValuePanel';
import { ReferralPanel } from './ReferralPanel';
import { WorklistPanel } from './WorklistPanel';

export function SpecialistBench() {
  const { me } = useAuth();
  const org = `Organization/${me?.organizationId ?? ''}`;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <CriticalValuePanel />
      <ReferralPanel testId="bench-referrals" />
      <WorklistPanel view="mine" title="worklist" testId="bench-tasks" />
      <EncounterList title="recentEncounters" params={{ 'service-provider': org, date: `ge${daysAgo(30)}` }} />
    </Space>
  );
}
