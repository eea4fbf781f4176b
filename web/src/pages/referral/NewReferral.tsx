/**
 * 发起转诊 · New referral: up to a county hospital (or the township centre), down to a township centre or village
 * clinic with a discharge summary and a follow-up plan, or to a hospital outside the county. Reached from the
 * referral list, a resident, or (down) from an up-referral the hospital has received: `?from=<id>` fills in the
 * resident, the institution that sent them and the diagnoses. Nothing is sent until the form is complete.
 */
import { useEffect, useMemo } from 'react';
import { App, Button, Card, DatePicker, Form, Input, Radio, Select, Space, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useAuth } from '../../auth';
import { useErrorText } from '../../components/ErrorAlert';
import { RecordItemPicker } from '../../components/RecordItemPicker';
import { useOrganizations } from '../../hooks';
import { useI18n } from '../../i18n';
import { createReferral, getReferral, type Coded, type Direction, type NewReferral, type Urgency } from '../../referral/api';
import { DiagnosisInput } from '../../referral/DiagnosisInput';
import { InstitutionPicker } from '../../referral/InstitutionPicker';
import { departmentsOf, ICD10 } from '../../referral/institutions';
import { PatientPicker } from '../../referral/PatientPicker';

interface Values {
  direction: Direction;
  patient?: string;
  to?: string;
  department?: string;
  urgency: Urgency;
  reason?: string;
  diagnosis?: Coded[];
  summary?: string;
  attachments?: string[];
  slotKind?: string;
  slotStart?: Dayjs;
  followUpPlan?: string;
}

const DIRECTIONS: Direction[] = ['up', 'down', 'external'];

export default function NewReferralPage() {
  const { t } = useI18n();
  const { me, has } = useAuth();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [form] = Form.useForm<Values>();
  const orgs = useOrganizations();
  const from = params.get('from') ?? undefined;
  const source = useQuery({ queryKey: ['referrals', 'detail', from], enabled: !!from, queryFn: () => getReferral(from!) });
  const initialDirection = (params.get('direction') as Direction | null) ?? (has('county-specialist') ? 'down' : 'up');
  const direction = Form.useWatch('direction', form) ?? initialDirection;
  const patient = Form.useWatch('patient', form);
  const to = Form.useWatch('to', form);
  const slotKind = Form.useWatch('slotKind', form);
  const departments = useMemo(() => departmentsOf([...(orgs.data?.values() ?? [])], to), [orgs.data, to]);

  // A down-referral answering an up-referral: the resident, back to the institution that sent them, same diagnoses.
  useEffect(() => {
    const r = source.data;
    if (!r) return;
    form.setFieldsValue({
      direction: 'down',
      patient: r.patient?.reference,
      to: r.from?.reference,
      diagnosis: r.diagnosis
        .filter((d): d is Coded => !!d.display)
        .map((d) => ({ ...(d.code ? { code: d.code } : {}), display: d.display })),
    });
  }, [source.data, form]);

  const create = useMutation({
    mutationFn: createReferral,
    onSuccess: (r) => {
      void message.success(t('referralSent'));
      navigate(r?.id ? `/referrals/${r.id}` : '/referrals?view=outgoing');
    },
    onError: (e) => void message.error(errorText(e)),
  });

  const submit = (v: Values) => {
    const body: NewReferral = {
      direction: v.direction,
      patient: v.patient!,
      to: v.to!,
      reason: v.reason!.trim(),
      diagnosis: v.diagnosis ?? [],
      summary: (v.summary ?? '').trim(),
      urgency: v.urgency,
      ...(v.department ? { department: v.department } : {}),
      ...(v.attachments?.length ? { attachments: v.attachments } : {}),
      ...(v.slotKind && v.slotStart ? { slot: { kind: v.slotKind, start: v.slotStart.toISOString() } } : {}),
      ...(v.direction === 'down' && v.followUpPlan ? { followUpPlan: v.followUpPlan.trim() } : {}),
      // Answering an up-referral (?from=): the server records the link (ServiceRequest.basedOn).
      ...(v.direction === 'down' && source.data && v.patient === source.data.patient?.reference
        ? { basedOn: `ServiceRequest/${source.data.id}` }
        : {}),
    };
    create.mutate(body);
  };

  const down = direction === 'down';
  return (
    <Card title={t('newReferral')} data-testid="referral-form-card">
      <Form<Values>
        form={form}
        layout="vertical"
        initialValues={{
          direction: initialDirection,
          urgency: 'routine',
          patient: params.get('patient') ?? undefined,
          to: params.get('to') ?? undefined,
        }}
        onFinish={submit}
        scrollToFirstError
        data-testid="referral-form"
        style={{ maxWidth: 760 }}
      >
        <Form.Item name="direction" label={t('direction')}>
          <Radio.Group optionType="button" buttonStyle="solid" onChange={() => form.setFieldValue('to', undefined)}>
            {DIRECTIONS.map((d) => (
              <Radio.Button key={d} value={d} data-testid={`direction-${d}`}>
                {t(d === 'up' ? 'dirUp' : d === 'down' ? 'dirDown' : 'dirExternal')}
              </Radio.Button>
            ))}
          </Radio.Group>
        </Form.Item>
        <Form.Item name="patient" label={t('resident')} rules={[{ required: true, message: t('patientRequired') }]}>
          <PatientPicker />
        </Form.Item>
        <Form.Item name="to" label={t('toInstitution')} rules={[{ required: true, message: t('toRequired') }]}>
          <InstitutionPicker onChange={() => form.setFieldValue('department', undefined)} direction={direction} own={me?.organizationId} />
        </Form.Item>
        <Form.Item name="department" label={t('department')}>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            options={departments}
            disabled={!departments.length}
            placeholder={to && !departments.length ? t('noDepartments') : undefined}
            data-testid="department-input"
          />
        </Form.Item>
        <Form.Item name="urgency" label={t('urgency')}>
          <Radio.Group>
            <Radio value="routine">{t('urgencyRoutine')}</Radio>
            <Radio value="urgent">{t('urgencyUrgent')}</Radio>
          </Radio.Group>
        </Form.Item>
        <Form.Item name="reason" label={t('referralReason')} rules={[{ required: true, whitespace: true, message: t('reasonRequired') }]}>
          <Input.TextArea rows={2} maxLength={500} showCount data-testid="referral-reason" />
        </Form.Item>
        <Form.Item
          name="diagnosis"
          label={t('diagnosis')}
          extra={t('diagnosisHint')}
          rules={[
            { required: true, type: 'array', min: 1, message: t('diagnosisRequired') },
            {
              validator: (_, v: Coded[] | undefined) =>
                (v ?? []).every((d) => d.code && ICD10.test(d.code.toUpperCase()))
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('diagnosisCode'))),
            },
          ]}
        >
          <DiagnosisInput />
        </Form.Item>
        <Form.Item
          name="summary"
          label={down ? t('dischargeSummary') : t('clinicalSummary')}
          rules={[{ required: true, whitespace: true, message: down ? t('dischargeSummaryRequired') : t('summaryRequired') }]}
        >
          <Input.TextArea rows={4} maxLength={4000} data-testid="referral-summary" />
        </Form.Item>
        {down ? (
          <Form.Item
            name="followUpPlan"
            label={t('followUpPlan')}
            rules={[{ required: true, whitespace: true, message: t('followUpPlanRequired') }]}
          >
            <Input.TextArea rows={3} maxLength={2000} data-testid="follow-up-plan" />
          </Form.Item>
        ) : null}
        <Form.Item name="attachments" label={t('attachments')} extra={t('attachmentsHint')}>
          <RecordItemPicker patient={patient} types={['Observation']} testId="attachment-picker" />
        </Form.Item>
        {!down ? (
          <Space wrap align="start" style={{ display: 'flex' }}>
            <Form.Item name="slotKind" label={t('reserve')}>
              <Select
                style={{ width: 160 }}
                allowClear
                options={[
                  { value: 'outpatient', label: t('slotOutpatient') },
                  { value: 'bed', label: t('slotBed') },
                ]}
              />
            </Form.Item>
            {slotKind ? (
              <Form.Item name="slotStart" label={t('slotTime')} rules={[{ required: true, message: t('slotTimeRequired') }]}>
                <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
              </Form.Item>
            ) : null}
          </Space>
        ) : null}
        {from && source.data ? (
          <Typography.Paragraph type="secondary">
            {t('answersReferral')} {source.data.patient?.display ?? ''}
          </Typography.Paragraph>
        ) : null}
        <Space style={{ display: 'flex' }}>
          <Button type="primary" htmlType="submit" loading={create.isPending} data-testid="referral-submit">
            {t('submitReferral')}
          </Button>
          <Button onClick={() => navigate(-1)}>{t('cancel')}</Button>
        </Space>
      </Form>
    </Card>
  );
}
