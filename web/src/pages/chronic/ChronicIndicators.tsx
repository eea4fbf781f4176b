/** 慢病管理指标 · Indicators per institution and month (GET /api/chronic/indicators), each with numerator / denominator. */
import { useState } from 'react';
import { Card, DatePicker, Table, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { indicators, type IndicatorRow, type Ratio } from './api';

function RatioCell({ r }: { r: Ratio }) {
  return (
    <span>
      {r.rate === null ? '—' : `${(r.rate * 100).toFixed(1)}%`}{' '}
      <Typography.Text type="secondary">
        ({r.numerator}/{r.denominator})
      </Typography.Text>
    </span>
  );
}

export default function ChronicIndicators() {
  const { t } = useI18n();
  const [month, setMonth] = useState(dayjs().format('YYYY-MM'));
  const q = useQuery({ queryKey: ['chronic-indicators', month], queryFn: () => indicators(month) });
  const rows = q.data ? [...q.data.rows, { ...q.data.total, organization: null, organizationName: t('chrTotal') }] : [];
  return (
    <Card
      title={t('chrIndicators')}
      extra={
        <DatePicker picker="month" value={dayjs(`${month}-01`)} onChange={(d) => d && setMonth(d.format('YYYY-MM'))} allowClear={false} />
      }
    >
      {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
      {q.data ? (
        <Typography.Paragraph type="secondary">
          {q.data.window.start} ~ {q.data.window.end}
        </Typography.Paragraph>
      ) : null}
      <Table<IndicatorRow>
        data-testid="chronic-indicators"
        size="small"
        rowKey={(r) => r.organization ?? 'total'}
        loading={q.isLoading}
        dataSource={rows}
        pagination={false}
        scroll={{ x: true }}
        columns={[
          { title: t('chrVillage'), render: (_, r) => r.organizationName ?? r.organization },
          {
            title: t('chrHypertension'),
            children: [
              { title: t('chrManaged'), render: (_, r) => r.hypertension.managed },
              { title: t('chrStandard'), render: (_, r) => <RatioCell r={r.hypertension.standardManagement} /> },
              { title: t('chrBpControl'), render: (_, r) => <RatioCell r={r.hypertension.bpControl} /> },
            ],
          },
          {
            title: t('chrDiabetes'),
            children: [
              { title: t('chrManaged'), render: (_, r) => r.diabetes.managed },
              { title: t('chrStandard'), render: (_, r) => <RatioCell r={r.diabetes.standardManagement} /> },
              { title: t('chrGlucoseControl'), render: (_, r) => <RatioCell r={r.diabetes.glucoseControl} /> },
              { title: t('chrHba1c7'), render: (_, r) => <RatioCell r={r.diabetes.hba1cBelow7} /> },
            ],
          },
          { title: t('chrReferralDone'), render: (_, r) => <RatioCell r={r.referralFollowUp} /> },
        ]}
      />
    </Card>
  );
}
