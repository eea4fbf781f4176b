/** Township doctor (乡镇卫生院): today's patients, pending requests and referrals. */
import { Space } from 'antd';
import { useAuth } from '../auth';
import { daysAgo, EncounterList, RequestList, today } from './common';

export function TownshipBench() {
  const { me } = useAuth();
  const org = `Organization/${me?.organizationId ?? ''}`;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <EncounterList title="todayPatients" params={{ 'service-provider': org, date: `ge${today()}` }} testId="today-patients" />
      <EncounterList title="recentEncounters" params={{ 'service-provider': org, date: `ge${daysAgo(30)}` }} />
      <RequestList type="ServiceRequest" title="pendingReferrals" params={{ status: 'active', performer: org }} />
      <RequestList type="Task" title="pendingRequests" params={{ status: 'requested,accepted,in-progress', owner: org }} />
    </Space>
  );
}
