/** Small building blocks of the workbenches. */
import { Card, Col, Row, Statistic, Table } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { count, resources, search } from '../api/fhir';
import type { CodeableConcept, Encounter, Patient, Reference, Resource } from '../api/types';
import { codeText, day, nameOf, refId } from '../api/format';
import { useOrganizations } from '../hooks';
import { useI18n, type TextKey } from '../i18n';

export interface CountSpec {
  label: TextKey;
  type: string;
  params?: Record<string, string>;
}

/** Numbers by `_summary=count`, one card each. */
export function Counts({ specs, testId }: { specs: CountSpec[]; testId?: string }) {
  const { t } = useI18n();
  const q = useQuery({
    queryKey: ['counts', specs],
    queryFn: () => Promise.all(specs.map((s) => count(s.type, s.params))),
  });
  return (
    <Row gutter={[12, 12]} data-testid={testId}>
      {specs.map((s, i) => (
        <Col key={s.label} xs={12} md={6}>
          <Card size="small">
            <Statistic title={t(s.label)} value={q.data?.[i] ?? '-'} loading={q.isLoading} />
          </Card>
        </Col>
      ))}
    </Row>
  );
}

/** Encounters with their resident (included) and institution. */
export function EncounterList({ params, title, testId }: { params: Record<string, string>; title: TextKey; testId?: string }) {
  const { t } = useI18n();
  const orgs = useOrganizations();
  const q = useQuery({
    queryKey: ['encounters', params],
    queryFn: () => search('Encounter', { _include: 'Encounter:subject', _sort: '-date', _count: 20, _total: 'accurate', ...params }),
  });
  const all = resources<Resource>(q.data);
  const patients = new Map(all.filter((r): r is Patient => r.resourceType === 'Patient').map((p) => [p.id, p]));
  const encounters = all.filter((r): r is Encounter => r.resourceType === 'Encounter');
  return (
    <Card size="small" title={`${t(title)} (${q.data?.total ?? encounters.length})`}>
      <Table<Encounter>
        data-testid={testId}
        size="small"
        rowKey={(e) => e.id ?? ''}
        loading={q.isLoading}
        dataSource={encounters}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('date'), key: 'd', render: (_, e) => day(e.period?.start) },
          {
            title: t('name'),
            key: 'p',
            render: (_, e) => {
              const id = refId(e.subject);
              return <Link to={`/patients/${id}`}>{nameOf(patients.get(id)?.name)}</Link>;
            },
          },
          { title: t('item'), key: 't', render: (_, e) => codeText(e.type?.[0]) },
          { title: t('institution'), key: 'o', render: (_, e) => orgs.data?.get(refId(e.serviceProvider) ?? '')?.name ?? '—' },
        ]}
      />
    </Card>
  );
}

/** Requests (ServiceRequest or Task) still open, with requester and performer. */
export function RequestList({
  type,
  params,
  title,
  testId,
}: {
  type: string;
  params: Record<string, string>;
  title: TextKey;
  testId?: string;
}) {
  const { t } = useI18n();
  const orgs = useOrganizations();
  const q = useQuery({
    queryKey: ['requests', type, params],
    queryFn: () => search(type, { _count: 20, _sort: '-_lastUpdated', _total: 'accurate', ...params }),
  });
  interface Req {
    resourceType: string;
    id?: string;
    meta?: { lastUpdated?: string };
    code?: CodeableConcept;
    requester?: Reference;
    performer?: Reference[];
    owner?: Reference;
    for?: Reference;
    subject?: Reference;
    authoredOn?: string;
    status?: string;
  }
  const rows = resources(q.data).filter((r) => r.resourceType === type) as unknown as Req[];
  const org = (ref: string | undefined) =>
    (ref?.startsWith('Organization/') ? orgs.data?.get(ref.slice(13))?.name : undefined) ?? ref ?? '—';
  return (
    <Card size="small" title={`${t(title)} (${q.data?.total ?? rows.length})`}>
      <Table<Req>
        data-testid={testId}
        size="small"
        rowKey={(r) => r.id ?? ''}
        loading={q.isLoading}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('date'), key: 'd', render: (_, r) => day(r.authoredOn ?? r.meta?.lastUpdated) },
          { title: t('description'), key: 'c', render: (_, r) => codeText(r.code) },
          {
            title: t('name'),
            key: 'p',
            render: (_, r) => {
              const id = refId(r.subject ?? r.for, 'Patient');
              return id ? <Link to={`/patients/${id}`}>{t('open')}</Link> : '—';
            },
          },
          { title: t('requester'), key: 'rq', render: (_, r) => org(r.requester?.reference) },
          { title: t('performer'), key: 'pf', render: (_, r) => org((r.performer?.[0] ?? r.owner)?.reference) },
          { title: t('status'), key: 's', dataIndex: 'status' },
        ]}
      />
    </Card>
  );
}

export function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function daysAgo(n: number): string {
  return new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
}
