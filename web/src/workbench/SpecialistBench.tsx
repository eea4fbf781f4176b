/** County specialist (县医院专科): at a reading centre its worklist first, then critical values, consultations (the
 *  consultation centre's, or those I am invited to), incoming referrals to review, the worklist, recent encounters. */
import { Space } from 'antd';
import { useAuth } from '../auth';
import { daysAgo, EncounterList } from './common';
import { ConsultationPanel } from './ConsultationPanel';
import { CriticalValuePanel } from './CriticalValuePanel';
import { ReadingCentrePanel } from './ReadingCentrePanel';
import { ReferralPanel } from './ReferralPanel';
import { WorklistPanel } from './WorklistPanel';

export function SpecialistBench() {
  const { me } = useAuth();
  const org = `Organization/${me?.organizationId ?? ''}`;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <ReadingCentrePanel />
      <CriticalValuePanel />
      <ConsultationPanel />
      <ReferralPanel testId="bench-referrals" />
      <WorklistPanel view="mine" title="worklist" testId="bench-tasks" />
      <EncounterList title="recentEncounters" params={{ 'service-provider': org, date: `ge${daysAgo(30)}` }} />
    </Space>
  );
}
