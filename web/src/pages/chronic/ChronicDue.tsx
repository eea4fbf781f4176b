/** 慢病随访提醒 · Chronic follow-ups due (GET /api/chronic/due): per village and doctor, due / overdue / upcoming, one tap to the form. */
import { Button, Card, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n, type TextKey } from '../../i18n';
import { DUE_VIEWS, dueList, type DueItem, type DueSummary, type DueView } from './api';

const VIEW_TEXT: Record<DueView, TextKey> = {
  due: 'chrViewDue',
  overdue: 'chrViewOverdue',
  upcoming: 'chrViewUpcoming',
  all: 'chrViewAll',
};

export default function ChronicDue() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const view = (DUE_VIEWS as string[]).includes(params.get('view') ?? '') ? (params.get('view') as DueView) : 'due';
  const programme = params.get('programme') ?? undefined;
  const q = useQuery({ queryKey: ['chronic-due', view, programme], queryFn: () => dueList(view, programme) });
  const set = (k: string, v: string | undefined) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  const patientId = (i: DueItem) => i.patient.reference.replace('Patient/', '');
  return (
    <Card
      title={t('chrDueTitle')}
      extra={
        <Space wrap>
          <Select
            data-testid="chronic-programme"
            style={{ minWidth: 120 }}
            value={programme ?? ''}
            onChange={(v) => set('programme', v || undefined)}
            options={[
              { value: '', label: t('chrAllProgrammes') },
              { value: 'hypertension', label: t('chrHypertension') },
              { value: 'diabetes', label: t('chrDiabetes') },
            ]}
          />
          <Link to="/chronic/indicators">{t('chrIndicators')}</Link>
        </Space>
      }
    >
      <Tabs
        activeKey={view}
        onChange={(v) => set('view', v)}
        items={DUE_VIEWS.map((v) => ({ key: v, label: <span data-testid={`chronic-view-${v}`}>{t(VIEW_TEXT[v])}</span> }))}
      />
      {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
      <Table<DueSummary>
        size="small"
        rowKey={(s) => `${s.organization}|${s.practitioner}`}
        dataSource={q.data?.summary ?? []}
        pagination={false}
        scroll={{ x: true }}
        style={{ marginBottom: 12 }}
        columns={[
          { title: t('chrVillage'), render: (_, s) => s.organizationName ?? s.organization ?? '—' },
          { title: t('chrDoctor'), render: (_, s) => s.practitionerName ?? '—' },
          { title: t('chrDueCount'), dataIndex: 'due' },
          { title: t('chrOverdueCount'), render: (_, s) => (s.overdue ? <Tag color="red">{s.overdue}</Tag> : 0) },
          { title: t('chrUpcomingCount'), dataIndex: 'upcoming' },
        ]}
      />
      <Table<DueItem>
        data-testid="chronic-due-table"
        size="small"
        rowKey="task"
        loading={q.isLoading}
        dataSource={q.data?.items ?? []}
        scroll={{ x: true }}
        columns={[
          {
            title: t('chrResident'),
            render: (_, i) => (
              <Link to={`/patients/${patientId(i)}`}>
                {i.patient.name ?? i.patient.reference}
                {i.patient.age !== null ? <Typography.Text type="secondary"> {i.patient.age}岁</Typography.Text> : null}
              </Link>
            ),
          },
          { title: t('chrProgramme'), render: (_, i) => (i.programme === 'hypertension' ? t('chrHypertension') : t('chrDiabetes')) },
          { title: t('chrKind'), dataIndex: 'kindName' },
          {
            title: t('chrWindow'),
            render: (_, i) => (
              <span>
                {i.start} ~ {i.end} {i.overdue ? <Tag color="red">{t('chrOverdueDays').replace('{n}', String(i.daysOverdue))}</Tag> : null}
              </span>
            ),
          },
          { title: t('chrDoctor'), render: (_, i) => i.practitionerName ?? i.organizationName ?? '—' },
          {
            title: '',
            render: (_, i) => (
              <Button
                type="primary"
                size="small"
                data-testid="chronic-record"
                onClick={() =>
                  navigate(`/chronic/follow-up/${patientId(i)}?episode=${encodeURIComponent(i.episode.replace('EpisodeOfCare/', ''))}`)
                }
              >
                {t('chrRecord')}
              </Button>
            ),
          },
        ]}
      />
    </Card>
  );
}
