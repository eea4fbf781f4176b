/** 影像诊断中心 · Imaging cases: the centre's worklist and the requests of the caller's institution, with statistics. */
import { Button, Card, Checkbox, Space, Statistic, Table, Tabs, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { listCases, stats, type CaseItem } from './api';
import { TX } from './texts';

export default function ImagingCases() {
  const { pick } = useI18n();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'requested' ? 'requested' : 'centre';
  const open = params.get('all') !== '1';
  const q = useQuery({ queryKey: ['imaging-cases', view, open], queryFn: () => listCases(view, open) });
  const s = useQuery({ queryKey: ['imaging-stats'], queryFn: stats });
  const set = (k: string, v: string | undefined) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card
        title={pick(TX.title)}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/imaging/new')} data-testid="new-imaging-request">
            {pick(TX.newRequest)}
          </Button>
        }
      >
        <Tabs
          activeKey={view}
          onChange={(v) => set('view', v === 'centre' ? undefined : v)}
          items={[
            { key: 'centre', label: <span data-testid="tab-centre">{pick(TX.centreView)}</span> },
            { key: 'requested', label: <span data-testid="tab-requested">{pick(TX.requestedView)}</span> },
          ]}
        />
        <Checkbox checked={!open} onChange={(e) => set('all', e.target.checked ? '1' : undefined)} style={{ marginBottom: 12 }}>
          {pick({ zh: '含已完成', en: 'Include finished' })}
        </Checkbox>
        {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
        <Table<CaseItem>
          data-testid="imaging-list"
          rowKey={(r) => r.case.task}
          loading={q.isLoading}
          dataSource={q.data ?? []}
          scroll={{ x: 640 }}
          pagination={{ pageSize: 20 }}
          locale={{ emptyText: pick(TX.empty) }}
          columns={[
            { title: pick(TX.patient), render: (_, r) => r.patient?.display ?? r.case.patient },
            { title: pick(TX.item), render: (_, r) => r.focus?.summary ?? r.case.item },
            {
              title: pick(TX.state),
              render: (_, r) => (
                <Space size={4} wrap>
                  <Tag color={r.state.final ? 'green' : 'blue'}>{pick(r.state.display)}</Tag>
                  {r.overdue ? <Tag color="red">{pick(TX.overdue)}</Tag> : null}
                  {r.case.critical ? <Tag color="red">{pick(TX.critical)}</Tag> : null}
                  {r.case.recognised ? <Tag color="gold">HR</Tag> : null}
                </Space>
              ),
            },
            { title: pick(TX.priority), render: (_, r) => r.task.priority ?? 'routine' },
            { title: pick(TX.requestedAt), render: (_, r) => (r.case.requestedAt ? new Date(r.case.requestedAt).toLocaleString() : '') },
            {
              title: '',
              render: (_, r) => (
                <Link to={`/imaging/cases/${r.case.task}`} data-testid={`open-case-${r.case.task}`}>
                  {pick(TX.open)}
                </Link>
              ),
            },
          ]}
        />
      </Card>
      <Card title={pick(TX.stats)} size="small">
        {s.data ? (
          <Space wrap size="large">
            <Statistic title={pick(TX.reports)} value={s.data.total.reports} />
            <Statistic
              title={pick(TX.positiveRate)}
              value={s.data.total.positiveRate === null ? '—' : `${Math.round(s.data.total.positiveRate * 100)}%`}
            />
            <Statistic title={pick(TX.tatMedian)} value={s.data.total.turnaroundMinutes.median ?? '—'} />
            <Statistic title={pick(TX.critical)} value={s.data.total.critical} />
            <Statistic title={pick(TX.qcRejections)} value={s.data.qcRejections} />
          </Space>
        ) : null}
      </Card>
    </Space>
  );
}
