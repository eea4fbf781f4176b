/** A workbench panel: referrals addressed to my institution (incoming) and, optionally, those it sent (outgoing). */
import { useState } from 'react';
import { Button, Card, Segmented, Space } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { listReferrals } from '../referral/api';
import { ReferralTable } from '../referral/ReferralTable';

export function ReferralPanel({ outgoing = false, testId }: { outgoing?: boolean; testId?: string }) {
  const { t } = useI18n();
  const [view, setView] = useState<'incoming' | 'outgoing'>('incoming');
  const q = useQuery({ queryKey: ['referrals', view, 'open'], queryFn: () => listReferrals({ view, open: true }) });
  const rows = q.data ?? [];
  return (
    <Card
      size="small"
      title={`${t('referrals')} · ${t(view)} (${q.data ? rows.length : '…'})`}
      extra={
        <Space size={8} wrap>
          {outgoing ? (
            <Segmented
              size="small"
              value={view}
              onChange={(v) => setView(v as 'incoming' | 'outgoing')}
              options={[
                { value: 'incoming', label: t('incoming') },
                { value: 'outgoing', label: t('outgoing') },
              ]}
            />
          ) : null}
          <Link to={`/referrals?view=${view}`}>{t('viewAll')}</Link>
          {outgoing ? (
            <Link to="/referrals/new">
              <Button size="small" type="primary">
                {t('newReferral')}
              </Button>
            </Link>
          ) : null}
        </Space>
      }
    >
      {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
      <ReferralTable rows={rows} loading={q.isLoading} testId={testId} compact />
    </Card>
  );
}
