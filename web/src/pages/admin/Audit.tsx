/** Audit search by resident, user, action and period (GET /admin/audit). */
import { useState } from 'react';
import { Button, Card, DatePicker, Form, Input, Select } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { Dayjs } from 'dayjs';
import { api } from '../../api/client';
import { query } from '../../api/fhir';
import { useI18n } from '../../i18n';
import { AuditTable, type AuditRow } from './AuditTable';

const ACTIONS = [
  'read',
  'vread',
  'search-type',
  'create',
  'update',
  'delete',
  'history',
  'export',
  'login-success',
  'login-failure',
  'logout',
  'token-refused',
  'policy-change',
];

interface Filter {
  patient?: string;
  user?: string;
  action?: string[];
  period?: [Dayjs, Dayjs];
}

export default function Audit() {
  const { t } = useI18n();
  const [filter, setFilter] = useState<Record<string, string>>({});
  const q = useQuery({
    queryKey: ['audit', filter],
    queryFn: () => api<{ events: AuditRow[] }>(`/admin/audit?${query({ ...filter, count: 200 })}`),
  });
  const submit = (f: Filter) =>
    setFilter({
      ...(f.patient ? { patient: f.patient.trim() } : {}),
      ...(f.user ? { user: f.user.trim() } : {}),
      ...(f.action?.length ? { action: f.action.join(',') } : {}),
      ...(f.period ? { from: f.period[0].startOf('day').toISOString(), to: f.period[1].endOf('day').toISOString() } : {}),
    });
  return (
    <Card title={t('audit')}>
      <Form<Filter> layout="inline" onFinish={submit} style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="patient">
          <Input placeholder={t('patientId')} id="audit-patient" />
        </Form.Item>
        <Form.Item name="user">
          <Input placeholder={t('userId')} id="audit-user" />
        </Form.Item>
        <Form.Item name="action">
          <Select
            mode="multiple"
            placeholder={t('action')}
            style={{ minWidth: 160 }}
            options={ACTIONS.map((a) => ({ value: a, label: a }))}
          />
        </Form.Item>
        <Form.Item name="period">
          <DatePicker.RangePicker />
        </Form.Item>
        <Button type="primary" htmlType="submit" data-testid="audit-search">
          {t('search')}
        </Button>
      </Form>
      <AuditTable rows={q.data?.events ?? []} loading={q.isFetching} testId="audit-rows" />
    </Card>
  );
}
