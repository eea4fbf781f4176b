/**
 * A reading centre's case list: the centre's worklist or the caller's institution's requests (tabs), open only or
 * all, and the centre's statistics. Each centre passes its name, its link base and, if it words states its own way,
 * a state label.
 */
import type { ReactNode } from 'react';
import { Card, Checkbox, Space, Statistic, Table, Tabs, Tag } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router-dom';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { readingApi, type CaseItem, type Centre } from './api';
import { priorityText, RT } from './texts';
import { dateTime } from '../api/format';

export interface CaseTableProps {
  centre: Centre;
  title: string;
  extra?: ReactNode;
  /** The centre's own name of a state, else the workflow's display. */
  stateLabel?: (code: string) => string | undefined;
  testId?: string;
}

export function CaseTable({ centre, title, extra, stateLabel, testId }: CaseTableProps) {
  const { pick } = useI18n();
  const calls = readingApi(centre);
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'requested' ? 'requested' : 'centre';
  const open = params.get('all') !== '1';
  const q = useQuery({ queryKey: [`${centre}-cases`, view, open], queryFn: () => calls.listCases(view, open) });
  const s = useQuery({ queryKey: [`${centre}-stats`], queryFn: calls.stats });
  const set = (k: string, v: string | undefined) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card title={title} extra={extra}>
        <Tabs
          activeKey={view}
          onChange={(v) => set('view', v === 'centre' ? undefined : v)}
          items={[
            { key: 'centre', label: <span data-testid="tab-centre">{pick(RT.centreView)}</span> },
            { key: 'requested', label: <span data-testid="tab-requested">{pick(RT.requestedView)}</span> },
          ]}
        />
        <Checkbox checked={!open} onChange={(e) => set('all', e.target.checked ? '1' : undefined)} style={{ marginBottom: 12 }}>
          {pick(RT.includeFinished)}
        </Checkbox>
        {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
        <Table<CaseItem>
          data-testid={testId ?? `${centre}-list`}
          rowKey={(r) => r.case.task}
          loading={q.isLoading}
          dataSource={q.data ?? []}
          scroll={{ x: 640 }}
          pagination={{ pageSize: 20 }}
          locale={{ emptyText: pick(RT.empty) }}
          columns={[
            { title: pick(RT.patient), render: (_, r) => r.patient?.display ?? r.case.patient },
            { title: pick(RT.item), render: (_, r) => r.focus?.summary ?? r.case.item },
            {
              title: pick(RT.state),
              render: (_, r) => (
                <Space size={4} wrap>
                  <Tag color={r.state.final ? 'green' : 'blue'}>{stateLabel?.(r.state.code) ?? pick(r.state.display)}</Tag>
                  {r.overdue ? <Tag color="red">{pick(RT.overdue)}</Tag> : null}
                  {r.case.critical ? <Tag color="red">{pick(RT.critical)}</Tag> : null}
                  {r.case.recognised ? <Tag color="gold">HR</Tag> : null}
                </Space>
              ),
            },
            { title: pick(RT.priority), render: (_, r) => pick(priorityText(r.task.priority)) },
            { title: pick(RT.requestedAt), render: (_, r) => (r.case.requestedAt ? dateTime(r.case.requestedAt) : '') },
            {
              title: '',
              render: (_, r) => (
                <Link to={`/${centre}/cases/${r.case.task}`} data-testid={`open-case-${r.case.task}`}>
                  {pick(RT.open)}
                </Link>
              ),
            },
          ]}
        />
      </Card>
      <Card title={pick(RT.stats)} size="small">
        {s.data ? (
          <Space wrap size="large">
            <Statistic title={pick(RT.reports)} value={s.data.total.reports} />
            <Statistic
              title={pick(RT.positiveRate)}
              value={s.data.total.positiveRate === null ? '—' : `${Math.round(s.data.total.positiveRate * 100)}%`}
            />
            <Statistic title={pick(RT.tatMedian)} value={s.data.total.turnaroundMinutes.median ?? '—'} />
            <Statistic title={pick(RT.critical)} value={s.data.total.critical} />
            <Statistic title={pick(RT.qcRejections)} value={s.data.qcRejections} />
          </Space>
        ) : null}
      </Card>
    </Space>
  );
}
