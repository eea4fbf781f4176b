/** 转诊统计 · Referral statistics (GET /api/referrals/stats): up/down counts, acceptance time, rejection reasons. */
import { Card, Col, List, Row, Statistic } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { stats } from './api';

export function ReferralStats() {
  const { t } = useI18n();
  const q = useQuery({ queryKey: ['referrals', 'stats'], queryFn: stats });
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  const s = q.data ?? {};
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const byDir = (s as { byDirection?: Record<string, number> }).byDirection ?? (s as Record<string, number>);
  const cards: { label: string; value: number | undefined; suffix?: string }[] = [
    { label: t('dirUp'), value: num(byDir['up']) },
    { label: t('dirDown'), value: num(byDir['down']) },
    { label: t('dirExternal'), value: num(byDir['external']) },
  ];
  const minutes = num((s as Record<string, unknown>)['medianAcceptanceMinutes'] ?? (s as Record<string, unknown>)['meanAcceptanceMinutes']);
  if (minutes !== undefined) cards.push({ label: t('acceptanceTime'), value: Math.round(minutes), suffix: t('minutes') });
  const reasons = ((s as { rejectionReasons?: { reason: string; count: number }[] }).rejectionReasons ?? []).slice(0, 5);
  return (
    <Card size="small" title={t('referralStats')} loading={q.isLoading} data-testid="referral-stats">
      <Row gutter={[12, 12]}>
        {cards.map((c) => (
          <Col key={c.label} xs={12} md={6}>
            <Statistic title={c.label} value={c.value ?? '—'} suffix={c.value !== undefined ? c.suffix : undefined} />
          </Col>
        ))}
      </Row>
      {reasons.length ? (
        <List
          size="small"
          header={t('rejectionReasons')}
          dataSource={reasons}
          renderItem={(r) => (
            <List.Item>
              {r.reason} · {r.count}
            </List.Item>
          )}
        />
      ) : null}
    </Card>
  );
}
