/** One critical value: the result, the resident, the responsible doctor, the full chain (result, detection,
 *  notification, escalations, acknowledgement with read-back) and, while open, the acknowledge button. */
import { useState } from 'react';
import { Button, Card, Descriptions, Result, Space, Spin, Tag, Timeline, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../../api/client';
import { dateTime, inLanguage } from '../../api/format';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { AcknowledgeDialog } from '../../critical-values/AcknowledgeDialog';
import { criticalValue, CV_KEY, partyText, resultText, type ChainEvent, type CriticalValueChain } from '../../critical-values/api';

const COLOR: Record<ChainEvent['kind'], string> = {
  result: 'gray',
  released: 'gray',
  detected: 'red',
  notified: 'blue',
  escalated: 'orange',
  acknowledged: 'green',
  corrected: 'purple',
  withdrawn: 'cyan',
};

/** The responsible doctor by name: the owner's display, else the name the notification event gives. */
function ownerName(cv: CriticalValueChain): string {
  if (cv.owner?.display) return cv.owner.display;
  const notified = cv.events.find((e) => e.kind === 'notified')?.recipients?.find((r) => r.reference === cv.owner?.reference);
  return notified?.display ?? partyText(cv.owner);
}

export default function CriticalValueDetail() {
  const { taskId = '' } = useParams();
  const { t, lang } = useI18n();
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
          {cv.state === 'acknowledged' ? (
            <Tag color={cv.late ? 'orange' : 'green'} data-testid="cv-state">
              {t('cvAcknowledgedState')}
              {cv.late ? ` · ${t('late')}` : ''}
            </Tag>
          ) : cv.state === 'withdrawn' ? (
            <Tag color="blue" title={cv.withdrawnReason} data-testid="cv-state">
              {t('cvWithdrawn')}
            </Tag>
          ) : cv.state === 'closed' ? (
            <Tag data-testid="cv-state">{t('cvClosed')}</Tag>
          ) : (
            <Tag color="red" data-testid="cv-state">
              {t('cvOpen')}
            </Tag>
          )}
          {cv.overdue ? <Tag color="red">{t('overdue')}</Tag> : null}
          {cv.escalationLevel ? (
            <Tag color="volcano">
              {t('escalated')} {cv.escalationLevel}
            </Tag>
          ) : null}
        </Space>
      }
      extra={
        cv.state === 'open' ? (
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
            {resultText(cv)}
          </Typography.Text>
          {cv.limit ? ` （${t('threshold')} ${cv.limit}）` : ''}
        </Descriptions.Item>
        <Descriptions.Item label={t('responsible')}>{ownerName(cv)}</Descriptions.Item>
        <Descriptions.Item label={t('time')}>{dateTime(cv.resultAt ?? cv.detectedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('due')}>
          <Typography.Text type={cv.overdue ? 'danger' : undefined}>{dateTime(cv.dueAt)}</Typography.Text>
        </Descriptions.Item>
        {cv.acknowledgedAt ? (
          <Descriptions.Item label={t('cvAcknowledgedState')}>
            {dateTime(cv.acknowledgedAt)} {partyText(cv.acknowledgedBy)}
            {cv.minutesToAcknowledge !== undefined ? ` · ${cv.minutesToAcknowledge} ${t('minutes')}` : ''}
          </Descriptions.Item>
        ) : null}
        {cv.readBack ? <Descriptions.Item label={t('readBackShort')}>{cv.readBack}</Descriptions.Item> : null}
        {cv.action ? <Descriptions.Item label={t('cvAction')}>{cv.action}</Descriptions.Item> : null}
      </Descriptions>
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('cvChain')}
      </Typography.Title>
      <Timeline
        data-testid="cv-chain"
        items={cv.events.map((e) => ({
          color: COLOR[e.kind],
          children: (
            <div className={`cv-event cv-event-${e.kind}`}>
              <Typography.Text strong>{inLanguage(e.text, lang)}</Typography.Text>{' '}
              <Typography.Text type="secondary">{dateTime(e.at)}</Typography.Text>
              {e.recipients?.length ? <div>{e.recipients.map(partyText).join('、')}</div> : null}
            </div>
          ),
        }))}
      />
      <AcknowledgeDialog cv={cv} open={acking} onClose={() => setAcking(false)} />
    </Card>
  );
}
