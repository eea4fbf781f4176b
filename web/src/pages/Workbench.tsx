/** The workbench: each role sees its own work first. A role with several roles gets each of their panels. */
import { Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';
import { AdminBench } from '../workbench/AdminBench';
import { ManagerBench } from '../workbench/ManagerBench';
import { PublicHealthBench } from '../workbench/PublicHealthBench';
import { ResidentBench } from '../workbench/ResidentBench';
import { SpecialistBench } from '../workbench/SpecialistBench';
import { TownshipBench } from '../workbench/TownshipBench';
import { VillageBench } from '../workbench/VillageBench';
import { GenericBench } from '../workbench/GenericBench';

/** Role → panel. Later modules add their panels here (docs/web.md). */
const BENCHES: Record<string, () => ReactNode> = {
  'village-doctor': () => <VillageBench />,
  'township-doctor': () => <TownshipBench />,
  'county-specialist': () => <SpecialistBench />,
  'public-health-worker': () => <PublicHealthBench />,
  manager: () => <ManagerBench />,
  resident: () => <ResidentBench />,
  admin: () => <AdminBench />,
};

export function Workbench() {
  const { me } = useAuth();
  const { t } = useI18n();
  const roles = me?.roles ?? [];
  const panels = roles.filter((r) => BENCHES[r]).map((r) => <div key={r}>{BENCHES[r]!()}</div>);
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle" data-testid="workbench">
      <Typography.Title level={4} style={{ margin: 0 }}>
        {t('workbench')}
      </Typography.Title>
      {panels.length ? panels : <GenericBench />}
    </Space>
  );
}
