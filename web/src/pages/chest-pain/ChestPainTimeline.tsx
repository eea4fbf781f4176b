/**
 * A chest-pain record's time-line (胸痛中心时间轴): each milestone with its time, a form to record one (the server
 * checks it is known, not in the future and in order), and the intervals against their targets (FMC→ECG ≤ 10 min,
 * D2B ≤ 90 min, FMC→balloon ≤ 120 min), met or not.
 */
import { useState } from 'react';
import { Button, DatePicker, Select, Space, Table, Tag, Timeline, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMutation } from '@tanstack/react-query';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { recordMilestone, type ChestPainRecord } from '../ecg/api';
import { ET } from '../ecg/texts';

export function ChestPainTimeline({ record, onChange }: { record: ChestPainRecord; onChange: (r: ChestPainRecord) => void }) {
  const { pick } = useI18n();
  const [milestone, setMilestone] = useState<string>();
  const [at, setAt] = useState<Dayjs | null>(dayjs());
  const save = useMutation({
    mutationFn: () => recordMilestone(record.id, milestone!, at!.toISOString()),
    onSuccess: onChange,
  });
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="chest-pain-timeline">
      <Timeline
        items={record.milestones.map((m) => ({
          color: m.at ? 'green' : 'gray',
          children: (
            <span data-testid={`milestone-${m.code}`}>
              {pick(m)}：{m.at ? new Date(m.at).toLocaleString() : pick(ET.pending)}
            </span>
          ),
        }))}
      />
      {record.status === 'active' ? (
        <Space wrap>
          <Select
            style={{ minWidth: 220 }}
            placeholder={pick(ET.milestone)}
            value={milestone}
            onChange={setMilestone}
            data-testid="milestone-select"
            options={record.milestones.map((m) => ({ value: m.code, label: pick(m) }))}
          />
          <DatePicker showTime value={at} onChange={setAt} />
          <Button
            type="primary"
            disabled={!milestone || !at}
            loading={save.isPending}
            onClick={() => save.mutate()}
            data-testid="milestone-save"
          >
            {pick(ET.record)}
          </Button>
        </Space>
      ) : null}
      {save.error ? <ErrorAlert error={save.error} /> : null}
      <Table
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={record.intervals}
        columns={[
          { title: pick(ET.interval), render: (_, i) => pick(i) },
          { title: pick(ET.minutes), render: (_, i) => (i.minutes === null ? '—' : i.minutes) },
          { title: pick(ET.target), render: (_, i) => `≤ ${i.target}` },
          {
            title: '',
            render: (_, i) =>
              i.met === null ? (
                <Typography.Text type="secondary">{pick(ET.pending)}</Typography.Text>
              ) : (
                <Tag color={i.met ? 'green' : 'red'}>{pick(i.met ? ET.met : ET.notMet)}</Tag>
              ),
          },
        ]}
      />
    </Space>
  );
}
