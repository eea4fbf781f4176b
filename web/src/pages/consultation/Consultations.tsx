/** 远程会诊 · Consultations: addressed to our centre, requested by us, or where I am an invited expert; statistics. */
import { Button, Card, Descriptions, Space, Table, Tabs, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { dateTime } from '../../api/format';
import { useAuth } from '../../auth';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { consultationStats, KEY, listConsultations, type Consultation, type View } from './api';
import { TX } from './texts';

const VIEWS: View[] = ['incoming', 'outgoing', 'expert'];

function ConsultationTable({ view }: { view: View }) {
  const { pick } = useI18n();
  const q = useQuery({ queryKey: [...KEY, 'list', view], queryFn: () => listConsultations({ view }) });
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  return (
    <Table<Consultation>
      rowKey="id"
      size="small"
      loading={q.isLoading}
      dataSource={q.data ?? []}
      data-testid={`consultations-${view}`}
      pagination={{ pageSize: 20, hideOnSinglePage: true }}
      columns={[
        { title: pick(TX.resident), render: (_, c) => <Link to={`/consultation/${c.id}`}>{c.patient?.display || c.id}</Link> },
        { title: pick(TX.kind), render: (_, c) => <Tag color={c.kind === 'mdt' ? 'purple' : 'blue'}>{pick(TX[c.kind])}</Tag> },
        { title: pick(TX.mode), render: (_, c) => (c.mode === 'instant' ? <Tag color="red">{pick(TX.instant)}</Tag> : pick(TX.scheduled)) },
        { title: pick(TX.from), render: (_, c) => c.from?.display ?? '—' },
        { title: pick(TX.centre), render: (_, c) => c.to?.display ?? '—' },
        {
          title: pick(TX.state),
          render: (_, c) => <Tag color={c.overdue ? 'red' : c.state.final ? 'default' : 'processing'}>{pick(c.state.display)}</Tag>,
        },
        { title: pick(TX.created), render: (_, c) => dateTime(c.createdAt) },
      ]}
    />
  );
}

function Stats() {
  const { pick } = useI18n();
  const q = useQuery({ queryKey: [...KEY, 'stats'], queryFn: () => consultationStats() });
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  const s = q.data;
  const pair = (x?: { median: number | null; p90: number | null }) => `${x?.median ?? '—'} / ${x?.p90 ?? '—'}`;
  return (
    <Descriptions size="small" bordered column={{ xs: 1, md: 2 }} data-testid="consultation-stats">
      <Descriptions.Item label={pick(TX.total)}>{s?.total ?? '—'}</Descriptions.Item>
      <Descriptions.Item label={`${pick(TX.single)} / ${pick(TX.mdt)}`}>
        {s ? `${s.byKind.single} / ${s.byKind.mdt}` : '—'}
      </Descriptions.Item>
      <Descriptions.Item label={pick(TX.acceptHours)}>{pair(s?.hoursToAcceptance)}</Descriptions.Item>
      <Descriptions.Item label={pick(TX.concludeHours)}>{pair(s?.hoursToConclusion)}</Descriptions.Item>
      <Descriptions.Item label={pick(TX.meanScore)}>{s?.evaluation.meanScore ?? '—'}</Descriptions.Item>
      <Descriptions.Item label={pick(TX.externalShare)}>
        {s?.external.share === null || !s ? '—' : `${Math.round(s.external.share * 100)}%`}
      </Descriptions.Item>
      <Descriptions.Item label={pick(TX.fees)}>{s ? `¥${s.fees.total}` : '—'}</Descriptions.Item>
    </Descriptions>
  );
}

export default function Consultations() {
  const { pick } = useI18n();
  const { has } = useAuth();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const fallback: View = has('county-specialist') ? 'incoming' : 'outgoing';
  const tab = params.get('view') ?? fallback;
  return (
    <Card
      title={pick(TX.title)}
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/consultation/new')} data-testid="new-consultation">
          {pick(TX.newRequest)}
        </Button>
      }
    >
      <Space direction="vertical" style={{ width: '100%' }}>
        <Tabs
          activeKey={tab}
          onChange={(k) => setParams({ view: k }, { replace: true })}
          items={[
            ...VIEWS.map((v) => ({ key: v, label: pick(TX[v]), children: <ConsultationTable view={v} /> })),
            { key: 'stats', label: pick(TX.stats), children: <Stats /> },
          ]}
        />
      </Space>
    </Card>
  );
}
