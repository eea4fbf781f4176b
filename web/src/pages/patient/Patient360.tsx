/**
 * The resident 360° view: one $everything load, then everything derived in the browser — overview, a timeline across
 * institutions, labs with trends, reports, medications, immunisations, follow-ups, pregnancies, contracts, referrals —
 * filtered by type, institution and period; 'who accessed this record' for the resident and administrators.
 */
import { useEffect, useMemo, useState } from 'react';
import { Card, DatePicker, Select, Space, Spin, Tabs, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router-dom';
import type { Dayjs } from 'dayjs';
import { ApiError } from '../../api/client';
import { read, record as loadRecord } from '../../api/fhir';
import type { Patient } from '../../api/types';
import { nameOf } from '../../api/format';
import { useAuth } from '../../auth';
import { useOrganizations } from '../../hooks';
import { useI18n } from '../../i18n';
import { ErrorAlert } from '../../components/ErrorAlert';
import { AccessLog } from './AccessLog';
import { NotFoundWithBreakGlass } from './BreakGlass';
import { ItemTable } from './ItemTable';
import { KIND_LABEL } from './labels';
import { Labs } from './Labs';
import { KINDS, toItems, type Item, type Kind } from './model';
import { Overview } from './Overview';
import { Timeline } from './Timeline';

const BREAK_GLASS_ROLES = ['village-doctor', 'township-doctor', 'county-specialist'];

export default function Patient360() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const { me, has } = useAuth();
  const orgs = useOrganizations();
  const [reason, setReason] = useState<string>();
  const [kinds, setKinds] = useState<Kind[]>([]);
  const [org, setOrg] = useState<string>();
  const [period, setPeriod] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  useEffect(() => setReason(undefined), [id]);
  const patient = useQuery({
    queryKey: ['patient', id, reason],
    queryFn: () => read<Patient>('Patient', id, { breakGlass: reason }),
  });
  const record = useQuery({
    queryKey: ['everything', id, reason],
    // In parallel with the Patient read: a record outside the caller's scope comes back empty (and is not shown).
    queryFn: () => loadRecord(id, { breakGlass: reason }),
  });
  const items = useMemo(() => (record.data ? toItems(record.data) : []), [record.data]);
  const filtered = useMemo(() => {
    const [from, to] = period ?? [null, null];
    return items.filter(
      (i) =>
        (kinds.length === 0 || kinds.includes(i.kind)) &&
        (!org || i.orgId === org) &&
        (!from || (i.date ?? '') >= from.format('YYYY-MM-DD')) &&
        (!to || (i.date ?? '').slice(0, 10) <= to.format('YYYY-MM-DD')),
    );
  }, [items, kinds, org, period]);

  if (patient.isLoading) return <Spin style={{ margin: 48 }} />;
  if (patient.error) {
    const e = patient.error;
    if (e instanceof ApiError && (e.status === 404 || e.status === 410 || e.status === 403))
      return <NotFoundWithBreakGlass canBreakGlass={has(...BREAK_GLASS_ROLES) && !reason} onReason={setReason} />;
    return <ErrorAlert error={e} onRetry={() => void patient.refetch()} />;
  }
  const p = patient.data!;
  const own = me?.patientId === id;
  const showLog = own || has('admin');
  const of = (...k: Kind[]) => filtered.filter((i) => k.includes(i.kind));
  const orgIds = [...new Set(items.map((i) => i.orgId).filter((x): x is string => !!x))];
  const table = (k: Kind[], testId?: string) => <ItemTable items={of(...k)} orgs={orgs.data} testId={testId} />;
  const tab = (key: string, label: string, children: React.ReactNode, n?: number) => ({
    key,
    label: n === undefined ? label : `${label} ${n}`,
    children,
  });
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="patient-360">
      <Card size="small">
        <Space wrap>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="patient-name">
            {nameOf(p.name)}
          </Typography.Title>
          {reason && <Tag color="red">{t('breakGlassActive')}</Tag>}
          {record.data && (
            <Typography.Text type="secondary" data-testid="resource-count">
              {t('resources')}: {record.data.length}
            </Typography.Text>
          )}
        </Space>
      </Card>
      <Overview patient={p} items={items} orgs={orgs.data} />
      <Card size="small">
        <Space wrap style={{ marginBottom: 8 }}>
          <Select<Kind[]>
            mode="multiple"
            allowClear
            placeholder={t('filterType')}
            style={{ minWidth: 160 }}
            value={kinds}
            onChange={setKinds}
            options={KINDS.map((k) => ({ value: k, label: t(KIND_LABEL[k]) }))}
            data-testid="filter-type"
          />
          <Select<string>
            allowClear
            placeholder={t('filterInstitution')}
            style={{ minWidth: 160 }}
            value={org}
            onChange={setOrg}
            options={orgIds.map((o) => ({ value: o, label: orgs.data?.get(o)?.name ?? o }))}
            data-testid="filter-org"
          />
          <DatePicker.RangePicker value={period} onChange={(v) => setPeriod(v)} />
        </Space>
        {record.isLoading ? (
          <Spin />
        ) : record.error ? (
          <ErrorAlert error={record.error} onRetry={() => void record.refetch()} />
        ) : (
          <Tabs
            items={[
              tab('timeline', t('timeline'), <Timeline items={filtered} orgs={orgs.data} />, filtered.length),
              tab('labs', t('labs'), <Labs items={of('lab', 'vital')} orgs={orgs.data} />, of('lab', 'vital').length),
              tab('reports', t('reports'), table(['report']), of('report').length),
              tab('medications', t('medications'), table(['medication']), of('medication').length),
              tab('immunizations', t('immunizations'), table(['immunization']), of('immunization').length),
              tab('followups', t('followUps'), table(['followup']), of('followup').length),
              tab('pregnancies', t('pregnancies'), table(['pregnancy']), of('pregnancy').length),
              tab('contracts', t('contracts'), table(['contract']), of('contract').length),
              tab('referrals', t('referrals'), table(['referral']), of('referral').length),
              ...(showLog ? [tab('access', t('accessLog'), <AccessLog patientId={id} own={own} />)] : []),
            ]}
          />
        )}
      </Card>
    </Space>
  );
}

export type { Item };
