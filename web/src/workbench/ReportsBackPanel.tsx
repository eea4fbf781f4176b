/**
 * Township and village workbenches: the reports the reading centres (imaging, ECG, pathology) sent back for requests of
 * my institution — signed in the last 7 days — and the requests waiting on us (images or a tracing to upload, specimens
 * to send or send again after a rejection), critical ones marked, each linking to its case page. One request per
 * centre (`/api/{centre}/cases?view=requested&count=100`, the most recent requests), cached by react-query.
 */
import { Card, Space, Tag, Typography } from 'antd';
import { useQueries } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { api } from '../api/client';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import type { CaseItem, Centre } from '../reading/api';
import { benchKey, BT, CENTRE_INFO, READING_CENTRES } from './centres';
import { CaseLines } from './ReadingCentrePanel';

const COUNT = 100;
const SHOWN = 12;
const WEEK_MS = 7 * 86_400_000;
/** States in which the requester has to act (upload, send specimens again). */
const WAITING_ON_US = ['awaiting-images', 'qc-rejected'];

export interface BackItem {
  centre: Centre;
  item: CaseItem;
  waiting: boolean;
}

/** Signed in the last 7 days or waiting on us; waiting and critical first, then the newest. */
export function reportsBack(byCentre: { centre: Centre; items: CaseItem[] }[], now = Date.now()): BackItem[] {
  const rows: (BackItem & { at: number })[] = [];
  for (const { centre, items } of byCentre) {
    for (const item of items) {
      const signed = item.case.signedAt ? Date.parse(item.case.signedAt) : NaN;
      const waiting = WAITING_ON_US.includes(item.state.code);
      if (waiting || (item.state.code !== 'cancelled' && now - signed <= WEEK_MS)) {
        rows.push({ centre, item, waiting, at: waiting ? Date.parse(item.case.requestedAt ?? '') || 0 : signed });
      }
    }
  }
  return rows
    .sort((a, b) => Number(b.waiting) - Number(a.waiting) || Number(b.item.case.critical) - Number(a.item.case.critical) || b.at - a.at)
    .map(({ centre, item, waiting }) => ({ centre, item, waiting }));
}

export function ReportsBackPanel() {
  const { pick } = useI18n();
  const queries = useQueries({
    queries: READING_CENTRES.map((centre) => ({
      queryKey: benchKey('requested', centre),
      queryFn: () => api<{ items: CaseItem[] }>(`/api/${centre}/cases?view=requested&count=${COUNT}`).then((r) => r.items),
      staleTime: 60_000,
    })),
  });
  const loading = queries.some((q) => q.isLoading);
  const failed = queries.find((q) => q.error);
  const all = reportsBack(READING_CENTRES.map((centre, i) => ({ centre, items: queries[i]?.data ?? [] })));
  const rows = all.slice(0, SHOWN);
  const waiting = all.filter((r) => r.waiting).length;
  return (
    <Card
      size="small"
      title={
        <Space wrap size={[8, 0]}>
          <span>{pick(BT.reportsBack)}</span>
          {waiting ? <Tag color="orange">{`${pick(BT.waitingOnUs)} ${waiting}`}</Tag> : null}
        </Space>
      }
      data-testid="bench-reports-back"
    >
      {failed?.error ? <ErrorAlert error={failed.error} onRetry={() => void failed.refetch()} /> : null}
      {loading ? (
        <Typography.Text type="secondary">…</Typography.Text>
      ) : rows.length ? (
        <>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {pick(BT.reportsBackHint)}
          </Typography.Text>
          {READING_CENTRES.map((centre) => {
            const mine = rows.filter((r) => r.centre === centre).map((r) => r.item);
            return mine.length ? (
              <div key={centre} style={{ marginTop: 8 }}>
                <Link to={`/${centre}?view=requested&all=1`}>
                  <Typography.Text strong>{pick(CENTRE_INFO[centre].title)}</Typography.Text>
                </Link>
                <CaseLines
                  centre={centre}
                  items={mine}
                  testId={`bench-reports-${centre}`}
                  time={(i) => i.case.signedAt ?? i.case.requestedAt}
                />
              </div>
            ) : null;
          })}
        </>
      ) : (
        <Typography.Text type="secondary" data-testid="bench-reports-none">
          {pick(BT.none)}
        </Typography.Text>
      )}
    </Card>
  );
}
