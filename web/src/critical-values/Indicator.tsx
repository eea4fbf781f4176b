/** 危急值通报及时率 · Timeliness of critical-value notification: acknowledged in time / all, with the counts. */
import { Card, Col, Row, Statistic } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { CV_KEY, indicator } from './api';

export function CvIndicator() {
  const { t } = useI18n();
  const q = useQuery({ queryKey: [...CV_KEY, 'indicator'], queryFn: indicator });
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  const d = (q.data ?? {}) as Record<string, unknown>;
  const n = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : undefined);
  const rate = n('rate') ?? n('timelyRate');
  return (
    <Card size="small" title={t('cvIndicator')} loading={q.isLoading} data-testid="cv-indicator">
      <Row gutter={[12, 12]}>
        <Col xs={12} md={6}>
          <Statistic
            title={t('cvTimelyRate')}
            value={rate === undefined ? '—' : (rate <= 1 ? rate * 100 : rate).toFixed(1)}
            suffix={rate === undefined ? undefined : '%'}
          />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('cvTotal')} value={n('total') ?? '—'} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('cvTimely')} value={n('timely') ?? n('onTime') ?? '—'} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('cvOpenCount')} value={n('open') ?? '—'} />
        </Col>
      </Row>
    </Card>
  );
}
