/**
 * 申请会诊 · New consultation request: the resident, the consultation centre, single-specialty or MDT, instant or
 * scheduled (with the preferred time), the reason and question, and the record items shared with the experts.
 */
import { App, Button, Card, DatePicker, Form, Input, Radio, Select, Space } from 'antd';
import type { Dayjs } from 'dayjs';
import { useMutation } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useAuth } from '../../auth';
import { useErrorText } from '../../components/ErrorAlert';
import { RecordItemPicker, type RecordItemType } from '../../components/RecordItemPicker';
import { useOrganizations } from '../../hooks';
import { useI18n } from '../../i18n';
import { PatientPicker } from '../../referral/PatientPicker';
import { createConsultation, type Kind, type Mode } from './api';
import { TX } from './texts';

/** The record items the experts may be shown: diagnoses, reports and results. */
const SHARED: readonly RecordItemType[] = ['Condition', 'DiagnosticReport', 'Observation'];

interface Values {
  kind: Kind;
  mode: Mode;
  patient?: string;
  to?: string;
  reason?: string;
  question?: string;
  specialties?: string[];
  requestedTime?: Dayjs;
  attachments?: string[];
}

export default function NewConsultation() {
  const { pick, t } = useI18n();
  const { me } = useAuth();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [form] = Form.useForm<Values>();
  const orgs = useOrganizations();
  const patient = Form.useWatch('patient', form);
  const kind = Form.useWatch('kind', form) ?? 'single';
  const mode = Form.useWatch('mode', form) ?? 'instant';
  const centres = [...(orgs.data?.values() ?? [])].filter((o) => o.id && o.id !== me?.organizationId && o.active !== false);
  const create = useMutation({
    mutationFn: createConsultation,
    onSuccess: (r) => {
      void message.success(pick(TX.sent));
      navigate(`/consultation/${r.id}`);
    },
    onError: (e) => void message.error(errorText(e)),
  });
  const submit = (v: Values) =>
    create.mutate({
      kind: v.kind,
      mode: v.mode,
      patient: v.patient!,
      to: v.to!,
      reason: v.reason!.trim(),
      ...(v.question?.trim() ? { question: v.question.trim() } : {}),
      ...(v.specialties?.length ? { specialties: v.specialties } : {}),
      ...(v.mode === 'scheduled' && v.requestedTime ? { requestedTime: v.requestedTime.format() } : {}),
      ...(v.attachments?.length ? { attachments: v.attachments } : {}),
    });
  const required = [{ required: true, whitespace: true, message: pick(TX.required) }];
  return (
    <Card title={pick(TX.newRequest)} data-testid="consultation-form-card">
      <Form<Values>
        form={form}
        layout="vertical"
        initialValues={{ kind: 'single', mode: 'instant', patient: params.get('patient') ?? undefined }}
        onFinish={submit}
        scrollToFirstError
        style={{ maxWidth: 760 }}
        data-testid="consultation-form"
      >
        <Space wrap size="large">
          <Form.Item name="kind" label={pick(TX.kind)}>
            <Radio.Group optionType="button" buttonStyle="solid">
              <Radio.Button value="single" data-testid="kind-single">
                {pick(TX.single)}
              </Radio.Button>
              <Radio.Button value="mdt" data-testid="kind-mdt">
                {pick(TX.mdt)}
              </Radio.Button>
            </Radio.Group>
          </Form.Item>
          <Form.Item name="mode" label={pick(TX.mode)}>
            <Radio.Group optionType="button" buttonStyle="solid">
              <Radio.Button value="instant" data-testid="mode-instant">
                {pick(TX.instant)}
              </Radio.Button>
              <Radio.Button value="scheduled" data-testid="mode-scheduled">
                {pick(TX.scheduled)}
              </Radio.Button>
            </Radio.Group>
          </Form.Item>
        </Space>
        <Form.Item name="patient" label={pick(TX.resident)} rules={[{ required: true, message: pick(TX.required) }]}>
          <PatientPicker onChange={() => form.setFieldValue('attachments', [])} />
        </Form.Item>
        <Form.Item name="to" label={pick(TX.centre)} rules={[{ required: true, message: pick(TX.required) }]}>
          <Select
            showSearch
            optionFilterProp="label"
            loading={orgs.isLoading}
            data-testid="centre-picker"
            options={centres.map((o) => ({ value: `Organization/${o.id}`, label: o.name ?? o.id }))}
          />
        </Form.Item>
        {mode === 'scheduled' ? (
          <Form.Item name="requestedTime" label={pick(TX.requestedTime)} rules={[{ required: true, message: pick(TX.required) }]}>
            <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" data-testid="requested-time" />
          </Form.Item>
        ) : null}
        <Form.Item
          name="specialties"
          label={pick(TX.specialties)}
          extra={pick(TX.specialtiesHint)}
          rules={kind === 'mdt' ? [{ required: true, type: 'array', min: 2, message: pick(TX.specialtiesHint) }] : []}
        >
          <Select mode="tags" tokenSeparators={[',', '，']} data-testid="specialties" />
        </Form.Item>
        <Form.Item name="reason" label={pick(TX.reason)} rules={required}>
          <Input.TextArea rows={3} maxLength={2000} showCount data-testid="consultation-reason" />
        </Form.Item>
        <Form.Item name="question" label={pick(TX.question)}>
          <Input.TextArea rows={2} maxLength={1000} data-testid="consultation-question" />
        </Form.Item>
        <Form.Item name="attachments" label={pick(TX.shared)} extra={pick(TX.sharedHint)}>
          <RecordItemPicker patient={patient} types={SHARED} testId="record-picker" />
        </Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" loading={create.isPending} data-testid="consultation-submit">
            {pick(TX.submit)}
          </Button>
          <Button onClick={() => navigate(-1)}>{t('cancel')}</Button>
        </Space>
      </Form>
    </Card>
  );
}
