/** 开具影像检查申请 · New imaging request: resident, item, priority, clinical information; then the DICOM upload. */
import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Select } from 'antd';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { PatientPicker } from '../../referral/PatientPicker';
import { catalogue, createRequest } from './api';
import { RT } from '../../reading/texts';
import { TX } from './texts';

interface Values {
  patient: string;
  item: string;
  priority: string;
  reason: string;
}

export default function NewImagingRequest() {
  const { pick, lang } = useI18n();
  const navigate = useNavigate();
  const [form] = Form.useForm<Values>();
  const cat = useQuery({ queryKey: ['imaging-catalogue'], queryFn: catalogue });
  const [error, setError] = useState<unknown>();
  const create = useMutation({
    mutationFn: (v: Values) => createRequest(v),
    onSuccess: (r) => navigate(`/imaging/cases/${r.task}`),
    onError: setError,
  });
  return (
    <Card title={pick(TX.newRequest)} style={{ maxWidth: 720 }}>
      {cat.data?.archive === 'not-configured' ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          message={pick({ zh: '未配置影像存档服务，暂不能申请', en: 'No imaging archive is configured' })}
        />
      ) : null}
      {error ? <ErrorAlert error={error} /> : null}
      <Form<Values> form={form} layout="vertical" initialValues={{ priority: 'routine' }} onFinish={(v) => create.mutate(v)}>
        <Form.Item name="patient" label={pick(RT.patient)} rules={[{ required: true }]}>
          <PatientPicker id="imaging-patient" />
        </Form.Item>
        <Form.Item name="item" label={pick(RT.item)} rules={[{ required: true }]}>
          <Select
            id="imaging-item"
            data-testid="imaging-item"
            options={(cat.data?.items ?? []).map((i) => ({ value: i.code, label: `${lang === 'zh' ? i.name : i.nameEn} (${i.modality})` }))}
          />
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
          <Input.TextArea rows={3} data-testid="imaging-reason" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={create.isPending} data-testid="imaging-submit">
          {pick(RT.submit)}
        </Button>
      </Form>
    </Card>
  );
}
