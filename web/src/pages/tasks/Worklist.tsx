/** 待办 · Worklist: my tasks, my institution's, overdue ones and those I asked for, with counts; act on each row. */
import { Card, Tabs, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n, type TextKey } from '../../i18n';
import { VIEWS, worklist, type View } from '../../tasks/api';
import { WorkTable } from '../../tasks/WorkTable';

const VIEW_TEXT: Record<View, TextKey> = {
  mine: 'viewMine',
  institution: 'viewInstitution',
  overdue: 'viewOverdue',
  requested: 'viewRequested',
};

export default function Worklist() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const view = (VIEWS as string[]).includes(params.get('view') ?? '') ? (params.get('view') as View) : 'mine';
  const q = useQuery({ queryKey: ['tasks', view], queryFn: () => worklist(view) });
  const counts = q.data?.counts;
  return (
    <Card title={t('worklistNav')}>
      <Tabs
        activeKey={view}
        onChange={(v) => setParams({ view: v }, { replace: true })}
        items={VIEWS.map((v) => ({
          key: v,
          label: (
            <span data-testid={`view-${v}`}>
              {t(VIEW_TEXT[v])}
              {counts ? (
                <Tag color={v === 'overdue' && counts[v] ? 'red' : undefined} style={{ marginInlineStart: 6 }}>
                  {counts[v] ?? 0}
                </Tag>
              ) : null}
            </span>
          ),
        }))}
      />
      {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
      <WorkTable items={q.data?.items ?? []} loading={q.isLoading} testId="worklist-table" />
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
        {t('worklistHint')} <Link to="/inbox">{t('inbox')}</Link>
      </Typography.Paragraph>
    </Card>
  );
}
