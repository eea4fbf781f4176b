/**
 * The event handler behind FHIR Subscriptions. For each committed create or update it finds the tenant's
 * Subscriptions on that resource type and runs each one's criteria as a search restricted to the written resource
 * (`criteria&_id=<id>`, with full access, since a Subscription is written by an administrator or a system client):
 * a hit is a notification. Deletes notify nobody (R4: criteria apply to the new value).
 *
 * Delivery is at least once. A rest-hook that fails makes the whole event fail, so the dispatcher retries it with
 * backoff; endpoints already served are remembered (subscription_delivery) and skipped on the retry. When the last
 * attempt fails the Subscription goes to status `error` with the reason in `error` (and the event is a dead letter);
 * the next successful delivery puts it back to `active`. A new Subscription (status `requested`) is activated here.
 */
import type { Subscription } from '@medplum/fhirtypes';
import type { Database } from '../db/database.js';
import type { Repository } from '../fhir/repository.js';
import { conditionalMatches } from '../fhir/router.js';
import type { EventHandler, ResourceEvent } from '../events/types.js';
import type { ActiveSubscription, SubscriptionRegistry } from './registry.js';
import { restHookRequest, sendRestHook } from './rest-hook.js';
import type { WebSocketHub } from './websocket.js';

export const SUBSCRIPTION_HANDLER = 'fhir-subscriptions';

export interface SubscriptionHandlerDeps {
  db: Database;
  registry: SubscriptionRegistry;
  hub: WebSocketHub;
  baseUrl: string;
  /** Attempts per event before the Subscription goes to error (default 6: with the default backoff ≈ 30 s). */
  maxAttempts?: number;
  log?: (message: string, err?: unknown) => void;
}

export function subscriptionHandler(deps: SubscriptionHandlerDeps): EventHandler {
  const maxAttempts = deps.maxAttempts ?? 6;
  let lastPurge = 0;

  const matches = async (repository: Repository, sub: ActiveSubscription, id: string): Promise<boolean> => {
    const query = sub.criteria.query ? `${sub.criteria.query}&_id=${encodeURIComponent(id)}` : `_id=${encodeURIComponent(id)}`;
    return (await conditionalMatches(repository, sub.criteria.resourceType, query, deps.baseUrl)).length > 0;
  };

  const delivered = async (sub: ActiveSubscription, event: ResourceEvent): Promise<boolean> =>
    (
      await deps.db.query('SELECT 1 FROM subscription_delivery WHERE tenant = $1 AND subscription_id = $2 AND seq = $3', [
        event.tenant,
        sub.id,
        event.seq,
      ])
    ).rows.length > 0;

  const remember = async (sub: ActiveSubscription, event: ResourceEvent): Promise<void> => {
    await deps.db.query('INSERT INTO subscription_delivery (tenant, subscription_id, seq) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      event.tenant,
      sub.id,
      event.seq,
    ]);
    if (Date.now() - lastPurge > 600_000) {
      lastPurge = Date.now();
      await deps.db.query(`DELETE FROM subscription_delivery WHERE delivered_at < now() - interval '1 day'`);
    }
  };

  /** Writes status/error only when they change (each write is a version and an event). */
  const setStatus = async (repository: Repository, id: string, status: Subscription['status'], error?: string): Promise<void> => {
    const current = (await repository.read('Subscription', id).catch(() => undefined)) as Subscription | undefined;
    if (!current || current.status === 'off') return;
    if (current.status === status && current.error === error) return;
    const { error: _old, ...rest } = current;
    await repository.update('Subscription', id, { ...rest, status, ...(error ? { error } : {}) }, { ifMatch: current.meta?.versionId });
    deps.registry.invalidate(repository.tenant);
  };

  const notify = async (repository: Repository, sub: ActiveSubscription, event: ResourceEvent): Promise<void> => {
    if (sub.channel.type === 'websocket') {
      deps.hub.ping(event.tenant, sub.id);
      return;
    }
    if (await delivered(sub, event)) return;
    const content = sub.channel.payload ? JSON.stringify(await repository.read(event.resourceType, event.id)) : undefined;
    await sendRestHook(restHookRequest(sub, event.resourceType, event.id, content));
    await remember(sub, event);
  };

  return {
    name: SUBSCRIPTION_HANDLER,
    types: '*',
    actions: ['create', 'update'],
    maxAttempts,
    async handle(event, { repository, attempt }) {
      if (event.resourceType === 'Subscription') {
        deps.registry.invalidate(event.tenant);
        const sub = (await repository.read('Subscription', event.id).catch(() => undefined)) as Subscription | undefined;
        // Accepted: its criteria and channel were checked when it was written.
        if (sub?.status === 'requested') await setStatus(repository, event.id, 'active');
        return;
      }
      const candidates = (await deps.registry.forTenant(event.tenant)).filter((s) => s.criteria.resourceType === event.resourceType);
      const failures: string[] = [];
      for (const sub of candidates) {
        if (!(await matches(repository, sub, event.id))) continue;
        try {
          await notify(repository, sub, event);
          if (sub.status === 'error') await setStatus(repository, sub.id, 'active');
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          failures.push(`Subscription/${sub.id}: ${reason}`);
          if (attempt >= maxAttempts) {
            await setStatus(repository, sub.id, 'error', `${new Date().toISOString()} ${reason} (after ${attempt} attempts)`);
          }
        }
      }
      if (failures.length) throw new Error(failures.join('; '));
    },
  };
}
