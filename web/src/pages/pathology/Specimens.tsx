/**
 * The case's specimens, blocks and slides with their cold-ischaemia badge (red over the catalogue's limit), and the
 * centre's receipt (接收) or rejection with a standard reason (拒收) of the selected specimens.
 */
import { useState } from 'react';
import { Button, Input, Select, Space, Table, Tag } from 'antd';
import { useI18n } from '../../i18n';
import { nameOf, type Catalogue, type SpecimenView } from './api';
import { PT } from './texts';

export interface SpecimensProps {
  specimens: SpecimenView[];
  catalogue?: Catalogue;
  /** The centre may receive or reject now (state requested; rejection also while claimed). */
  canReceive: boolean;
  canReject: boolean;
  busy: boolean;
  onStep: (step: 'receive' | 'qc-reject', body: Record<string, unknown>) => void;
}

export function Specimens({ specimens, catalogue, canReceive, canReject, busy, onStep }: SpecimensProps) {
  const { pick } = useI18n();
  const [selected, setSelected] = useState<string[]>([]);
  const [reason, setReason] = useState<string>();
  const [note, setNote] = useState('');
  const limit = catalogue?.coldIschaemiaLimitMinutes ?? 60;
  // The catalogue's name of the reason; until it has loaded, the name the Specimen carries.
  const reasonOf = (r: SpecimenView) =>
    catalogue
      ? nameOf(catalogue.rejectionReasons, r.rejectReason, pick)
      : (r.resource?.condition?.flatMap((c) => c.coding ?? []).find((c) => c.code === r.rejectReason)?.display ?? r.rejectReason);
  const selectable = specimens.filter((s) => s.kind === 'specimen' && s.status !== 'rejected').map((s) => s.id);
  return (
    <>
      <Table<SpecimenView>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={specimens}
        data-testid="pathology-specimens"
        rowSelection={
          canReceive || canReject
            ? {
                selectedRowKeys: selected,
                onChange: (k) => setSelected(k as string[]),
                getCheckboxProps: (r) => ({ disabled: !selectable.includes(r.id), 'data-testid': `select-specimen-${r.label}` }),
              }
            : undefined
        }
        columns={[
          {
            title: pick(PT.label),
            dataIndex: 'label',
            render: (v: string, r) =>
              r.kind === 'specimen' ? <b>{v}</b> : <span style={{ paddingLeft: r.kind === 'slide' ? 32 : 16 }}>{v}</span>,
          },
          { title: pick(PT.type), dataIndex: 'type', render: (v: string) => nameOf(catalogue?.specimenTypes, v, pick) },
          {
            title: `${pick(PT.cold)} (≤ ${limit} ${pick(PT.minutes)})`,
            dataIndex: 'coldIschaemiaMinutes',
            render: (v: number | null, r) =>
              v === null ? null : (
                <Tag color={r.overLimit ? 'red' : 'green'} data-testid={`cold-${r.label}`}>
                  {v} {pick(PT.minutes)}
                  {r.overLimit ? ` · ${pick(PT.overLimit)}` : ''}
                </Tag>
              ),
          },
          {
            title: pick(PT.status),
            dataIndex: 'status',
            render: (v: SpecimenView['status'], r) => (
              <Space data-testid={`specimen-status-${r.label}`}>
                <Tag color={v === 'rejected' ? 'red' : v === 'received' ? 'green' : undefined}>{pick(PT.specimenStatus[v])}</Tag>
                {r.rejectReason ? reasonOf(r) : null}
              </Space>
            ),
          },
        ]}
      />
      {canReceive || canReject ? (
        <Space wrap style={{ marginTop: 12 }}>
          {canReceive ? (
            <Button
              type="primary"
              disabled={!selected.length}
              loading={busy}
              data-testid="pathology-receive"
              onClick={() => {
                onStep('receive', { specimens: selected.map((id) => ({ id })) });
                setSelected([]);
              }}
            >
              {pick(PT.receive)}
            </Button>
          ) : null}
          {canReject ? (
            <>
              <Select
                placeholder={pick(PT.rejectReason)}
                style={{ width: 220 }}
                value={reason}
                onChange={setReason}
                data-testid="pathology-reject-reason"
                options={(catalogue?.rejectionReasons ?? []).map((r) => ({ value: r.code, label: pick({ zh: r.display, en: r.en }) }))}
              />
              <Input placeholder={pick(PT.note)} value={note} onChange={(e) => setNote(e.target.value)} style={{ width: 200 }} />
              <Button
                danger
                disabled={!reason}
                loading={busy}
                data-testid="pathology-reject"
                onClick={() => {
                  onStep('qc-reject', { reason, ...(note ? { note } : {}), ...(selected.length ? { specimens: selected } : {}) });
                  setSelected([]);
                }}
              >
                {pick(PT.reject)}
              </Button>
            </>
          ) : null}
        </Space>
      ) : null}
    </>
  );
}
