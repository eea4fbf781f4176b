/** 危急值 · Critical values: mine to acknowledge, all open ones, overdue ones; the timeliness indicator. */
import { useState } from 'react';
import { Card, Space, Tabs } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { AcknowledgeDialog } from '../../critical-values/AcknowledgeDialog';
import { CV_KEY, listCriticalValues, type CriticalValue, type CvView } from '../../critical-values/api';
import { CvIndicator } from '../../critical-values/Indicator';
import { CvTable } from '../../critical-values/CvTable';

const VIEWS: CvView[] = ['mine', 'open', 'overdue'];

export default function CriticalValues() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const view = (VIEWS as string[]).includes(params.get('view') ?? '') ? (params.get('view') as CvView) : 'mine';
  const q = useQuery({ queryKey: [...CV_KEY, 'list', view], queryFn: () => listCriticalValues(view) });
  const [acking, setAcking] = useState<CriticalValue | undefined>();
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card title={t('criticalValues')}>
        <Tabs
          activeKey={view}
          onChange={(v) => setParams({ view: v }, { replace: true })}
          items={[
            { key: 'mine', label: t('cvMine') },
            { key: 'open', label: t('cvAllOpen') },
            { key: 'overdue', label: t('viewOverdue') },
          ]}
        />
        {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
        <CvTable rows={q.data ?? []} loading={q.isLoading} onAcknowledge={view === 'mine' ? setAcking : undefined} testId="cv-list" />
      </Card>
      <CvIndicator />
      <AcknowledgeDialog cv={acking} open={!!acking} onClose={() => setAcking(undefined)} />
    </Space>
  );
}
