/**
 * The transactional outbox: event rows written in the same transaction as the resource rows they describe.
 * The Repository calls `appendOutboxEvents` for every write; any other write path (bulk COPY) must call it too.
 */
import type { Queryable } from '../db/database.js';
import type { EventAction } from './types.js';

export interface OutboxEntry {
  resourceType: string;
  id: string;
  version: number;
  action: EventAction;
  /** ISO time of the write (default: the database's now()). */
  at?: string;
}

/** Appends events in one statement, inside the caller's transaction. */
export async function appendOutboxEvents(q: Queryable, tenant: string, events: readonly OutboxEntry[]): Promise<void> {
  if (events.length === 0) return;
  await q.query(
    `INSERT INTO event_outbox (tenant, resource_type, resource_id, version, action, occurred_at)
     SELECT $1, e.t, e.i, e.v, e.a, COALESCE(e.at, now())
       FROM json_to_recordset($2::json) AS e(t text, i text, v integer, a text, at timestamptz)`,
    [tenant, JSON.stringify(events.map((e) => ({ t: e.resourceType, i: e.id, v: e.version, a: e.action, at: e.at ?? null })))],
  );
}

/**
 * Wakes the dispatcher of this process when a transaction that may have appended events commits, so delivery does
 * not wait for the next poll (the Repository fires it after each commit; other processes' writes are found by polling).
 */
class OutboxSignal {
  private listeners = new Set<() => void>();

  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const l of this.listeners) l();
  }
}

export const outboxSignal = new OutboxSignal();
