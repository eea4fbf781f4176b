/**
 * In-process cache of session state, so verifying a token does not read the database on every request.
 * One cache per process, shared by every authenticator and route, so a logout (or a disabled account) drops the
 * entry and takes effect at once here; other processes notice within the cache's age (`sessionCacheMs`).
 * Keys are tenant + session id (random UUIDs), so several databases in one process (tests) do not collide.
 */
export interface CachedSession {
  tenant: string;
  id: string;
  kind: 'user' | 'client';
  userId?: string;
  clientId?: string;
  username?: string;
  roles: string[];
  organizationId?: string;
  practitionerId?: string;
  patientId?: string;
  active: boolean;
  createdAt: number;
  expiresAt: number;
  /** Last activity known to this process (ms). */
  lastSeen: number;
  /** Last activity written to the database (ms). */
  lastWritten: number;
  /** When this entry was read from the database (ms). */
  fetchedAt: number;
}

const cache = new Map<string, CachedSession>();
/** Upper bound on entries; the oldest are dropped first (Map keeps insertion order). */
const MAX_ENTRIES = 100_000;

export const sessionKey = (tenant: string, id: string): string => `${tenant}\u0000${id}`;

export function getCachedSession(tenant: string, id: string): CachedSession | undefined {
  return cache.get(sessionKey(tenant, id));
}

export function putCachedSession(s: CachedSession): void {
  const key = sessionKey(s.tenant, s.id);
  cache.delete(key);
  cache.set(key, s);
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
}

export function invalidateSession(tenant: string, id: string): void {
  cache.delete(sessionKey(tenant, id));
}

export function invalidateSessions(match: (s: CachedSession) => boolean): void {
  for (const [k, s] of cache) if (match(s)) cache.delete(k);
}
