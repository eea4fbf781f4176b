/**
 * 开具病理检查申请 · New pathology request: resident, item, operation/biopsy site, clinical information, priority and
 * one row per specimen container (type, site, label, pieces, removal and fixation times, fixative). Times are sent as
 * instants with the browser's zone; the server checks them (fixed before removed, in the future) and names the field.
 */
import { useState } from 'react';
import { Button, Card, Form, Input, InputNumber, Select, Space } from 'antd';
import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { PatientPicker } from '../../referral/PatientPicker';
import { readingApi } from '../../reading/api';
import { RT } from '../../reading/texts';
import { catalogue, createRequest, labStep, type CaseDetail } from './api';
import { PT } from './texts';

interface SpecimenValues {
  type: string;
  site: string;
  label: string;
  count: number;
  collected: string;
  fixed?: string;
  fixative?: string;
}
interface Values {
  patient: string;
  item: string;
  site: string;
  priority: string;
  reason: string;
  specimens: SpecimenValues[];
}

/** <input type="datetime-local"> gives local wall time; the server wants an instant. */
const instant = (local?: string) => (local ? new Date(local).toISOString() : undefined);

/** A container label not used yet in the case (the server refuses a repeated one): A, B … or, taken, A2, A3 … */
function freeLabel(used: Set<string>, wanted: string): string {
  if (!used.has(wanted)) return wanted;
  for (let i = 2; ; i++) if (!used.has(`${wanted}${i}`)) return `${wanted}${i}`;
}

/** A resubmission starts from the rejected specimens (type, site, pieces, fixative) under new labels; times are new. */
function resubmitRows(d: CaseDetail): Partial<SpecimenValues>[] {
  const used = new Set(d.specimens.map((s) => s.label));
  const rejected = d.specimens.filter((s) => s.kind === 'specimen' && s.status === 'rejected');
  return (rejected.length ? rejected : [undefined]).map((s) => {
    const label = freeLabel(used, s?.label ?? 'A');
    used.add(label);
    return {
      label,
      count: s?.resource?.collection?.quantity?.value ?? 1,
      ...(s ? { type: s.type } : {}),
      ...(s?.resource?.collection?.bodySite?.text ? { site: s.resource.collection.bodySite.text } : {}),
      ...(s?.resource?.processing?.[0]?.procedure?.coding?.[0]?.code
        ? { fixative: s.resource.processing[0].procedure.coding[0].code }
        : {}),
    };
  });
}

export default function NewPathologyRequest() {
  const { pick, lang } = useI18n();
  const navigate = useNavigate();
  const [form] = Form.useForm<Values>();
  const cat = useQuery({ queryKey: ['pathology-catalogue'], queryFn: catalogue });
  const [error, setError] = useState<unknown>();
  // ?resubmit=<task>&item=<code>: new specimens for a rejected case (重新送检), the request itself unchanged.
  const [params] = useSearchParams();
  const resubmit = params.get('resubmit');
  const qc = useQueryClient();
  // The rejected case (the same query as its page): its specimens prefill the form and their labels are taken.
  const rejected = useQuery({
    queryKey: ['pathology-case', resubmit],
    enabled: !!resubmit,
    queryFn: () => readingApi<CaseDetail>('pathology').caseDetail(resubmit!),
  });
  const itemCode = Form.useWatch('item', form) ?? params.get('item');
  const item = cat.data?.items.find((i) => i.code === itemCode);
  const create = useMutation({
    mutationFn: async (v: Values) => {
      const specimens = v.specimens.map((s) => ({ ...s, collected: instant(s.collected), fixed: instant(s.fixed) }));
      if (resubmit) return labStep(resubmit, 'resubmit', { specimens }).then(() => ({ task: resubmit }));
      return createRequest({ ...v, specimens });
    },
    onSuccess: async (r) => {
      if (resubmit) await qc.invalidateQueries({ queryKey: ['pathology-case', resubmit] });
      navigate(`/pathology/cases/${r.task}`);
    },
    onError: setError,
  });
  if (resubmit && rejected.error) return <ErrorAlert error={rejected.error} onRetry={() => void rejected.refetch()} />;
  if (resubmit && !rejected.data) return <Card loading />;
  /** The next container label: the first letter not used in the form (nor, resubmitting, in the case). */
  const nextLabel = () => {
    const used = new Set([
      ...(rejected.data?.specimens ?? []).map((s) => s.label),
      ...((form.getFieldValue('specimens') ?? []) as Partial<SpecimenValues>[]).map((s) => s?.label ?? ''),
    ]);
    return [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'].find((l) => !used.has(l)) ?? freeLabel(used, 'A');
  };
  const types = (cat.data?.specimenTypes ?? []).filter((t) => !t.derived && (!item || item.specimenTypes.includes(t.code)));
  return (
    <Card title={pick(resubmit ? PT.resubmit : PT.newRequest)} style={{ maxWidth: 980 }}>
      {error ? <ErrorAlert error={error} /> : null}
      <Form<Values>
        form={form}
        layout="vertical"
        initialValues={{ priority: 'routine', specimens: rejected.data ? resubmitRows(rejected.data) : [{ label: 'A', count: 1 }] }}
        onFinish={(v) => create.mutate(v)}
      >
        {resubmit ? null : (
          <>
            <Form.Item name="patient" label={pick(RT.patient)} rules={[{ required: true }]}>
              <PatientPicker id="pathology-patient" />
            </Form.Item>
            <Space wrap>
              <Form.Item name="item" label={pick(RT.item)} rules={[{ required: true }]}>
                <Select
                  style={{ width: 280 }}
                  id="pathology-item"
                  data-testid="pathology-item"
                  options={(cat.data?.items ?? []).map((i) => ({ value: i.code, label: lang === 'zh' ? i.name : i.nameEn }))}
                />
              </Form.Item>
              <Form.Item name="site" label={pick(PT.site)} rules={[{ required: true }]}>
                <Input style={{ width: 240 }} data-testid="pathology-site" />
              </Form.Item>
              <Form.Item name="priority" label={pick(RT.priority)}>
                <Select
                  style={{ width: 140 }}
                  options={['routine', 'urgent', 'stat'].map((p) => ({ value: p, label: pick(RT[p as 'routine']) }))}
                />
              </Form.Item>
            </Space>
            <Form.Item name="reason" label={pick(RT.reason)} rules={[{ required: true, min: 2 }]}>
              <Input.TextArea rows={2} data-testid="pathology-reason" />
            </Form.Item>
          </>
        )}
        <Form.List name="specimens">
          {(fields, { add, remove }) => (
            <Card size="small" title={pick(PT.specimens)}>
              {fields.map((f) => (
                <Space key={f.key} wrap align="end">
                  <Form.Item name={[f.name, 'type']} label={pick(PT.type)} rules={[{ required: true }]}>
                    <Select
                      style={{ width: 170 }}
                      id={`specimen-${f.name}-type`}
                      options={types.map((t) => ({ value: t.code, label: lang === 'zh' ? t.display : t.en }))}
                    />
                  </Form.Item>
                  <Form.Item name={[f.name, 'site']} label={pick(PT.specimenSite)} rules={[{ required: true }]}>
                    <Input style={{ width: 120 }} data-testid={`specimen-${f.name}-site`} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'label']} label={pick(PT.label)} rules={[{ required: true }]}>
                    <Input style={{ width: 70 }} data-testid={`specimen-${f.name}-label`} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'count']} label={pick(PT.count)}>
                    <InputNumber min={1} max={50} style={{ width: 70 }} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'collected']} label={pick(PT.collected)} rules={[{ required: true }]}>
                    <Input type="datetime-local" data-testid={`specimen-${f.name}-collected`} />
                  </Form.Item>
                  {item?.fixation !== 'none' ? (
                    <>
                      <Form.Item name={[f.name, 'fixed']} label={pick(PT.fixed)} rules={[{ required: true }]}>
                        <Input type="datetime-local" data-testid={`specimen-${f.name}-fixed`} />
                      </Form.Item>
                      <Form.Item name={[f.name, 'fixative']} label={pick(PT.fixative)} rules={[{ required: true }]}>
                        <Select
                          style={{ width: 190 }}
                          id={`specimen-${f.name}-fixative`}
                          options={(cat.data?.fixatives ?? []).map((x) => ({ value: x.code, label: lang === 'zh' ? x.display : x.en }))}
                        />
                      </Form.Item>
                    </>
                  ) : null}
                  {fields.length > 1 ? <MinusCircleOutlined onClick={() => remove(f.name)} style={{ marginBottom: 32 }} /> : null}
                </Space>
              ))}
              <Button icon={<PlusOutlined />} onClick={() => add({ label: nextLabel(), count: 1 })} disabled={fields.length >= 20}>
                {pick(PT.addSpecimen)}
              </Button>
            </Card>
          )}
        </Form.List>
        <Button type="primary" htmlType="submit" loading={create.isPending} style={{ marginTop: 16 }} data-testid="pathology-submit">
          {pick(RT.submit)}
        </Button>
      </Form>
    </Card>
  );
}
