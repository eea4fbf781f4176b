/** Who accessed this record: the resident's own view (/me/access-log) or the administrator's (/admin/audit?patient=). */
import { Table, Tag } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';

interface Row {
  time: string;
  accessor: string | null;
  role: string | null;
  institution: string | null;
  action: string;
  purpose: string | null;
  breakGlass: boolean | string | null;
}

export function AccessLog({ patientId, own }: { patientId: string; own: boolean }) {
  const { t, roleName } = useI18n();
  const { me } = useAuth();
  const q = useQuery({
    queryKey: ['access-log', patientId, own, me?.subject],
    queryFn: async (): Promise<Row[]> => {
      if (own) return (await api<{ accesses: Row[] }>('/me/access-log')).accesses;
      const page = await api<{
        events: {
          recorded: number;
          userDisplay: string | null;
          userId: string | null;
          role: string | null;
          institution: string | null;
          action: string;
          purpose: string | null;
          breakGlass: string | null;
        }[];
      }>(`/admin/audit?patient=${encodeURIComponent(patientId)}&count=200`);
      // Who else accessed the record: the administrator's own look at it is left out (as the resident's own is).
      return page.events
        .filter((e) => e.userId !== me?.subject)
        .map((e) => ({
          time: new Date(e.recorded).toISOString(),
          accessor: e.userDisplay ?? e.userId,
          role: e.role,
          institution: e.institution,
          action: e.action,
          purpose: e.purpose,
          breakGlass: e.breakGlass,
        }));
    },
  });
  return (
    <Table<Row>
      data-testid="access-log"
      size="small"
      rowKey={(r, i) => `${r.time}-${i}`}
      loading={q.isLoading}
      dataSource={q.data ?? []}
      pagination={{ pageSize: 20, hideOnSinglePage: true, size: 'small' }}
      scroll={{ x: 'max-content' }}
      columns={[
        { title: t('time'), key: 'time', render: (_, r) => new Date(r.time).toLocaleString() },
        { title: t('accessor'), key: 'who', render: (_, r) => <span className="accessor">{r.accessor ?? '—'}</span> },
        { title: t('role'), key: 'role', render: (_, r) => (r.role ?? '').split(',').filter(Boolean).map(roleName).join('、') },
        { title: t('institution'), key: 'inst', render: (_, r) => r.institution ?? '—' },
        { title: t('action'), key: 'action', dataIndex: 'action' },
        { title: t('purpose'), key: 'p', render: (_, r) => (r.breakGlass ? <Tag color="red">{t('breakGlass')}</Tag> : (r.purpose ?? '—')) },
      ]}
    />
  );
}
