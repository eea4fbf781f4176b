/**
 * The Subscriptions that receive notifications, per tenant, cached: every event asks for them, and a query per event
 * would cost more than the matching. A Subscription write invalidates the tenant's entry in the process that handles
 * its event; the time limit bounds how stale another process's copy can be (several processes behind NATS).
 */
import type { Subscription } from '@medplum/fhirtypes';
import type { Repository } from '../fhir/repository.js';
import { parseCriteria, type Criteria } from './criteria.js';

export interface ActiveSubscription {
  id: string;
  tenant: string;
  status: 'active' | 'error';
  criteria: Criteria;
  channel: { type: 'rest-hook' | 'websocket'; endpoint?: string; payload?: string; header: string[] };
}

export class SubscriptionRegistry {
  private readonly cache = new Map<string, { at: number; list: Promise<ActiveSubscription[]> }>();

  constructor(
    private readonly repositoryFor: (tenant: string) => Repository,
    private readonly ttlMs = 10_000,
    private readonly log: (message: string, err?: unknown) => void = () => undefined,
  ) {}

  /** Active Subscriptions of the tenant, and those in error (a recovered endpoint makes them active again). */
  forTenant(tenant: string): Promise<ActiveSubscription[]> {
    const hit = this.cache.get(tenant);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.list;
    const list = this.load(tenant);
    this.cache.set(tenant, { at: Date.now(), list });
    list.catch(() => this.cache.delete(tenant));
    return list;
  }

  invalidate(tenant: string): void {
    this.cache.delete(tenant);
  }

  private async load(tenant: string): Promise<ActiveSubscription[]> {
    const repo = this.repositoryFor(tenant);
    const rows = await repo.query<{ content: string }>(
      `SELECT content FROM "Subscription" WHERE tenant = $1 AND NOT deleted AND p_status && ARRAY['active', 'error']::text[]`,
      [tenant],
    );
    const now = Date.now();
    const out: ActiveSubscription[] = [];
    for (const { content } of rows) {
      const sub = JSON.parse(content) as Subscription;
      // R4: past its end the subscription stops (the server may also set it off).
      if (sub.end && Date.parse(sub.end) <= now) continue;
      try {
        out.push({
          id: sub.id!,
          tenant,
          status: sub.status as 'active' | 'error',
          criteria: parseCriteria(sub.criteria ?? ''),
          channel: {
            type: sub.channel.type as 'rest-hook' | 'websocket',
            endpoint: sub.channel.endpoint,
            payload: sub.channel.payload,
            header: sub.channel.header ?? [],
          },
        });
      } catch (err) {
        // Written before a rule changed: it stays stored, but cannot be matched.
        this.log(`Subscription/${sub.id} has criteria this server no longer runs`, err);
      }
    }
    return out;
  }
}
