/** 病理质量指标 · Quality indicators of the last 30 days: rejection rate, cold ischaemia, turnaround (server: quality.ts). */
import { Card, Col, Row, Statistic, Table } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { quality, type QualityFigures } from './api';
import { PT } from './texts';

const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 1000) / 10}%`);
const num = (v: number | null) => (v === null ? '—' : v);

export default function PathologyQuality() {
  const { pick } = useI18n();
  const q = useQuery({ queryKey: ['pathology-quality'], queryFn: quality });
  if (q.error) return <ErrorAlert error={q.error} onRetry={() => void q.refetch()} />;
  const d = q.data;
  const figures = (f?: QualityFigures) =>
    [
      [PT.arrived, f?.arrived ?? '—'],
      [PT.rejectionRate, pct(f?.rejectionRate ?? null)],
      [PT.coldMedian, num(f?.coldIschaemiaMinutes.median ?? null)],
      [PT.coldP90, num(f?.coldIschaemiaMinutes.p90 ?? null)],
      [PT.withinLimit, pct(f?.coldIschaemiaMinutes.withinLimitShare ?? null)],
      [PT.tatMedian, num(f?.turnaroundMinutes.median ?? null)],
      [PT.tatP90, num(f?.turnaroundMinutes.p90 ?? null)],
    ] as const;
  return (
    <Card title={`${pick(PT.title)} · ${pick(PT.quality)}`} loading={q.isLoading} data-testid="pathology-quality">
      <Row gutter={[16, 16]}>
        {figures(d?.total).map(([label, value]) => (
          <Col key={label.en} xs={12} md={6} lg={3}>
            <Statistic title={pick(label)} value={value} />
          </Col>
        ))}
      </Row>
      <Card size="small" title={pick(PT.byReason)} style={{ marginTop: 16 }}>
        <Table
          size="small"
          rowKey="reason"
          pagination={false}
          dataSource={d?.rejectionsByReason ?? []}
          columns={[
            { title: pick(PT.rejectReason), dataIndex: 'display' },
            { title: pick(PT.rejected), dataIndex: 'rejected' },
            { title: pick(PT.rejectionRate), dataIndex: 'share', render: pct },
          ]}
        />
      </Card>
      <Card size="small" title={pick(PT.byRequester)} style={{ marginTop: 16 }}>
        <Table
          size="small"
          rowKey="organization"
          pagination={false}
          dataSource={d?.byRequester ?? []}
          columns={[
            { title: pick(PT.byRequester), dataIndex: 'organization' },
            { title: pick(PT.arrived), dataIndex: 'arrived' },
            { title: pick(PT.rejected), dataIndex: 'rejected' },
            { title: pick(PT.rejectionRate), dataIndex: 'rejectionRate', render: pct },
          ]}
        />
      </Card>
      <Card size="small" title={pick(PT.byItem)} style={{ marginTop: 16 }}>
        <Table
          size="small"
          rowKey="item"
          pagination={false}
          dataSource={d?.byItem ?? []}
          columns={[
            { title: pick(PT.byItem), dataIndex: 'item' },
            ...figures().map(([label], i) => ({
              title: pick(label),
              key: label.en,
              render: (_: unknown, r: QualityFigures) => figures(r)[i]![1],
            })),
          ]}
        />
      </Card>
    </Card>
  );
}
