/** 转诊 · Referrals: incoming (addressed to my institution) and outgoing (sent by it), by direction and state; statistics. */
import { Button, Card, Select, Space, Tabs } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { listReferrals, type Direction } from '../../referral/api';
import { ReferralStats } from '../../referral/ReferralStats';
import { ReferralTable } from '../../referral/ReferralTable';

type View = 'incoming' | 'outgoing';

export default function Referrals() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const view: View = params.get('view') === 'outgoing' ? 'outgoing' : 'incoming';
  const direction = (params.get('direction') ?? '') as Direction | '';
  const state = params.get('state') ?? '';
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  const q = useQuery({
    queryKey: ['referrals', view, direction, state],
    queryFn: () => listReferrals({ view, direction: direction || undefined, state: state || undefined }),
  });
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card
        title={t('referrals')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/referrals/new')} data-testid="new-referral">
            {t('newReferral')}
          </Button>
        }
      >
        <Tabs
          activeKey={view}
          onChange={(v) => set('view', v)}
          items={[
            { key: 'incoming', label: <span data-testid="tab-incoming">{t('incoming')}</span> },
            { key: 'outgoing', label: <span data-testid="tab-outgoing">{t('outgoing')}</span> },
          ]}
        />
        <Space wrap style={{ marginBottom: 12 }}>
          <Select
            style={{ width: 130 }}
            value={direction}
            onChange={(v) => set('direction', v)}
            options={[
              { value: '', label: t('allDirections') },
              { value: 'up', label: t('dirUp') },
              { value: 'down', label: t('dirDown') },
              { value: 'external', label: t('dirExternal') },
            ]}
          />
          <Select
            style={{ width: 130 }}
            value={state}
            onChange={(v) => set('state', v)}
            options={[
              { value: '', label: t('allStates') },
              { value: 'requested', label: t('stRequested') },
              { value: 'accepted', label: t('stAccepted') },
              { value: 'arrived', label: t('stArrived') },
              { value: 'completed', label: t('stCompleted') },
              { value: 'rejected', label: t('stRejected') },
              { value: 'cancelled', label: t('stCancelled') },
            ]}
          />
        </Space>
        {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
        <ReferralTable rows={q.data ?? []} loading={q.isLoading} testId="referral-list" />
      </Card>
      <ReferralStats />
    </Space>
  );
}
