/**
 * The report form of a reading centre: a template fills findings, impression, positive and coded conclusions; the
 * reader edits them. Imaging offers its critical findings as check boxes; a centre with a list of standard statements
 * (ECG) offers them all in a searchable picker, critical ones marked. A centre adds its own fields as children.
 */
import type { ReactNode } from 'react';
import { Button, Checkbox, Form, Input, Radio, Select, type FormInstance } from 'antd';
import { useI18n } from '../i18n';
import type { CaseDetail } from './api';
import { RT } from './texts';

export interface ReportValues {
  template?: string;
  findings: string;
  impression: string;
  positive: boolean;
  conclusions: string[];
  reason?: string;
}

const EMPTY: Partial<ReportValues> = { positive: false, conclusions: [], findings: '', impression: '' };

export interface ReportEditorProps<V extends ReportValues> {
  form: FormInstance<V>;
  detail: Pick<CaseDetail, 'templates' | 'conclusions'>;
  amending: boolean;
  busy: boolean;
  onSubmit: (values: V) => void;
  /** 'critical': the critical findings as check boxes; 'statements': every coded conclusion in a picker. */
  picker?: 'critical' | 'statements';
  statementsLabel?: { zh: string; en: string };
  children?: ReactNode;
}

export function ReportEditor<V extends ReportValues>(props: ReportEditorProps<V>) {
  const { form, detail, amending, busy, onSubmit, picker = 'critical', children } = props;
  const { pick, lang } = useI18n();
  const label = (c: CaseDetail['conclusions'][number]) => `${lang === 'zh' ? c.display : c.en}${c.critical ? ' ⚠' : ''}`;
  const applyTemplate = (id: string) => {
    const t = detail.templates.find((x) => x.id === id);
    if (t)
      form.setFieldsValue({
        template: id,
        findings: t.findings,
        impression: t.impression,
        positive: t.positive,
        conclusions: t.conclusionCodes ?? [],
      } as Parameters<typeof form.setFieldsValue>[0]);
  };
  return (
    <Form<V>
      form={form}
      layout="vertical"
      initialValues={EMPTY as Partial<V>}
      onFinish={(v) => onSubmit({ ...v, conclusions: v.conclusions ?? [] })}
    >
      <Form.Item name="template" label={pick(RT.template)}>
        <Select
          data-testid="report-template"
          onChange={applyTemplate}
          options={detail.templates.map((t) => ({ value: t.id, label: pick(t.title) }))}
        />
      </Form.Item>
      {picker === 'statements' ? (
        <Form.Item name="conclusions" label={pick(props.statementsLabel ?? RT.critical)}>
          <Select
            mode="multiple"
            showSearch
            optionFilterProp="label"
            data-testid="report-statements"
            options={detail.conclusions.map((c) => ({ value: c.code, label: label(c) }))}
          />
        </Form.Item>
      ) : null}
      <Form.Item name="findings" label={pick(RT.findings)} rules={[{ required: true }]}>
        <Input.TextArea rows={4} data-testid="report-findings-input" />
      </Form.Item>
      <Form.Item name="impression" label={pick(RT.impression)} rules={[{ required: true }]}>
        <Input.TextArea rows={2} data-testid="report-impression-input" />
      </Form.Item>
      <Form.Item name="positive" label={`${pick(RT.positive)} / ${pick(RT.negative)}`}>
        <Radio.Group
          options={[
            { value: false, label: pick(RT.negative) },
            { value: true, label: pick(RT.positive) },
          ]}
        />
      </Form.Item>
      {picker === 'critical' ? (
        <Form.Item name="conclusions" label={pick(RT.critical)}>
          <Checkbox.Group options={detail.conclusions.filter((c) => c.critical).map((c) => ({ value: c.code, label: label(c) }))} />
        </Form.Item>
      ) : null}
      {children}
      {amending ? (
        <Form.Item name="reason" label={pick(RT.amendReason)} rules={[{ required: true, min: 2 }]}>
          <Input data-testid="amend-reason" />
        </Form.Item>
      ) : null}
      <Button type="primary" htmlType="submit" loading={busy} data-testid="report-submit">
        {pick(amending ? RT.amend : RT.saveReport)}
      </Button>
    </Form>
  );
}
