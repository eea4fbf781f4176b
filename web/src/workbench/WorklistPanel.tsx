/** A workbench panel: a worklist view (mine / my institution's) with its count and a link to the full worklist. */
import { Card } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n, type TextKey } from '../i18n';
import { worklist, type View } from '../tasks/api';
import { WorkTable } from '../tasks/WorkTable';

export function WorklistPanel({ view, title, testId }: { view: View; title: TextKey; testId?: string }) {
  const { t } = useI18n();
  const q = useQuery({ queryKey: ['tasks', view], queryFn: () => worklist(view) });
  const overdue = q.data?.counts.overdue ?? 0;
  return (
    <Card
      size="small"
      title={`${t(title)} (${q.data?.counts[view] ?? q.data?.items.length ?? '…'})${overdue ? ` · ${t('overdue')} ${overdue}` : ''}`}
      extra={<Link to={`/tasks?view=${view}`}>{t('viewAll')}</Link>}
    >
      {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
      <WorkTable items={q.data?.items ?? []} loading={q.isLoading} testId={testId} compact />
    </Card>
  );
}
