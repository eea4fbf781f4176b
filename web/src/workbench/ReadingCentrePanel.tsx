/**
 * A reader's panel on the workbench, one card per reading centre the user's department is (imaging, ECG, pathology):
 * counts by state — to read, reading (mine), to sign, overdue — and the first open cases, most pressing first, each
 * linking to its case page. One request per centre (`/api/{centre}/cases?view=centre&open=1&count=200`).
 */
import { Card, Space, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { api } from '../api/client';
import { dateTime } from '../api/format';
import { useAuth } from '../auth';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import type { CaseItem, Centre } from '../reading/api';
import { priorityText } from '../reading/texts';
import { benchKey, BT, casePath, CENTRE_INFO, READING_CENTRES, stateLabel, useMyCentreRoles } from './centres';

const COUNT = 200;
const SHOWN = 6;
const PRIORITY_RANK: Record<string, number> = { stat: 0, asap: 1, urgent: 1, routine: 2 };

export function ReadingCentrePanel() {
  const { roles } = useMyCentreRoles();
  const centres = READING_CENTRES.filter((c) => roles.includes(c));
  if (!centres.length) return null;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {centres.map((c) => (
        <CentreCard key={c} centre={c} />
      ))}
    </Space>
  );
}

/** What the centre can act on now, most pressing first: overdue, then by priority, then the oldest request. */
export function pressing(items: CaseItem[], me: string | undefined): CaseItem[] {
  const actionable = items.filter(
    (i) =>
      i.state.code === 'requested' ||
      (i.state.code === 'claimed' && i.case.claimedBy === me) ||
      (i.state.code === 'preliminary' && i.case.reportedBy !== me),
  );
  const rank = (i: CaseItem) => PRIORITY_RANK[i.task.priority ?? 'routine'] ?? 2;
  const time = (i: CaseItem) => Date.parse(i.case.imagesAt ?? i.case.requestedAt ?? '') || 0;
  return actionable.sort((a, b) => Number(b.overdue) - Number(a.overdue) || rank(a) - rank(b) || time(a) - time(b));
}

function CentreCard({ centre }: { centre: Centre }) {
  const { pick } = useI18n();
  const { me } = useAuth();
  const myRef = me?.practitionerId ? `Practitioner/${me.practitionerId}` : undefined;
  const q = useQuery({
    queryKey: benchKey('centre', centre),
    queryFn: () => api<{ items: CaseItem[] }>(`/api/${centre}/cases?view=centre&open=1&count=${COUNT}`).then((r) => r.items),
    staleTime: 30_000,
  });
  const items = q.data ?? [];
  const atCentre = items.filter((i) => ['requested', 'claimed', 'preliminary'].includes(i.state.code));
  const more = items.length >= COUNT ? '+' : '';
  const counts = [
    { key: 'to-read', label: BT.toRead, n: atCentre.filter((i) => i.state.code === 'requested').length },
    {
      key: 'mine',
      label: BT.readingMine,
      n: atCentre.filter((i) => i.state.code === 'claimed' && i.case.claimedBy === myRef).length,
    },
    { key: 'to-sign', label: BT.toSign, n: atCentre.filter((i) => i.state.code === 'preliminary').length },
    { key: 'overdue', label: BT.overdue, n: atCentre.filter((i) => i.overdue).length, red: true },
  ];
  const first = pressing(atCentre, myRef).slice(0, SHOWN);
  return (
    <Card
      size="small"
      title={pick(CENTRE_INFO[centre].title)}
      extra={<Link to={`/${centre}`}>{pick(BT.viewAll)}</Link>}
      data-testid={`bench-centre-${centre}`}
    >
      {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
      <Space wrap size={[8, 8]} style={{ marginBottom: 8 }} data-testid={`bench-centre-counts-${centre}`}>
        {counts.map((c) => (
          <Tag key={c.key} color={c.red && c.n ? 'red' : c.n ? 'blue' : undefined} data-testid={`bench-count-${c.key}`}>
            {pick(c.label)} {q.isLoading ? '…' : `${c.n}${more}`}
          </Tag>
        ))}
      </Space>
      {q.isLoading ? null : first.length ? (
        <CaseLines centre={centre} items={first} testId={`bench-centre-cases-${centre}`} />
      ) : (
        <Typography.Text type="secondary">{pick(BT.none)}</Typography.Text>
      )}
    </Card>
  );
}

/** Cases as short wrapping lines (no table: nothing to scroll sideways on a phone). */
export function CaseLines({
  centre,
  items,
  testId,
  time,
}: {
  centre: Centre;
  items: CaseItem[];
  testId?: string;
  /** The time to show on a line (default: when the request came in). */
  time?: (i: CaseItem) => string | null;
}) {
  const { pick } = useI18n();
  return (
    <div data-testid={testId}>
      {items.map((i) => {
        const priority = i.task.priority && i.task.priority !== 'routine' ? priorityText(i.task.priority) : undefined;
        return (
          <div
            key={i.case.task}
            data-testid={`bench-case-${i.case.task}`}
            style={{ padding: '6px 0', borderTop: '1px solid rgba(5, 5, 5, 0.06)', overflowWrap: 'anywhere' }}
          >
            <Space wrap size={[6, 4]}>
              <Link to={casePath(centre, i.case.task)} data-testid={`bench-open-${i.case.task}`}>
                {i.patient?.display ?? pick(BT.open)}
              </Link>
              <Typography.Text>{i.focus?.summary ?? i.case.item ?? ''}</Typography.Text>
              <Tag color={i.state.final ? 'green' : 'blue'}>{stateLabel(centre, i, pick)}</Tag>
              {priority ? <Tag color="orange">{pick(priority)}</Tag> : null}
              {i.overdue ? <Tag color="red">{pick(BT.overdue)}</Tag> : null}
              {i.case.critical ? (
                <Tag color="red" data-testid="bench-critical">
                  {pick(BT.critical)}
                </Tag>
              ) : null}
              <Typography.Text type="secondary">{dateTime((time?.(i) ?? i.case.requestedAt) || undefined)}</Typography.Text>
            </Space>
          </div>
        );
      })}
    </div>
  );
}
