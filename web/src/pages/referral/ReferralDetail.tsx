/** One referral: resident, direction, institutions, reason, diagnoses, summary, attachments, slot, follow-up plan,
 *  state, follow-up tasks and history; the actions the caller may take; the printable form (PDF). */
import { App, Button, Card, Descriptions, Result, Space, Spin, Tag, Typography } from 'antd';
import { PrinterOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../../api/client';
import { dateTime } from '../../api/format';
import { useAuth } from '../../auth';
import { ErrorAlert, useErrorText } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { followUpPlanOf, getReferral, openForm, partyName, shortDept, slotOf, summaryOf } from '../../referral/api';
import { attachmentText } from '../../referral/attachments';
import { DirectionTag, StateTag, UrgencyTag } from '../../referral/labels';
import { ReferralActions } from '../../referral/ReferralActions';
import { HistoryTimeline } from '../../tasks/HistoryTimeline';
import { WorkTable } from '../../tasks/WorkTable';

/** States after which a hospital that received an up-referral may send the resident back down. */
const REFER_DOWN_FROM = new Set(['accepted', 'arrived', 'completed']);

export default function ReferralDetail() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const { me } = useAuth();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const q = useQuery({ queryKey: ['referrals', 'detail', id], queryFn: () => getReferral(id) });
  if (q.isLoading) return <Spin style={{ margin: 48 }} />;
  if (q.error instanceof ApiError && q.error.status === 404)
    return (
      <Result
        status="404"
        title={t('referralNotFound')}
        extra={<Link to="/referrals">{t('backToReferrals')}</Link>}
        data-testid="referral-not-found"
      />
    );
  if (q.error || !q.data) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  const r = q.data;
  const received = r.task.owner?.reference === `Organization/${me?.organizationId ?? ''}`;
  const canReferDown = r.direction === 'up' && received && REFER_DOWN_FROM.has(r.state.code);
  const patientId = r.patient?.reference?.startsWith('Patient/') ? r.patient.reference.slice(8) : undefined;
  const down = r.direction === 'down';
  const plan = followUpPlanOf(r);
  const slot = slotOf(r);
  return (
    <Card
      data-testid="referral-detail"
      title={
        <Space wrap size={4}>
          <span>{t('referral')}</span>
          <DirectionTag direction={r.direction} />
          <UrgencyTag urgency={r.urgency} />
          <StateTag referral={r} />
          {r.overdue ? <Tag color="red">{t('overdue')}</Tag> : null}
        </Space>
      }
      extra={
        <Button
          icon={<PrinterOutlined />}
          onClick={() => void openForm(r.id).catch((e: unknown) => void message.error(errorText(e)))}
          data-testid="referral-pdf"
        >
          {t('printForm')}
        </Button>
      }
    >
      <Space direction="vertical" style={{ width: '100%' }} size="middle">
        <ReferralActions referral={r} canReferDown={canReferDown} />
        <Descriptions size="small" bordered column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label={t('resident')}>
            {patientId ? <Link to={`/patients/${patientId}`}>{r.patient?.display || t('open')}</Link> : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('date')}>{dateTime(r.createdAt)}</Descriptions.Item>
          <Descriptions.Item label={t('fromInstitution')}>
            {partyName(r.from)}
            {r.serviceRequest.requester?.display ? ` · ${r.serviceRequest.requester.display}` : ''}
          </Descriptions.Item>
          <Descriptions.Item label={t('toInstitution')}>
            {partyName(r.to)}
            {r.department ? ` · ${shortDept(r)}` : ''}
          </Descriptions.Item>
          <Descriptions.Item label={t('referralReason')} span={2}>
            <span data-testid="referral-reason-text">{r.reason ?? '—'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('diagnosis')} span={2}>
            {r.diagnosis.map((d, i) => (
              <Tag key={i}>
                {d.display}
                {d.code ? ` ${d.code}` : ''}
              </Tag>
            ))}
          </Descriptions.Item>
          <Descriptions.Item label={down ? t('dischargeSummary') : t('clinicalSummary')} span={2}>
            <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: 0 }} data-testid="referral-summary-text">
              {summaryOf(r) || '—'}
            </Typography.Paragraph>
          </Descriptions.Item>
          {plan ? (
            <Descriptions.Item label={t('followUpPlan')} span={2}>
              <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: 0 }} data-testid="follow-up-plan-text">
                {plan}
              </Typography.Paragraph>
            </Descriptions.Item>
          ) : null}
          {r.attachments.length ? (
            <Descriptions.Item label={t('attachments')} span={2}>
              {r.attachments.map((a) => (
                <Tag key={a.reference}>{attachmentText(a)}</Tag>
              ))}
            </Descriptions.Item>
          ) : null}
          {slot ? (
            <Descriptions.Item label={t('reserve')} span={2}>
              {slot.kind === 'bed' ? t('slotBed') : t('slotOutpatient')} {dateTime(slot.start)}
            </Descriptions.Item>
          ) : null}
          {r.due && !r.state.final ? (
            <Descriptions.Item label={t('due')}>
              <Typography.Text type={r.overdue ? 'danger' : undefined}>{dateTime(r.due)}</Typography.Text>
            </Descriptions.Item>
          ) : null}
        </Descriptions>
        {r.followUpTasks.length ? (
          <>
            <Typography.Title level={5} style={{ margin: 0 }}>
              {t('followUpTasksOf')}
            </Typography.Title>
            <WorkTable items={r.followUpTasks} testId="referral-follow-ups" />
          </>
        ) : null}
        <Typography.Title level={5} style={{ margin: 0 }}>
          {t('history')}
        </Typography.Title>
        <HistoryTimeline entries={r.history} testId="referral-history" />
      </Space>
    </Card>
  );
}
