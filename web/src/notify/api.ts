/** The caller's inbox (站内消息): GET /api/inbox, /api/inbox/count, POST /api/inbox/read (server/src/platform/notify). */
import { api } from '../api/client';
import { query } from '../api/fhir';

export type Priority = 'routine' | 'urgent' | 'asap' | 'stat';

export interface Notification {
  id: string;
  recipient: string;
  /** 'critical-value', 'referral', 'task', 'escalation' … */
  category: string;
  priority: Priority;
  title: string;
  body: string;
  /** App path that opens the matter, e.g. /referrals/123. */
  link?: string;
  focus?: string;
  patient?: string;
  createdAt: string;
  readAt?: string;
}

export interface UnreadCounts {
  total: number;
  byCategory: Record<string, number>;
}

export interface InboxQuery {
  unread?: boolean;
  category?: string;
  limit?: number;
  before?: string;
}

export const INBOX_COUNT_KEY = ['inbox-count'] as const;

export function inbox(q: InboxQuery = {}): Promise<{ items: Notification[]; unread: UnreadCounts }> {
  return api(`/api/inbox?${query({ unread: q.unread ? '1' : undefined, category: q.category, limit: q.limit, before: q.before })}`);
}

export function unreadCounts(): Promise<UnreadCounts> {
  return api('/api/inbox/count');
}

export function markRead(ids: string[] | 'all'): Promise<{ updated: number }> {
  return api('/api/inbox/read', { method: 'POST', body: ids === 'all' ? { all: true } : { ids } });
}

/** The count after one more unread notification arrived (the badge changes without asking the server). */
export function withArrival(counts: UnreadCounts | undefined, n: Notification): UnreadCounts {
  const c = counts ?? { total: 0, byCategory: {} };
  if (n.readAt) return c;
  return { total: c.total + 1, byCategory: { ...c.byCategory, [n.category]: (c.byCategory[n.category] ?? 0) + 1 } };
}
