/**
 * The forms of a consultation's steps, each shown only to the party who may take it (the server checks again):
 * the centre arranges experts and invites external ones, an expert writes an opinion (the centre enters an external
 * expert's), the lead expert concludes, the requester rates the consultation once.
 */
import { useRef, useState, type ReactNode } from 'react';
import { App, Button, DatePicker, Form, Input, Radio, Rate, Select } from 'antd';
import type { Dayjs } from 'dayjs';
import type { Practitioner } from '@medplum/fhirtypes';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { resources, search } from '../../api/fhir';
import { nameOf } from '../../api/format';
import { useErrorText } from '../../components/ErrorAlert';
import type { FormControlProps } from '../../components/RecordItemPicker';
import { useI18n } from '../../i18n';
import { addExternalExpert, evaluate, KEY, scheduleConsultation, writeConclusion, writeOpinion, type ConsultationDetail } from './api';
import { TX } from './texts';

/** Runs a step and refreshes the consultation's queries. */
function useStep<T>(fn: (body: T) => Promise<unknown>) {
  const { pick } = useI18n();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => {
      void message.success(pick(TX.done));
      void qc.invalidateQueries({ queryKey: KEY });
    },
    onError: (e) => void message.error(errorText(e)),
  });
}

function StepForm<T extends object>({
  title,
  onFinish,
  busy,
  children,
  testId,
}: {
  title: string;
  onFinish: (v: T) => void;
  busy: boolean;
  children: ReactNode;
  testId: string;
}) {
  const { pick } = useI18n();
  return (
    <Form<T> layout="vertical" onFinish={onFinish} data-testid={testId} style={{ maxWidth: 760 }}>
      {children}
      <Button type="primary" htmlType="submit" loading={busy} data-testid={`${testId}-submit`}>
        {title || pick(TX.save)}
      </Button>
    </Form>
  );
}

/** Search the registry's doctors by name (registries are readable by every signed-in user); `names` keeps the labels. */
function ExpertPicker({ names, ...control }: FormControlProps<string[]> & { names: Map<string, string> }) {
  const { pick } = useI18n();
  const [text, setText] = useState('');
  const found = useQuery({
    queryKey: ['practitioners', text],
    enabled: text.trim().length > 0,
    queryFn: async () => resources(await search<Practitioner>('Practitioner', { name: text.trim(), _count: 20 })),
  });
  // Names of doctors found once stay known, so chosen ones keep their label after the next search.
  for (const p of found.data ?? []) if (p.id) names.set(`Practitioner/${p.id}`, nameOf(p.name) || p.id);
  return (
    <Select
      {...control}
      mode="multiple"
      showSearch
      filterOption={false}
      onSearch={setText}
      placeholder={pick(TX.expertsHint)}
      data-testid="expert-picker"
      options={[...names].map(([v, label]) => ({ value: v, label }))}
    />
  );
}

export function ScheduleForm({ c }: { c: ConsultationDetail }) {
  const { pick } = useI18n();
  const [form] = Form.useForm<{ experts: string[]; lead?: string; start: Dayjs }>();
  const experts = Form.useWatch('experts', form) ?? [];
  const names = useRef(new Map<string, string>()).current;
  const step = useStep((v: { experts: string[]; lead?: string; start: Dayjs }) =>
    scheduleConsultation(c.id, { experts: v.experts, lead: v.lead ?? v.experts[0], start: v.start.format() }),
  );
  return (
    <Form form={form} layout="vertical" onFinish={(v) => step.mutate(v)} data-testid="schedule-form" style={{ maxWidth: 760 }}>
      <Form.Item name="experts" label={pick(TX.experts)} rules={[{ required: true, type: 'array', min: 1, message: pick(TX.required) }]}>
        <ExpertPicker names={names} />
      </Form.Item>
      <Form.Item name="lead" label={pick(TX.lead)}>
        <Select
          data-testid="lead-picker"
          options={experts.map((e) => ({ value: e, label: names.get(e) ?? e }))}
          placeholder={names.get(experts[0] ?? '')}
        />
      </Form.Item>
      <Form.Item name="start" label={pick(TX.scheduledTime)} rules={[{ required: true, message: pick(TX.required) }]}>
        <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" data-testid="session-time" />
      </Form.Item>
      <Button type="primary" htmlType="submit" loading={step.isPending} data-testid="schedule-form-submit">
        {pick(TX.arrange)}
      </Button>
    </Form>
  );
}

interface ExternalValues {
  name: string;
  institution: string;
  level: 'city' | 'province';
  contact: string;
  specialty?: string;
}

export function ExternalForm({ c }: { c: ConsultationDetail }) {
  const { pick } = useI18n();
  const step = useStep((v: ExternalValues) => addExternalExpert(c.id, v));
  const required = [{ required: true, whitespace: true, message: pick(TX.required) }];
  return (
    <StepForm<ExternalValues> title={pick(TX.addExternal)} onFinish={(v) => step.mutate(v)} busy={step.isPending} testId="external-form">
      <Form.Item name="name" label={pick(TX.externalName)} rules={required}>
        <Input maxLength={50} />
      </Form.Item>
      <Form.Item name="institution" label={pick(TX.externalInstitution)} rules={required}>
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item name="level" label={pick(TX.externalLevel)} initialValue="city">
        <Radio.Group>
          <Radio value="city">{pick(TX.city)}</Radio>
          <Radio value="province">{pick(TX.province)}</Radio>
        </Radio.Group>
      </Form.Item>
      <Form.Item name="contact" label={pick(TX.contact)} rules={required}>
        <Input maxLength={50} />
      </Form.Item>
      <Form.Item name="specialty" label={pick(TX.specialty)}>
        <Input maxLength={50} />
      </Form.Item>
    </StepForm>
  );
}

export function OpinionForm({ c, forExternal }: { c: ConsultationDetail; forExternal: boolean }) {
  const { pick } = useI18n();
  const step = useStep((v: { opinion: string; onBehalfOf?: string }) => writeOpinion(c.id, v));
  const externals = c.participants.filter((p) => p.role === 'external');
  return (
    <StepForm<{ opinion: string; onBehalfOf?: string }>
      title={pick(forExternal ? TX.onBehalfOf : TX.writeOpinion)}
      onFinish={(v) => step.mutate(v)}
      busy={step.isPending}
      testId={forExternal ? 'external-opinion-form' : 'opinion-form'}
    >
      {forExternal ? (
        <Form.Item name="onBehalfOf" label={pick(TX.external)} rules={[{ required: true, message: pick(TX.required) }]}>
          <Select
            options={externals.map((p) => ({
              value: p.reference,
              label: `${p.display ?? p.reference} · ${p.organization?.display ?? ''}`,
            }))}
          />
        </Form.Item>
      ) : null}
      <Form.Item name="opinion" label={pick(TX.opinions)} rules={[{ required: true, whitespace: true, message: pick(TX.required) }]}>
        <Input.TextArea rows={4} maxLength={4000} data-testid={forExternal ? 'external-opinion-text' : 'opinion-text'} />
      </Form.Item>
    </StepForm>
  );
}

export function ConclusionForm({ c }: { c: ConsultationDetail }) {
  const { pick } = useI18n();
  const step = useStep((v: { conclusion: string; recommendation?: string }) => writeConclusion(c.id, v));
  return (
    <StepForm<{ conclusion: string; recommendation?: string }>
      title={pick(TX.writeConclusion)}
      onFinish={(v) => step.mutate(v)}
      busy={step.isPending}
      testId="conclusion-form"
    >
      <Form.Item name="conclusion" label={pick(TX.conclusion)} rules={[{ required: true, whitespace: true, message: pick(TX.required) }]}>
        <Input.TextArea rows={4} maxLength={4000} data-testid="conclusion-text" />
      </Form.Item>
      <Form.Item name="recommendation" label={pick(TX.recommendation)}>
        <Input.TextArea rows={2} maxLength={2000} />
      </Form.Item>
    </StepForm>
  );
}

export function EvaluationForm({ c }: { c: ConsultationDetail }) {
  const { pick } = useI18n();
  const step = useStep((v: { score: number; comment?: string }) => evaluate(c.id, v));
  return (
    <StepForm<{ score: number; comment?: string }>
      title={pick(TX.rate)}
      onFinish={(v) => step.mutate(v)}
      busy={step.isPending}
      testId="evaluation-form"
    >
      <Form.Item name="score" label={pick(TX.evaluation)} rules={[{ required: true, message: pick(TX.required) }]}>
        <Rate data-testid="evaluation-rate" />
      </Form.Item>
      <Form.Item name="comment" label={pick(TX.comment)}>
        <Input.TextArea rows={2} maxLength={1000} />
      </Form.Item>
    </StepForm>
  );
}
