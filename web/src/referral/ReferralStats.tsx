/** 转诊统计 · Referral statistics of the last 30 days (GET /api/referrals/stats): counts per direction, acceptance
 *  rate, time from sending to acceptance, main reasons for rejection. */
import { Card, Col, List, Row, Statistic, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { stats } from './api';

const percent = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(0)}%`);

export function ReferralStats() {
  const { t } = useI18n();
  const q = useQuery({ queryKey: ['referrals', 'stats'], queryFn: stats });
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  const s = q.data;
  return (
    <Card size="small" title={t('referralStats')} loading={q.isLoading} data-testid="referral-stats">
      {s ? (
        <>
          <Row gutter={[12, 12]}>
            <Col xs={12} md={4}>
              <Statistic title={t('dirUp')} value={s.byDirection.up.total} />
            </Col>
            <Col xs={12} md={4}>
              <Statistic title={t('dirDown')} value={s.byDirection.down.total} />
            </Col>
            <Col xs={12} md={4}>
              <Statistic title={t('dirExternal')} value={s.byDirection.external.total} />
            </Col>
            <Col xs={12} md={4}>
              <Statistic title={t('acceptanceRate')} value={percent(s.total.acceptanceRate)} />
            </Col>
            <Col xs={12} md={4}>
              <Statistic
                title={t('acceptanceTime')}
                value={s.total.hoursToAcceptance.median ?? '—'}
                precision={s.total.hoursToAcceptance.median === null ? undefined : 1}
                suffix={s.total.hoursToAcceptance.median === null ? undefined : t('hours')}
              />
            </Col>
            <Col xs={12} md={4}>
              <Statistic title={t('pending')} value={s.total.pending} />
            </Col>
          </Row>
          {s.rejectionReasons.length ? (
            <List
              size="small"
              header={t('rejectionReasons')}
              dataSource={s.rejectionReasons.slice(0, 5)}
              renderItem={(r) => (
                <List.Item>
                  {r.reason} · {r.count}
                </List.Item>
              )}
            />
          ) : null}
          <Typography.Paragraph type="secondary" style={{ margin: '8px 0 0' }}>
            {t('last30Days')}
          </Typography.Paragraph>
        </>
      ) : null}
    </Card>
  );
}
