/** Critical values as rows: time, resident, result, who must act, due time, escalation level, state. */
import { Button, Space, Table, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { dateTime } from '../api/format';
import { useI18n } from '../i18n';
import { partyText, resultText, type CriticalValue } from './api';

export function CvTable({
  rows,
  loading,
  onAcknowledge,
  testId,
}: {
  rows: CriticalValue[];
  loading?: boolean;
  onAcknowledge?: (cv: CriticalValue) => void;
  testId?: string;
}) {
  const { t } = useI18n();
  return (
    <Table<CriticalValue>
      data-testid={testId}
      size="small"
      rowKey="taskId"
      loading={loading}
      dataSource={rows}
      pagination={{ pageSize: 20, hideOnSinglePage: true, size: 'small' }}
      scroll={{ x: 'max-content' }}
      locale={{ emptyText: t('noCriticalValues') }}
      rowClassName="cv-row"
      columns={[
        { title: t('time'), key: 't', render: (_, c) => dateTime(c.resultAt ?? c.detectedAt) },
        { title: t('resident'), key: 'p', render: (_, c) => partyText(c.patient) },
        {
          title: t('value'),
          key: 'v',
          render: (_, c) => (
            <Link to={`/critical-values/${encodeURIComponent(c.taskId)}`}>
              <Typography.Text type="danger" strong>
                {resultText(c)}
              </Typography.Text>
            </Link>
          ),
        },
        { title: t('responsible'), key: 'r', render: (_, c) => partyText(c.owner) },
        {
          title: t('due'),
          key: 'd',
          render: (_, c) => (
            <Space size={4}>
              <Typography.Text type={c.overdue ? 'danger' : undefined}>{dateTime(c.dueAt)}</Typography.Text>
              {c.overdue ? <Tag color="red">{t('overdue')}</Tag> : null}
              {c.escalationLevel ? (
                <Tag color="volcano">
                  {t('escalated')} {c.escalationLevel}
                </Tag>
              ) : null}
            </Space>
          ),
        },
        {
          title: t('status'),
          key: 's',
          render: (_, c) =>
            c.state === 'acknowledged' ? (
              <Tag color={c.late ? 'orange' : 'green'}>
                {t('cvAcknowledgedState')}
                {c.late ? ` · ${t('late')}` : ''}
              </Tag>
            ) : c.state === 'withdrawn' ? (
              <Tag color="blue" title={c.withdrawnReason}>
                {t('cvWithdrawn')}
              </Tag>
            ) : c.state === 'closed' ? (
              <Tag>{t('cvClosed')}</Tag>
            ) : onAcknowledge ? (
              <Button size="small" danger type="primary" onClick={() => onAcknowledge(c)}>
                {t('cvAcknowledgeNow')}
              </Button>
            ) : (
              <Tag color="red">{t('cvOpen')}</Tag>
            ),
        },
      ]}
    />
  );
}
