/** Audit rows (GET /admin/audit, /admin/break-glass), newest first. */
import { Table, Tag } from 'antd';
import { Link } from 'react-router-dom';
import { useI18n } from '../../i18n';

export interface AuditRow {
  pos: number;
  recorded: number;
  action: string;
  outcome: string;
  userId: string | null;
  userDisplay: string | null;
  role: string | null;
  institution: string | null;
  patientId: string | null;
  query: string | null;
  breakGlass: string | null;
  detail: string | null;
}

export function AuditTable({ rows, loading, testId }: { rows: AuditRow[]; loading?: boolean; testId?: string }) {
  const { t, roleName } = useI18n();
  return (
    <Table<AuditRow>
      data-testid={testId}
      size="small"
      rowKey="pos"
      loading={loading}
      dataSource={rows}
      pagination={{ pageSize: 50, hideOnSinglePage: true, size: 'small' }}
      scroll={{ x: 'max-content' }}
      columns={[
        { title: t('time'), key: 't', render: (_, r) => new Date(r.recorded).toLocaleString() },
        { title: t('accessor'), key: 'u', render: (_, r) => r.userDisplay ?? r.userId ?? '—' },
        { title: t('role'), key: 'r', render: (_, r) => (r.role ?? '').split(',').filter(Boolean).map(roleName).join('、') },
        { title: t('action'), key: 'a', dataIndex: 'action' },
        { title: t('outcome'), key: 'o', render: (_, r) => <Tag color={r.outcome === 'success' ? 'green' : 'red'}>{r.outcome}</Tag> },
        {
          title: t('patientId'),
          key: 'p',
          render: (_, r) => (r.patientId ? <Link to={`/patients/${r.patientId}`}>{r.patientId.slice(0, 8)}</Link> : '—'),
        },
        { title: t('reason'), key: 'b', render: (_, r) => r.breakGlass ?? r.detail ?? r.query ?? '' },
      ]}
    />
  );
}
