/** 危急值通报及时率 · Timeliness of critical-value notification: acknowledged in time / all, with the counts. */
import { Card, Col, Row, Statistic, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { durationMinutes } from '../api/format';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { CV_KEY, indicator } from './api';

const percent = (r: number | null | undefined) => (r === null || r === undefined ? '—' : (r * 100).toFixed(1));

export function CvIndicator() {
  const { t } = useI18n();
  const q = useQuery({ queryKey: [...CV_KEY, 'indicator'], queryFn: indicator });
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  const d = q.data;
  return (
    <Card size="small" title={t('cvIndicator')} loading={q.isLoading} data-testid="cv-indicator">
      <Row gutter={[12, 12]}>
        <Col xs={12} md={6}>
          <Statistic title={t('cvTimelyRate')} value={percent(d?.rate)} suffix={d?.rate != null ? '%' : undefined} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('cvTimely')} value={d ? `${d.numerator} / ${d.denominator}` : '—'} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('cvOpenCount')} value={d?.open ?? '—'} suffix={d?.overdue ? `（${t('overdue')} ${d.overdue}）` : undefined} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic
            title={t('cvMedianMinutes')}
            value={d?.medianMinutesToAcknowledge ?? '—'}
            suffix={d?.medianMinutesToAcknowledge != null ? t('minutes') : undefined}
          />
        </Col>
      </Row>
      {d ? (
        <Typography.Paragraph type="secondary" style={{ margin: '8px 0 0' }}>
          {t('cvLimits')
            .replace('{ack}', String(durationMinutes(d.limits.acknowledgeWithin) ?? d.limits.acknowledgeWithin))
            .replace('{notify}', String(durationMinutes(d.limits.notifyWithin) ?? d.limits.notifyWithin))}
          {d.notifiedWithinLimit.rate != null ? ` · ${t('cvNotifiedInTime')} ${percent(d.notifiedWithinLimit.rate)}%` : ''}
        </Typography.Paragraph>
      ) : null}
    </Card>
  );
}
