/**
 * Notifications (站内消息与外发): every notification is stored for its recipient with its read status and the outcome
 * of each outbound delivery, pushed live to the recipient's open web pages, and sent through the outbound channels
 * (SMS / WeChat gateways; a logging channel by default) when its priority asks for it.
 *
 * A recipient is a FHIR reference of the person who must act — 'Practitioner/<id>' for staff (users carry their
 * practitioner id), 'Patient/<id>' for residents — or 'user:<user id>' for an account without one.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Database, Queryable } from '../db/database.js';
import type { Clock } from '../clock.js';

export type NotificationPriority = 'routine' | 'urgent' | 'asap' | 'stat';

export interface NewNotification {
  tenant: string;
  recipient: string;
  /** What it is about, for filtering and icons: 'critical-value', 'referral', 'task', 'escalation' … */
  category: string;
  priority?: NotificationPriority;
  title: string;
  body?: string;
  /** Path in the web app that opens the matter (e.g. /referrals/123). */
  link?: string;
  /** The resource it is about (e.g. Task/123). */
  focus?: string;
  /** The resident concerned, if any (Patient/…). */
  patient?: string;
  /** Same key for the same recipient = the same notification (idempotent senders). */
  dedupKey?: string;
}

export interface Delivery {
  channel: string;
  status: 'sent' | 'failed' | 'skipped';
  at: string;
  detail?: string;
}

export interface Notification extends Required<Pick<NewNotification, 'tenant' | 'recipient' | 'category' | 'title'>> {
  id: string;
  priority: NotificationPriority;
  body: string;
  link?: string;
  focus?: string;
  patient?: string;
  createdAt: string;
  readAt?: string;
  deliveries: Delivery[];
}

/** An outbound gateway (SMS, WeChat …). `send` resolves with a detail (e.g. the gateway's message id) or throws. */
export interface OutboundChannel {
  readonly name: string;
  /** Which notifications go out through it (default: urgent and above). */
  wants?(n: Notification): boolean;
  send(n: Notification): Promise<string | undefined>;
}

/** The default channel: writes what would be sent to the log, so a county without a gateway still sees the traffic. */
export class LoggingChannel implements OutboundChannel {
  readonly name = 'log';
  readonly sent: Notification[] = [];

  constructor(private readonly log: (message: string) => void = () => undefined) {}

  async send(n: Notification): Promise<string> {
    this.sent.push(n);
    this.log(`[outbound ${n.priority}] to ${n.recipient}: ${n.title}`);
    return `log-${this.sent.length}`;
  }
}

interface NotificationRow {
  tenant: string;
  id: string;
  recipient: string;
  category: string;
  priority: NotificationPriority;
  title: string;
  body: string;
  link: string | null;
  focus: string | null;
  patient: string | null;
  created_at: string | Date;
  read_at: string | Date | null;
  deliveries: Delivery[] | string;
}

const COLUMNS = 'tenant, id, recipient, category, priority, title, body, link, focus, patient, created_at, read_at, deliveries';

function toNotification(r: NotificationRow): Notification {
  return {
    tenant: r.tenant,
    id: r.id,
    recipient: r.recipient,
    category: r.category,
    priority: r.priority,
    title: r.title,
    body: r.body,
    ...(r.link ? { link: r.link } : {}),
    ...(r.focus ? { focus: r.focus } : {}),
    ...(r.patient ? { patient: r.patient } : {}),
    createdAt: new Date(r.created_at).toISOString(),
    ...(r.read_at ? { readAt: new Date(r.read_at).toISOString() } : {}),
    deliveries: typeof r.deliveries === 'string' ? (JSON.parse(r.deliveries) as Delivery[]) : r.deliveries,
  };
}

const URGENT: readonly NotificationPriority[] = ['urgent', 'asap', 'stat'];

export interface InboxQuery {
  unreadOnly?: boolean;
  category?: string;
  limit?: number;
  /** Notifications created before this one (paging, newest first). */
  before?: string;
}

export class Notifier {
  private readonly live = new EventEmitter();
  private readonly channels: OutboundChannel[] = [];

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly log: (message: string, err?: unknown) => void = () => undefined,
  ) {
    this.live.setMaxListeners(0);
  }

  addChannel(channel: OutboundChannel): void {
    this.channels.push(channel);
  }

  /**
   * Stores a notification (in `q`'s transaction when given) and, once stored, pushes it live and sends it out.
   * With a dedup key already used for the recipient, the existing one is returned and nothing is sent again.
   */
  async send(input: NewNotification, q: Queryable = this.db): Promise<Notification> {
    const id = randomUUID();
    const now = this.clock.now().toISOString();
    const inserted = await q.query<NotificationRow>(
      `INSERT INTO notification (tenant, id, recipient, category, priority, title, body, link, focus, patient, dedup_key, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (tenant, recipient, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        input.tenant,
        id,
        input.recipient,
        input.category,
        input.priority ?? 'routine',
        input.title,
        input.body ?? '',
        input.link ?? null,
        input.focus ?? null,
        input.patient ?? null,
        input.dedupKey ?? null,
        now,
      ],
    );
    if (!inserted.rows[0]) {
      const existing = await q.query<NotificationRow>(
        `SELECT ${COLUMNS} FROM notification WHERE tenant = $1 AND recipient = $2 AND dedup_key = $3`,
        [input.tenant, input.recipient, input.dedupKey],
      );
      return toNotification(existing.rows[0]);
    }
    const notification = toNotification(inserted.rows[0]);
    // Outside a caller's transaction the row is already committed: push and send now. Inside one, the caller
    // calls `dispatch` after commit (or the event handler that called us runs outside a transaction anyway).
    if (q === this.db) await this.dispatch(notification);
    return notification;
  }

  /** Pushes a stored notification to open pages and sends it through the outbound channels that want it. */
  async dispatch(n: Notification): Promise<void> {
    this.live.emit(`${n.tenant} ${n.recipient}`, n);
    const deliveries: Delivery[] = [];
    for (const channel of this.channels) {
      const wants = channel.wants ? channel.wants(n) : URGENT.includes(n.priority);
      if (!wants) continue;
      const at = this.clock.now().toISOString();
      try {
        const detail = await channel.send(n);
        deliveries.push({ channel: channel.name, status: 'sent', at, ...(detail ? { detail } : {}) });
      } catch (err) {
        this.log(`outbound channel ${channel.name} failed for notification ${n.id}`, err);
        deliveries.push({ channel: channel.name, status: 'failed', at, detail: err instanceof Error ? err.message : String(err) });
      }
    }
    if (deliveries.length) {
      n.deliveries.push(...deliveries);
      await this.db.query('UPDATE notification SET deliveries = $3 WHERE tenant = $1 AND id = $2', [
        n.tenant,
        n.id,
        JSON.stringify(n.deliveries),
      ]);
    }
  }

  async inbox(tenant: string, recipients: readonly string[], query: InboxQuery = {}): Promise<Notification[]> {
    const rows = await this.db.query<NotificationRow>(
      `SELECT ${COLUMNS} FROM notification
        WHERE tenant = $1 AND recipient = ANY($2::text[])
          AND ($3::boolean IS NOT TRUE OR read_at IS NULL)
          AND ($4::text IS NULL OR category = $4)
          AND ($5::timestamptz IS NULL OR created_at < $5)
        ORDER BY created_at DESC, id LIMIT $6`,
      [tenant, recipients, query.unreadOnly ?? false, query.category ?? null, query.before ?? null, Math.min(query.limit ?? 50, 200)],
    );
    return rows.rows.map(toNotification);
  }

  /** Unread notifications per category and in all, for the badge. */
  async unreadCounts(tenant: string, recipients: readonly string[]): Promise<{ total: number; byCategory: Record<string, number> }> {
    const rows = await this.db.query<{ category: string; n: string | number }>(
      `SELECT category, count(*) AS n FROM notification
        WHERE tenant = $1 AND recipient = ANY($2::text[]) AND read_at IS NULL GROUP BY category`,
      [tenant, recipients],
    );
    const byCategory: Record<string, number> = {};
    let total = 0;
    for (const r of rows.rows) {
      byCategory[r.category] = Number(r.n);
      total += Number(r.n);
    }
    return { total, byCategory };
  }

  /** Marks notifications read (only the recipient's own); returns how many changed. */
  async markRead(tenant: string, recipients: readonly string[], ids: readonly string[] | 'all'): Promise<number> {
    const r = await this.db.query(
      `UPDATE notification SET read_at = $3 WHERE tenant = $1 AND recipient = ANY($2::text[]) AND read_at IS NULL
          AND ($4::text[] IS NULL OR id = ANY($4::text[]))`,
      [tenant, recipients, this.clock.now().toISOString(), ids === 'all' ? null : ids],
    );
    return r.rowCount;
  }

  async get(tenant: string, id: string): Promise<Notification | undefined> {
    const rows = await this.db.query<NotificationRow>(`SELECT ${COLUMNS} FROM notification WHERE tenant = $1 AND id = $2`, [tenant, id]);
    return rows.rows[0] ? toNotification(rows.rows[0]) : undefined;
  }

  /** Live push: calls `listener` for every new notification to one of `recipients`; returns the unsubscribe. */
  listen(tenant: string, recipients: readonly string[], listener: (n: Notification) => void): () => void {
    const names = recipients.map((r) => `${tenant} ${r}`);
    for (const name of names) this.live.on(name, listener);
    return () => {
      for (const name of names) this.live.off(name, listener);
    };
  }
}
