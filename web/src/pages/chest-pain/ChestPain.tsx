/** 胸痛中心 · Chest-pain records the caller's side may see (open ones first), each with its time-line and intervals. */
import { Card, Checkbox, Collapse, Empty, Space, Tag } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { chestPainList, chestPainRecord, type ChestPainRecord } from '../ecg/api';
import { ET } from '../ecg/texts';
import { ChestPainTimeline } from './ChestPainTimeline';

export default function ChestPain() {
  const { pick } = useI18n();
  const { id } = useParams();
  const [params, setParams] = useSearchParams();
  const open = params.get('all') !== '1';
  const qc = useQueryClient();
  const key = ['chest-pain', id ?? '', open];
  const q = useQuery({ queryKey: key, queryFn: async () => (id ? [await chestPainRecord(id)] : chestPainList(open)) });
  const replace = (r: ChestPainRecord) =>
    qc.setQueryData(
      key,
      (q.data ?? []).map((x) => (x.id === r.id ? r : x)),
    );
  return (
    <Card
      title={pick(ET.chestPainList)}
      extra={
        id ? null : (
          <Checkbox checked={open} onChange={(e) => setParams(e.target.checked ? {} : { all: '1' }, { replace: true })}>
            {pick(ET.openOnly)}
          </Checkbox>
        )
      }
    >
      {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
      {q.data && !q.data.length ? <Empty /> : null}
      <Collapse
        defaultActiveKey={id ? [id] : []}
        items={(q.data ?? []).map((r) => ({
          key: r.id,
          label: (
            <Space wrap>
              <Tag color={r.status === 'active' ? 'red' : 'default'}>{r.status}</Tag>
              {pick(ET.opened)} {new Date(r.openedAt).toLocaleString()}
              {r.task ? <Link to={`/ecg/cases/${r.task}`}>{pick(ET.tracing)}</Link> : null}
            </Space>
          ),
          children: <ChestPainTimeline record={r} onChange={replace} />,
        }))}
      />
    </Card>
  );
}
