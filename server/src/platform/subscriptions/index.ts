/**
 * FHIR R4 Subscriptions for external systems (docs/events.md): criteria checked on write, a per-tenant registry,
 * the event handler that matches and notifies, and the websocket channel. The app subscribes `handler` to its
 * event dispatcher; tests may subscribe it to a dispatcher of their own.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.js';
import type { EventHandler } from '../events/types.js';
import type { Repository } from '../fhir/repository.js';
import { addResourceCheck } from '../fhir/validate.js';
import { addWriteHook } from '../fhir/write-hooks.js';
import type { Subscription } from '@medplum/fhirtypes';
import { checkSubscription, compileCriteria } from './criteria.js';
import { subscriptionHandler } from './handler.js';
import { SubscriptionRegistry } from './registry.js';
import { registerWebSocketChannel, WebSocketHub } from './websocket.js';

export interface SubscriptionDeps {
  db: Database;
  /** Full access in a tenant: the handler acts for the platform. */
  systemRepository(tenant: string): Repository;
  /** The caller's repository (a websocket bind reads the Subscription with the caller's rights). */
  repositoryFor(request: FastifyRequest): Promise<Repository>;
  baseUrl: string;
  maxAttempts?: number;
  log?: (message: string, err?: unknown) => void;
}

export interface Subscriptions {
  handler: EventHandler;
  registry: SubscriptionRegistry;
  hub: WebSocketHub;
}

export async function registerSubscriptions(app: FastifyInstance, deps: SubscriptionDeps): Promise<Subscriptions> {
  addResourceCheck('Subscription', checkSubscription);
  addWriteHook('Subscription', 'subscription-criteria', async (repo, event) => {
    if (event.resource) compileCriteria(repo, (event.resource as Subscription).criteria, deps.baseUrl);
  });
  const registry = new SubscriptionRegistry(deps.systemRepository, 10_000, deps.log);
  const hub = new WebSocketHub();
  await registerWebSocketChannel(app, hub, deps.repositoryFor);
  const handler = subscriptionHandler({ db: deps.db, registry, hub, baseUrl: deps.baseUrl, maxAttempts: deps.maxAttempts, log: deps.log });
  return { handler, registry, hub };
}
