/**
 * Remote consultations on a county specialist's workbench: at the consultation centre (centre role `consultation`) the
 * open requests addressed to it (`/api/consultation/requests?view=incoming&open=1`), and for every specialist the open
 * consultations they are invited to as an expert (`view=expert`) — with the session time when it is set. Shows
 * nothing for a specialist outside the centre who is invited to none.
 */
import { Card, Space, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { api } from '../api/client';
import { dateTime } from '../api/format';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import type { Consultation } from '../pages/consultation/api';
import { TX } from '../pages/consultation/texts';
import { benchKey, BT, useMyCentreRoles } from './centres';

const COUNT = 20;
const SHOWN = 6;

const list = (view: 'incoming' | 'expert') =>
  api<{ items: Consultation[] }>(`/api/consultation/requests?view=${view}&open=1&count=${COUNT}`).then((r) => r.items);

/** Sessions with a time first, soonest first; then the oldest request (it has waited longest). */
export function byTime(items: Consultation[]): Consultation[] {
  const t = (c: Consultation) => Date.parse(c.scheduledTime ?? '') || Infinity;
  const created = (c: Consultation) => Date.parse(c.createdAt ?? '') || 0;
  return [...items].sort((a, b) => Number(b.overdue) - Number(a.overdue) || t(a) - t(b) || created(a) - created(b));
}

export function ConsultationPanel() {
  const { pick } = useI18n();
  const { roles, loading } = useMyCentreRoles();
  const centre = roles.includes('consultation');
  const incoming = useQuery({
    queryKey: benchKey('consultation', 'incoming'),
    queryFn: () => list('incoming'),
    enabled: centre,
    staleTime: 30_000,
  });
  const expert = useQuery({ queryKey: benchKey('consultation', 'expert'), queryFn: () => list('expert'), staleTime: 30_000 });
  const invited = expert.data ?? [];
  if (loading || (!centre && !invited.length)) return null;
  const sections = [
    ...(centre ? [{ key: 'incoming', title: BT.incoming, q: incoming }] : []),
    ...(invited.length ? [{ key: 'expert', title: BT.expert, q: expert }] : []),
  ];
  return (
    <Card
      size="small"
      title={pick(BT.consultations)}
      extra={<Link to="/consultation">{pick(BT.viewAll)}</Link>}
      data-testid="bench-consultations"
    >
      {sections.map(({ key, title, q }) => {
        const items = byTime(q.data ?? []);
        return (
          <div key={key} style={{ marginBottom: 8 }} data-testid={`bench-consultations-${key}`}>
            <Typography.Text
              strong
            >{`${pick(title)} (${q.isLoading ? '…' : items.length}${items.length >= COUNT ? '+' : ''})`}</Typography.Text>
            {q.error ? <ErrorAlert error={q.error} onRetry={() => void q.refetch()} /> : null}
            {!q.isLoading && !items.length ? (
              <div>
                <Typography.Text type="secondary">{pick(BT.none)}</Typography.Text>
              </div>
            ) : null}
            {items.slice(0, SHOWN).map((c) => (
              <div key={c.id} style={{ padding: '6px 0', borderTop: '1px solid rgba(5, 5, 5, 0.06)', overflowWrap: 'anywhere' }}>
                <Space wrap size={[6, 4]}>
                  <Link to={`/consultation/${c.id}`} data-testid={`bench-consultation-${c.id}`}>
                    {c.patient?.display || pick(BT.open)}
                  </Link>
                  <Tag color={c.kind === 'mdt' ? 'purple' : 'blue'}>{pick(TX[c.kind])}</Tag>
                  {c.mode === 'instant' ? <Tag color="red">{pick(TX.instant)}</Tag> : null}
                  <Tag color={c.overdue ? 'red' : 'processing'}>{pick(c.state.display)}</Tag>
                  {c.from?.display ? <Typography.Text type="secondary">{c.from.display}</Typography.Text> : null}
                  <Typography.Text type="secondary">
                    {c.scheduledTime
                      ? `${pick(BT.scheduledAt)} ${dateTime(c.scheduledTime)}`
                      : c.requestedTime
                        ? `${pick(BT.requestedAt)} ${dateTime(c.requestedTime)}`
                        : dateTime(c.createdAt)}
                  </Typography.Text>
                </Space>
              </div>
            ))}
          </div>
        );
      })}
    </Card>
  );
}
