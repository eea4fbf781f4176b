/** County specialist (县医院专科): worklists — requests addressed to the hospital and its recent encounters. */
import { Space } from 'antd';
import { useAuth } from '../auth';
import { daysAgo, EncounterList, RequestList } from './common';

export function SpecialistBench() {
  const { me } = useAuth();
  const org = `Organization/${me?.organizationId ?? ''}`;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <RequestList type="ServiceRequest" title="worklist" params={{ status: 'active', performer: org }} testId="worklist" />
      <EncounterList title="recentEncounters" params={{ 'service-provider': org, date: `ge${daysAgo(30)}` }} />
    </Space>
  );
}
