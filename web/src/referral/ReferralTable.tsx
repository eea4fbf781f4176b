/** Referrals as rows: date, resident, direction, from → to, department, urgency, state, due time. */
import { Space, Table, Tag, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { dateTime } from '../api/format';
import { useI18n } from '../i18n';
import { partyName, shortDept, type Referral } from './api';
import { DirectionTag, StateTag, UrgencyTag } from './labels';

export function ReferralTable({
  rows,
  loading,
  testId,
  compact,
}: {
  rows: Referral[];
  loading?: boolean;
  testId?: string;
  compact?: boolean;
}) {
  const { t } = useI18n();
  return (
    <Table<Referral>
      data-testid={testId}
      size="small"
      rowKey="id"
      loading={loading}
      dataSource={rows}
      pagination={{ pageSize: compact ? 5 : 20, hideOnSinglePage: true, size: 'small' }}
      scroll={{ x: 'max-content' }}
      locale={{ emptyText: t('noReferrals') }}
      rowClassName="referral-row"
      columns={[
        { title: t('date'), key: 'd', render: (_, r) => dateTime(r.createdAt) },
        {
          title: t('name'),
          key: 'p',
          render: (_, r) => (
            <Link to={`/referrals/${r.id}`} className="referral-link">
              {r.patient?.display || t('open')}
            </Link>
          ),
        },
        {
          title: t('direction'),
          key: 'dir',
          render: (_, r) => (
            <Space size={2}>
              <DirectionTag direction={r.direction} />
              <UrgencyTag urgency={r.urgency} />
            </Space>
          ),
        },
        {
          title: `${t('fromInstitution')} → ${t('toInstitution')}`,
          key: 'ft',
          render: (_, r) => `${partyName(r.from)} → ${partyName(r.to)}${r.department ? ` · ${shortDept(r)}` : ''}`,
        },
        ...(compact
          ? []
          : [
              {
                title: t('referralReason'),
                key: 'r',
                render: (_: unknown, r: Referral) => <span className="referral-reason">{r.reason ?? '—'}</span>,
              },
            ]),
        {
          title: t('status'),
          key: 's',
          render: (_, r) => (
            <Space size={2}>
              <StateTag referral={r} />
              {r.overdue ? <Tag color="red">{t('overdue')}</Tag> : null}
            </Space>
          ),
        },
        ...(compact
          ? []
          : [
              {
                title: t('due'),
                key: 'due',
                render: (_: unknown, r: Referral) => (
                  <Typography.Text type={r.overdue ? 'danger' : undefined}>{dateTime(r.due)}</Typography.Text>
                ),
              },
            ]),
      ]}
    />
  );
}
