/**
 * One consultation: the resident (with the 360 view one click away while the caller may read it), type, mode, state,
 * reason and question, the record items shared, the experts and the session time, opinions, the conclusion, the
 * evaluation and the fees; the step the caller may take now; the history.
 */
import { Button, Card, Descriptions, Empty, List, Rate, Result, Space, Spin, Table, Tag, Typography } from 'antd';
import { ProfileOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError } from '../../api/client';
import { codeText, dateTime } from '../../api/format';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { HistoryTimeline } from '../../tasks/HistoryTimeline';
import { TransitionButtons } from '../../tasks/TransitionButtons';
import { getConsultation, KEY, type ConsultationDetail as Detail, type Opinion } from './api';
import { ConclusionForm, EvaluationForm, ExternalForm, OpinionForm, ScheduleForm } from './StepForms';
import { TX } from './texts';

/** Actions without a form of their own: the shared task buttons (reason dialog for reject and cancel). */
const PLAIN = new Set(['accept', 'reject', 'begin', 'cancel']);

function OpinionItem({ o }: { o: Opinion }) {
  const { pick } = useI18n();
  return (
    <List.Item>
      <List.Item.Meta
        title={
          <Space size={4} wrap>
            <span>{o.practitioner.display ?? o.practitioner.reference}</span>
            {o.role ? <Tag>{pick(TX[o.role])}</Tag> : null}
            <Typography.Text type="secondary">{dateTime(o.date)}</Typography.Text>
            {o.enteredBy ? (
              <Typography.Text type="secondary">{`${pick(TX.enteredBy)}：${o.enteredBy.display ?? o.enteredBy.reference}`}</Typography.Text>
            ) : null}
          </Space>
        }
        description={<Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{o.text}</Typography.Paragraph>}
      />
    </List.Item>
  );
}

function Steps({ c }: { c: Detail }) {
  const state = c.state.code;
  const expert = c.me.expert && c.me.expert.role !== 'external';
  const hasExternal = c.participants.some((p) => p.role === 'external');
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {c.me.centre && state === 'accepted' ? <ScheduleForm c={c} /> : null}
      {c.me.centre && ['accepted', 'scheduled', 'in-session'].includes(state) ? <ExternalForm c={c} /> : null}
      {expert && state === 'in-session' ? <OpinionForm c={c} forExternal={false} /> : null}
      {c.me.centre && hasExternal && state === 'in-session' ? <OpinionForm c={c} forExternal /> : null}
      {c.me.expert?.role === 'lead' && state === 'in-session' ? <ConclusionForm c={c} /> : null}
      {c.me.requester && state === 'concluded' ? <EvaluationForm c={c} /> : null}
    </Space>
  );
}

export default function ConsultationDetail() {
  const { id = '' } = useParams();
  const { pick, t } = useI18n();
  const navigate = useNavigate();
  const q = useQuery({ queryKey: [...KEY, 'detail', id], queryFn: () => getConsultation(id) });
  if (q.isLoading) return <Spin style={{ margin: 48 }} />;
  if (q.error instanceof ApiError && q.error.status === 404)
    return (
      <Result
        status="404"
        title={pick(TX.notFound)}
        extra={<Link to="/consultation">{pick(TX.back)}</Link>}
        data-testid="consultation-not-found"
      />
    );
  if (q.error || !q.data) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  const c = q.data;
  const patientId = c.patient?.reference?.startsWith('Patient/') ? c.patient.reference.slice(8) : undefined;
  // Experts read the record only while the consultation is open; the requester and the centre keep their own access.
  const canOpenRecord = !!patientId && (c.me.requester || c.me.centre || c.access.open);
  return (
    <Card
      data-testid="consultation-detail"
      title={
        <Space wrap size={4}>
          <span>{pick(TX.title)}</span>
          <Tag color={c.kind === 'mdt' ? 'purple' : 'blue'}>{pick(TX[c.kind])}</Tag>
          <Tag color={c.mode === 'instant' ? 'red' : 'default'}>{pick(TX[c.mode])}</Tag>
          <Tag color={c.state.final ? 'default' : 'processing'} data-testid="consultation-state">
            {pick(c.state.display)}
          </Tag>
          {c.overdue ? <Tag color="red">{t('overdue')}</Tag> : null}
        </Space>
      }
      extra={
        canOpenRecord ? (
          <Button icon={<ProfileOutlined />} onClick={() => navigate(`/patients/${patientId}`)} data-testid="open-360">
            {pick(TX.open360)}
          </Button>
        ) : null
      }
    >
      <Space direction="vertical" style={{ width: '100%' }} size="middle">
        <TransitionButtons taskId={c.task.id as string} actions={c.allowedActions.filter((a) => PLAIN.has(a.action))} size="middle" />
        <Descriptions size="small" bordered column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label={pick(TX.resident)}>{c.patient?.display || '—'}</Descriptions.Item>
          <Descriptions.Item label={pick(TX.created)}>{dateTime(c.createdAt)}</Descriptions.Item>
          <Descriptions.Item label={pick(TX.from)}>
            {c.from?.display ?? '—'}
            {c.serviceRequest.requester?.display ? ` · ${c.serviceRequest.requester.display}` : ''}
          </Descriptions.Item>
          <Descriptions.Item label={pick(TX.centre)}>{c.to?.display ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={pick(TX.reason)} span={2}>
            <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: 0 }} data-testid="consultation-reason-text">
              {c.reason ?? '—'}
            </Typography.Paragraph>
          </Descriptions.Item>
          {c.question ? (
            <Descriptions.Item label={pick(TX.question)} span={2}>
              {c.question}
            </Descriptions.Item>
          ) : null}
          {c.specialties.length ? (
            <Descriptions.Item label={pick(TX.specialties)} span={2}>
              {c.specialties.map((s) => (
                <Tag key={s}>{s}</Tag>
              ))}
            </Descriptions.Item>
          ) : null}
          {c.requestedTime ? <Descriptions.Item label={pick(TX.requestedTime)}>{dateTime(c.requestedTime)}</Descriptions.Item> : null}
          {c.scheduledTime ? <Descriptions.Item label={pick(TX.scheduledTime)}>{dateTime(c.scheduledTime)}</Descriptions.Item> : null}
          <Descriptions.Item label={pick(TX.shared)} span={2}>
            {c.attachments.length
              ? c.attachments.map((a) => {
                  const r = a.resource as { resourceType: string; code?: Parameters<typeof codeText>[0] } | null;
                  return <Tag key={a.reference}>{r ? codeText(r.code) || r.resourceType : a.reference}</Tag>;
                })
              : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={pick(TX.participants)} span={2}>
            <Space direction="vertical" size={2} data-testid="consultation-participants">
              {c.participants.length
                ? c.participants.map((p) => (
                    <span key={p.reference}>
                      <Tag color={p.role === 'lead' ? 'gold' : p.role === 'external' ? 'cyan' : 'default'}>{pick(TX[p.role])}</Tag>
                      {p.display ?? p.reference}
                      {p.organization?.display ? ` · ${p.organization.display}` : ''}
                    </span>
                  ))
                : '—'}
              {c.participants.length ? (
                <Typography.Text type="secondary">{pick(c.access.open ? TX.accessOpen : TX.accessClosed)}</Typography.Text>
              ) : null}
            </Space>
          </Descriptions.Item>
        </Descriptions>
        <Steps c={c} />
        <Typography.Title level={5} style={{ margin: 0 }}>
          {pick(TX.opinions)}
        </Typography.Title>
        {c.opinions.length ? (
          <List size="small" dataSource={c.opinions} renderItem={(o) => <OpinionItem o={o} />} data-testid="consultation-opinions" />
        ) : (
          <Empty description={pick(TX.noOpinions)} image={Empty.PRESENTED_IMAGE_SIMPLE} />
        )}
        {c.conclusion ? (
          <Card size="small" title={pick(TX.conclusion)} data-testid="consultation-conclusion">
            <Typography.Paragraph style={{ whiteSpace: 'pre-wrap' }}>{c.conclusion.text}</Typography.Paragraph>
            {c.conclusion.recommendation ? (
              <Typography.Paragraph>
                {pick(TX.recommendation)}：{c.conclusion.recommendation}
              </Typography.Paragraph>
            ) : null}
            <Typography.Text type="secondary">
              {c.conclusion.practitioner.display} · {dateTime(c.conclusion.date)}
            </Typography.Text>
          </Card>
        ) : null}
        {c.evaluation ? (
          <Space data-testid="consultation-evaluation">
            <span>{pick(TX.evaluation)}</span>
            <Rate disabled value={c.evaluation.score} />
            {c.evaluation.comment ? <Typography.Text>{c.evaluation.comment}</Typography.Text> : null}
          </Space>
        ) : null}
        {c.charges.length ? (
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={c.charges}
            data-testid="consultation-fees"
            title={() => pick(TX.fees)}
            footer={() => `${pick(TX.feesTotal)}：¥${c.feesTotal}`}
            columns={[
              { title: pick(TX.feeItem), dataIndex: 'display' },
              { title: '×', dataIndex: 'quantity' },
              { title: '¥', dataIndex: 'amount' },
              { title: pick(TX.priceVersion), dataIndex: 'priceVersion' },
            ]}
          />
        ) : null}
        <Typography.Title level={5} style={{ margin: 0 }}>
          {pick(TX.history)}
        </Typography.Title>
        <HistoryTimeline entries={c.history} testId="consultation-history" />
      </Space>
    </Card>
  );
}
