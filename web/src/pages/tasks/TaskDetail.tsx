/** One task: what it is about, its state and due time, the actions the caller may take, and its history (who, when, why). */
import { Card, Descriptions, Result, Spin, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../../api/client';
import { dateTime } from '../../api/format';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { focusText, linkOf, patientOf, referralOf, taskDetail } from '../../tasks/api';
import { HistoryTimeline } from '../../tasks/HistoryTimeline';
import { WorkActions } from '../../tasks/WorkTable';

export default function TaskDetail() {
  const { id = '' } = useParams();
  const { t, pick } = useI18n();
  const q = useQuery({ queryKey: ['tasks', 'detail', id], queryFn: () => taskDetail(id) });
  if (q.isLoading) return <Spin style={{ margin: 48 }} />;
  if (q.error instanceof ApiError && q.error.status === 404)
    return (
      <Result status="404" title={t('taskNotFound')} extra={<Link to="/tasks">{t('backToWorklist')}</Link>} data-testid="task-not-found" />
    );
  if (q.error || !q.data) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  const item = q.data;
  const state = item.state;
  const patient = patientOf(item);
  const link = linkOf(item);
  const referral = referralOf(item);
  return (
    <Card title={focusText(item)} extra={<WorkActions item={item} size="middle" />} data-testid="task-detail">
      <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
        <Descriptions.Item label={t('workflow')}>{pick(item.workflow.title)}</Descriptions.Item>
        <Descriptions.Item label={t('status')}>
          <Tag>{pick(state.display)}</Tag>
        </Descriptions.Item>
        <Descriptions.Item label={t('name')}>
          {patient.id ? <Link to={`/patients/${patient.id}`}>{patient.name ?? t('open')}</Link> : (patient.name ?? '—')}
        </Descriptions.Item>
        <Descriptions.Item label={t('due')}>
          <Typography.Text type={item.overdue ? 'danger' : undefined}>{dateTime(item.due)}</Typography.Text>
          {item.overdue ? (
            <Tag color="red" style={{ marginInlineStart: 6 }}>
              {t('overdue')}
            </Tag>
          ) : null}
        </Descriptions.Item>
        <Descriptions.Item label={t('createdAt')}>{dateTime(item.task.authoredOn)}</Descriptions.Item>
        {link !== `/tasks/${item.task.id}` ? (
          <Descriptions.Item label={t('details')}>
            <Link to={link}>{t('open')}</Link>
          </Descriptions.Item>
        ) : referral ? (
          <Descriptions.Item label={t('referral')}>
            <Link to={`/referrals/${referral}`} data-testid="task-referral-link">
              {item.focus?.summary || t('open')}
            </Link>
          </Descriptions.Item>
        ) : null}
      </Descriptions>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('history')}
      </Typography.Title>
      <HistoryTimeline entries={item.history} testId="task-history" />
    </Card>
  );
}
