/**
 * Write hooks: code outside the store (the resident index) that must act on every write of a resource type,
 * from any source (REST, bundles, bulk import, HL7 v2). The repository calls them after the row is written,
 * inside the write's transaction, so a failed transaction leaves nothing of what a hook wrote either.
 *
 * A hook's own writes do not call hooks again (no re-entry), and `withoutWriteHooks` lets a caller that
 * maintains the derived state itself (merge, unmerge) write without them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Resource } from '@medplum/fhirtypes';
import type { Repository } from './repository.js';

export interface WriteEvent {
  resourceType: string;
  id: string;
  action: 'create' | 'update' | 'delete';
  /** The stored resource (with meta); undefined for a delete. */
  resource?: Resource;
}

/** Runs in the write's transaction with the writer's repository (its access filter, its pending buffer). */
export type WriteHook = (repo: Repository, event: WriteEvent) => Promise<void>;

const hooks = new Map<string, Map<string, WriteHook>>();
const suppressed = new AsyncLocalStorage<boolean>();

/** Registers `hook` for writes of `resourceType`; registering the same name again replaces it (apps built twice). */
export function addWriteHook(resourceType: string, name: string, hook: WriteHook): void {
  let byName = hooks.get(resourceType);
  if (!byName) hooks.set(resourceType, (byName = new Map()));
  byName.set(name, hook);
}

export function removeWriteHook(resourceType: string, name: string): void {
  hooks.get(resourceType)?.delete(name);
}

/** Runs `fn` with write hooks switched off for every write it makes (in its async context only). */
export function withoutWriteHooks<T>(fn: () => Promise<T>): Promise<T> {
  return suppressed.run(true, fn);
}

export function writeHooksSuppressed(): boolean {
  return suppressed.getStore() === true;
}

/** Called by the repository after each write. Cheap when no hook is registered for the type. */
export async function runWriteHooks(repo: Repository, event: WriteEvent): Promise<void> {
  const byName = hooks.get(event.resourceType);
  if (!byName?.size || suppressed.getStore()) return;
  await suppressed.run(true, async () => {
    for (const hook of byName.values()) await hook(repo, event);
  });
}
