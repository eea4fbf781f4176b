/** Break-glass report for the privacy officer: granted accesses and refused attempts (GET /admin/break-glass). */
import { Card } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { useI18n } from '../../i18n';
import { AuditTable, type AuditRow } from './AuditTable';

export default function BreakGlassReport() {
  const { t } = useI18n();
  const q = useQuery({ queryKey: ['break-glass'], queryFn: () => api<{ events: AuditRow[] }>('/admin/break-glass?count=500') });
  return (
    <Card title={t('breakGlassReport')}>
      <AuditTable rows={q.data?.events ?? []} loading={q.isLoading} testId="break-glass-rows" />
    </Card>
  );
}
