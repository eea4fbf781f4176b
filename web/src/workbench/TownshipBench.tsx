/** Township doctor (乡镇卫生院): today's patients, referrals in and out, the centre's worklist (follow-ups after a
 *  down-referral land here), critical values to acknowledge, the reports the reading centres sent back. */
import { Space } from 'antd';
import { useAuth } from '../auth';
import { daysAgo, EncounterList, today } from './common';
import { CriticalValuePanel } from './CriticalValuePanel';
import { ReportsBackPanel } from './ReportsBackPanel';
import { ReferralPanel } from './ReferralPanel';
import { WorklistPanel } from './WorklistPanel';

export function TownshipBench() {
  const { me } = useAuth();
  const org = `Organization/${me?.organizationId ?? ''}`;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <CriticalValuePanel />
      <WorklistPanel view="institution" title="followUpTasks" testId="bench-tasks" />
      <ReportsBackPanel />
      <ReferralPanel outgoing testId="bench-referrals" />
      <EncounterList title="todayPatients" params={{ 'service-provider': org, date: `ge${today()}` }} testId="today-patients" />
      <EncounterList title="recentEncounters" params={{ 'service-provider': org, date: `ge${daysAgo(30)}` }} />
    </Space>
  );
}
