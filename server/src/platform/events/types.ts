/**
 * Events: every committed write of a FHIR resource, from any source (REST, bundles, HL7 v2, bulk import, modules).
 * An event names the resource version written; a handler reads what it needs from the store.
 */
import type { Repository } from '../fhir/repository.js';

export type EventAction = 'create' | 'update' | 'delete';

export interface ResourceEvent {
  /** Position in the outbox (a bigint, as text): unique per event, increasing with the write's time. */
  seq: string;
  tenant: string;
  resourceType: string;
  id: string;
  version: number;
  action: EventAction;
  /** When the write happened (ISO 8601). */
  occurredAt: string;
}

export interface HandlerContext {
  /** A repository with full access in the event's tenant (handlers act for the platform, and audit what they do). */
  repository: Repository;
  /** How many times this event was offered to this handler, this one included (1 on the first delivery). */
  attempt: number;
}

/**
 * A module's reaction to events. Delivery is at least once: a handler may see an event again (after a crash, a
 * retry or a second transport), so it must be idempotent — check what it already did before doing it again.
 * A handler that throws is retried with backoff, then the event goes to the dead letters.
 */
export interface EventHandler {
  /** Unique, stable name: retries and dead letters are kept under it. */
  name: string;
  /** Resource types it wants; '*' for all. */
  types: readonly string[] | '*';
  /** Actions it wants (default: all). */
  actions?: readonly EventAction[];
  handle(event: ResourceEvent, ctx: HandlerContext): Promise<void>;
  /** Attempts before the event becomes a dead letter (default 8). */
  maxAttempts?: number;
}

/** Where handlers are registered; the dispatcher (in-database or NATS JetStream) delivers to them. */
export interface EventBus {
  subscribe(handler: EventHandler): void;
  /** Resolves when every event committed before the call has been offered to every handler once (tests, benchmarks). */
  drain(timeoutMs?: number): Promise<void>;
}
