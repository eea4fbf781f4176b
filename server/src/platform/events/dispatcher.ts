/**
 * The event dispatcher: claims committed events from the outbox, hands them to the transport (in process by default,
 * NATS JetStream when configured) and deletes them once handed over. The in-process transport calls the module
 * handlers directly; a failing handler's event is retried with exponential backoff and then kept as a dead letter,
 * without holding up the other handlers or the events behind it.
 *
 * Several server processes may run dispatchers on one PostgreSQL database: claims use FOR UPDATE SKIP LOCKED and
 * expire, so an event is never lost when a process dies and is rarely delivered twice (handlers are idempotent).
 */
import type { Database } from '../db/database.js';
import type { Repository } from '../fhir/repository.js';
import { outboxSignal } from './outbox.js';
import type { EventBus, EventHandler, ResourceEvent } from './types.js';

export interface DispatcherOptions {
  /** A repository with full access in a tenant, handed to handlers. */
  repositoryFor(tenant: string): Repository;
  log?: (message: string, err?: unknown) => void;
  /** Poll interval when idle, for writes of other processes (ms, default 200). */
  pollMs?: number;
  /** Events claimed at once (default 500). */
  batchSize?: number;
  /** How long a claim holds before another process may take the events (ms, default 60 s). */
  claimMs?: number;
  /** First retry delay; each later one doubles, up to `maxRetryDelayMs` (default 1 s and 10 min). */
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  /** Where claimed events go; default: straight to this process's handlers. */
  transport?: EventTransport;
}

/** Carries claimed events to the handlers (possibly through a broker and another process). */
export interface EventTransport {
  readonly name: string;
  /** Takes over the events; when it resolves they are safe (delivered or durably queued) and leave the outbox. */
  publish(events: ResourceEvent[]): Promise<void>;
  start?(deliver: (event: ResourceEvent) => Promise<void>): Promise<void>;
  /** True when every event published so far was offered to the handlers (for drain). */
  idle?(): Promise<boolean>;
  close?(): Promise<void>;
}

interface OutboxRow {
  seq: string;
  tenant: string;
  resource_type: string;
  resource_id: string;
  version: number;
  action: ResourceEvent['action'];
  occurred_at: string | Date;
}

interface DeliveryRow {
  handler: string;
  seq: string;
  event: ResourceEvent | string;
  attempts: number;
}

export interface DeadLetter {
  handler: string;
  event: ResourceEvent;
  attempts: number;
  lastError: string | null;
  updatedAt: string;
}

const toEvent = (r: OutboxRow): ResourceEvent => ({
  seq: String(r.seq),
  tenant: r.tenant,
  resourceType: r.resource_type,
  id: r.resource_id,
  version: r.version,
  action: r.action,
  occurredAt: new Date(r.occurred_at).toISOString(),
});

export function handlerWants(handler: EventHandler, event: ResourceEvent): boolean {
  if (handler.types !== '*' && !handler.types.includes(event.resourceType)) return false;
  return !handler.actions || handler.actions.includes(event.action);
}

export class EventDispatcher implements EventBus {
  private readonly handlers = new Map<string, EventHandler>();
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;
  private pumping: Promise<number> | undefined;
  private again = false;
  private stopped = true;
  private readonly transport: EventTransport;
  /** Events handed over and handler deliveries made, since start (benchmarks, /readyz-style diagnostics). */
  readonly stats = { published: 0, delivered: 0, failed: 0, dead: 0 };

  constructor(
    private readonly db: Database,
    private readonly options: DispatcherOptions,
  ) {
    this.transport = options.transport ?? { name: 'in-process', publish: (events) => this.deliverAll(events) };
  }

  subscribe(handler: EventHandler): void {
    this.handlers.set(handler.name, handler);
  }

  get transportName(): string {
    return this.transport.name;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.transport.start?.((event) => this.deliverToAll(event));
    this.unlisten = outboxSignal.on(() => this.kick());
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unlisten?.();
    if (this.timer) clearTimeout(this.timer);
    await this.pumping?.catch(() => undefined);
    await this.transport.close?.();
  }

  /**
   * Resolves when every event committed before the call was offered to every handler at least once (failures are
   * then waiting for retry), by whichever process claimed it: several processes may share one PostgreSQL outbox.
   */
  async drain(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const top = (await this.db.query<{ m: string | null }>('SELECT max(seq)::text AS m FROM event_outbox')).rows[0]?.m;
    for (;;) {
      await this.pumping?.catch(() => undefined);
      await this.pump();
      const left =
        top === null || top === undefined ? 0 : (await this.db.query('SELECT 1 FROM event_outbox WHERE seq <= $1 LIMIT 1', [top])).rowCount;
      const idle = (await this.transport.idle?.()) ?? true;
      if (left === 0 && idle) return;
      if (Date.now() > until) throw new Error(`events not drained within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Runs due retries of failed deliveries now (the background loop does so on every pass). */
  async retryDue(): Promise<number> {
    const claimMs = this.options.claimMs ?? 60_000;
    const rows = (
      await this.db.query<DeliveryRow>(
        `UPDATE event_delivery SET claimed_until = now() + ($1 || ' milliseconds')::interval
          WHERE (handler, seq) IN (
            SELECT handler, seq FROM event_delivery
             WHERE status = 'retry' AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
               AND handler = ANY($2::text[])
             ORDER BY next_attempt_at LIMIT 100 FOR UPDATE SKIP LOCKED)
        RETURNING handler, seq, event, attempts`,
        // Only this process's handlers: claiming another's retries would hold them and keep drain() busy forever.
        [String(claimMs), [...this.handlers.keys()]],
      )
    ).rows;
    for (const row of rows) {
      const handler = this.handlers.get(row.handler);
      const event = typeof row.event === 'string' ? (JSON.parse(row.event) as ResourceEvent) : row.event;
      if (!handler) {
        await this.db.query('UPDATE event_delivery SET claimed_until = NULL WHERE handler = $1 AND seq = $2', [row.handler, row.seq]);
        continue;
      }
      await this.attempt(handler, event, row.attempts + 1, true);
    }
    return rows.length;
  }

  /** Dead letters (failed deliveries that used up their attempts), newest first. */
  async deadLetters(tenant?: string, limit = 100): Promise<DeadLetter[]> {
    const rows = await this.db.query<DeliveryRow & { last_error: string | null; updated_at: string | Date }>(
      `SELECT handler, seq, event, attempts, last_error, updated_at FROM event_delivery
        WHERE status = 'dead' AND ($1::text IS NULL OR tenant = $1) ORDER BY updated_at DESC LIMIT $2`,
      [tenant ?? null, limit],
    );
    return rows.rows.map((r) => ({
      handler: r.handler,
      event: typeof r.event === 'string' ? (JSON.parse(r.event) as ResourceEvent) : r.event,
      attempts: r.attempts,
      lastError: r.last_error,
      updatedAt: new Date(r.updated_at).toISOString(),
    }));
  }

  /** Gives a dead letter a fresh set of attempts (after the cause was fixed). */
  async retryDeadLetter(handler: string, seq: string, tenant?: string): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE event_delivery SET status = 'retry', attempts = 0, next_attempt_at = now(), claimed_until = NULL
        WHERE handler = $1 AND seq = $2 AND status = 'dead' AND ($3::text IS NULL OR tenant = $3)`,
      [handler, seq, tenant ?? null],
    );
    this.kick();
    return r.rowCount > 0;
  }

  /** Offers one event to every interested handler (the transports' entry point). */
  async deliverToAll(event: ResourceEvent): Promise<void> {
    for (const handler of this.handlers.values()) {
      if (handlerWants(handler, event)) await this.attempt(handler, event, 1);
    }
  }

  private async deliverAll(events: ResourceEvent[]): Promise<void> {
    for (const event of events) await this.deliverToAll(event);
  }

  /** One delivery attempt; a failure is recorded for retry (or as a dead letter), never thrown. */
  private async attempt(handler: EventHandler, event: ResourceEvent, attempt: number, recorded = false): Promise<void> {
    try {
      await handler.handle(event, { repository: this.options.repositoryFor(event.tenant), attempt });
      this.stats.delivered++;
      // A retried dead letter starts again at attempt 1: its row must go too, or it would be offered again forever.
      if (attempt > 1 || recorded)
        await this.db.query('DELETE FROM event_delivery WHERE handler = $1 AND seq = $2', [handler.name, event.seq]);
    } catch (err) {
      this.stats.failed++;
      const max = handler.maxAttempts ?? 8;
      const dead = attempt >= max;
      if (dead) this.stats.dead++;
      const base = this.options.retryBaseMs ?? 1000;
      const delay = Math.min(base * 2 ** (attempt - 1), this.options.maxRetryDelayMs ?? 600_000);
      const message = err instanceof Error ? err.message : String(err);
      this.options.log?.(`event handler ${handler.name} failed on ${event.resourceType}/${event.id} (attempt ${attempt}/${max})`, err);
      await this.db.query(
        `INSERT INTO event_delivery (handler, seq, tenant, event, status, attempts, next_attempt_at, last_error, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + ($7 || ' milliseconds')::interval, $8, now())
         ON CONFLICT (handler, seq) DO UPDATE SET status = EXCLUDED.status, attempts = EXCLUDED.attempts,
           next_attempt_at = EXCLUDED.next_attempt_at, last_error = EXCLUDED.last_error, updated_at = now(), claimed_until = NULL`,
        [
          handler.name,
          event.seq,
          event.tenant,
          JSON.stringify(event),
          dead ? 'dead' : 'retry',
          attempt,
          String(delay),
          message.slice(0, 2000),
        ],
      );
    }
  }

  /** Claims a batch from the outbox, hands it to the transport, deletes it; returns the number of events moved. */
  private async moveBatch(): Promise<number> {
    const claimMs = this.options.claimMs ?? 60_000;
    const rows = (
      await this.db.query<OutboxRow>(
        `UPDATE event_outbox SET claimed_until = now() + ($1 || ' milliseconds')::interval
          WHERE seq IN (
            SELECT seq FROM event_outbox WHERE claimed_until IS NULL OR claimed_until < now()
             ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING seq, tenant, resource_type, resource_id, version, action, occurred_at`,
        [String(claimMs), this.options.batchSize ?? 500],
      )
    ).rows;
    if (rows.length === 0) return 0;
    const events = rows.map(toEvent).sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
    await this.transport.publish(events);
    this.stats.published += events.length;
    await this.db.query('DELETE FROM event_outbox WHERE seq = ANY($1::bigint[])', [events.map((e) => e.seq)]);
    return events.length;
  }

  /** One pass: outbox batches until empty (bounded), then due retries. Passes never overlap within a process. */
  private pump(): Promise<number> {
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    const run = async (): Promise<number> => {
      let moved = 0;
      for (let i = 0; i < 20; i++) {
        const n = await this.moveBatch();
        moved += n;
        if (n < (this.options.batchSize ?? 500)) break;
      }
      return moved + (await this.retryDue());
    };
    this.pumping = run().finally(() => {
      this.pumping = undefined;
    });
    return this.pumping;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.again = false;
      this.pump().then(
        (n) => this.schedule(n > 0 || this.again ? 0 : (this.options.pollMs ?? 200)),
        (err: unknown) => {
          this.options.log?.('event dispatcher pass failed', err);
          this.schedule(1000);
        },
      );
    }, delay);
    this.timer.unref();
  }
}
