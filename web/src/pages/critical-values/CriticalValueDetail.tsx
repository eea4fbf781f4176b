/** One critical value: the result, the resident, who ordered it, the full chain (detected, notified, escalated,
 *  acknowledged with read-back) and, while open, the acknowledge button. */
import { useState } from 'react';
import { Button, Card, Descriptions, Result, Space, Spin, Tag, Timeline, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../../api/client';
import { dateTime } from '../../api/format';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { AcknowledgeDialog } from '../../critical-values/AcknowledgeDialog';
import { criticalValue, CV_KEY, partyText, resultText } from '../../critical-values/api';

export default function CriticalValueDetail() {
  const { taskId = '' } = useParams();
  const { t, pick } = useI18n();
  const [acking, setAcking] = useState(false);
  const q = useQuery({ queryKey: [...CV_KEY, 'detail', taskId], queryFn: () => criticalValue(taskId) });
  if (q.isLoading) return <Spin style={{ margin: 48 }} />;
  if (q.error instanceof ApiError && q.error.status === 404)
    return (
      <Result
        status="404"
        title={t('cvNotFound')}
        extra={<Link to="/critical-values">{t('backToCriticalValues')}</Link>}
        data-testid="cv-not-found"
      />
    );
  if (q.error || !q.data) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  const cv = q.data;
  const patientId = cv.patient?.reference?.startsWith('Patient/') ? cv.patient.reference.slice(8) : undefined;
  return (
    <Card
      data-testid="cv-detail"
      title={
        <Space wrap>
          <span>{t('criticalValue')}</span>
          {cv.acknowledgedAt ? <Tag color="green">{t('cvAcknowledgedState')}</Tag> : <Tag color="red">{t('cvOpen')}</Tag>}
          {cv.overdue ? <Tag color="red">{t('overdue')}</Tag> : null}
        </Space>
      }
      extra={
        !cv.acknowledgedAt ? (
          <Button danger type="primary" onClick={() => setAcking(true)} data-testid="cv-detail-ack">
            {t('cvAcknowledgeNow')}
          </Button>
        ) : null
      }
    >
      <Descriptions size="small" bordered column={{ xs: 1, md: 2 }}>
        <Descriptions.Item label={t('resident')}>
          {patientId ? <Link to={`/patients/${patientId}`}>{partyText(cv.patient)}</Link> : partyText(cv.patient)}
        </Descriptions.Item>
        <Descriptions.Item label={t('value')}>
          <Typography.Text type="danger" strong>
            {resultText(cv) || '—'}
          </Typography.Text>
          {cv.threshold ? ` （${t('threshold')} ${cv.threshold}）` : ''}
        </Descriptions.Item>
        <Descriptions.Item label={t('orderedBy')}>{partyText(cv.orderedBy)}</Descriptions.Item>
        <Descriptions.Item label={t('responsible')}>{partyText(cv.recipient)}</Descriptions.Item>
        <Descriptions.Item label={t('time')}>{dateTime(cv.detectedAt ?? cv.createdAt)}</Descriptions.Item>
        <Descriptions.Item label={t('due')}>{dateTime(cv.due)}</Descriptions.Item>
        {cv.acknowledgedAt ? (
          <Descriptions.Item label={t('cvAcknowledgedState')}>
            {dateTime(cv.acknowledgedAt)} {partyText(cv.acknowledgedBy)}
          </Descriptions.Item>
        ) : null}
        {cv.action ? <Descriptions.Item label={t('cvAction')}>{cv.action}</Descriptions.Item> : null}
      </Descriptions>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('cvChain')}
      </Typography.Title>
      <Timeline
        data-testid="cv-chain"
        items={(cv.chain ?? []).map((e) => ({
          color: e.event === 'acknowledged' ? 'green' : e.event === 'escalated' ? 'red' : 'blue',
          children: (
            <div>
              <Typography.Text strong>{typeof e.display === 'object' ? pick(e.display) : (e.display ?? e.event)}</Typography.Text>{' '}
              <Typography.Text type="secondary">{dateTime(e.at)}</Typography.Text>
              {e.who ? <div>{partyText(e.who)}</div> : null}
              {e.to ? <div>→ {partyText(e.to)}</div> : null}
              {e.detail ? <div>{e.detail}</div> : null}
            </div>
          ),
        }))}
      />
      <AcknowledgeDialog cv={cv} open={acking} onClose={() => setAcking(false)} />
    </Card>
  );
}
