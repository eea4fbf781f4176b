/**
 * The request form every reading centre shares (检查申请): resident, item of the centre's catalogue, priority, clinical
 * information; on success the centre's case page opens (where the images, tracing or specimen are sent). Field ids
 * carry the centre's prefix (imaging-patient, ecg-item …) for the browser tests.
 */
import { useState, type ReactNode } from 'react';
import { Button, Card, Form, Input, Select } from 'antd';
import { useMutation } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { PatientPicker } from '../referral/PatientPicker';
import type { Centre } from './api';
import { RT } from './texts';

export interface RequestValues {
  patient: string;
  item: string;
  priority: string;
  reason: string;
}

export interface RequestFormProps {
  centre: Centre;
  title: string;
  items: { value: string; label: string }[];
  create: (v: RequestValues) => Promise<{ task: string }>;
  initialItem?: string;
  notice?: ReactNode;
}

export function RequestForm({ centre, title, items, create, initialItem, notice }: RequestFormProps) {
  const { pick } = useI18n();
  const navigate = useNavigate();
  const [form] = Form.useForm<RequestValues>();
  const [error, setError] = useState<unknown>();
  const submit = useMutation({ mutationFn: create, onSuccess: (r) => navigate(`/${centre}/cases/${r.task}`), onError: setError });
  return (
    <Card title={title} style={{ maxWidth: 720 }}>
      {notice}
      {error ? <ErrorAlert error={error} /> : null}
      <Form<RequestValues>
        form={form}
        layout="vertical"
        initialValues={{ priority: 'routine', ...(initialItem ? { item: initialItem } : {}) }}
        onFinish={(v) => submit.mutate(v)}
      >
        <Form.Item name="patient" label={pick(RT.patient)} rules={[{ required: true }]}>
          <PatientPicker id={`${centre}-patient`} />
        </Form.Item>
        <Form.Item name="item" label={pick(RT.item)} rules={[{ required: true }]}>
          <Select id={`${centre}-item`} data-testid={`${centre}-item`} options={items} />
        </Form.Item>
        <Form.Item name="priority" label={pick(RT.priority)}>
          <Select
            options={[
              { value: 'routine', label: pick(RT.routine) },
              { value: 'urgent', label: pick(RT.urgent) },
              { value: 'stat', label: pick(RT.stat) },
            ]}
          />
        </Form.Item>
        <Form.Item name="reason" label={pick(RT.reason)} rules={[{ required: true, min: 2 }]}>
          <Input.TextArea rows={3} data-testid={`${centre}-reason`} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={submit.isPending} data-testid={`${centre}-submit`}>
          {pick(RT.submit)}
        </Button>
      </Form>
    </Card>
  );
}
