/**
 * SMART on FHIR scopes, v1 (`user/Observation.read`, `patient/*.write`, `system/*.*`) and v2
 * (`user/Observation.rs`, `system/*.cruds`, optionally followed by `?param=value` restrictions).
 *
 * v1 `read` allows read and search, `write` allows create, update and delete, `*` everything. v2 letters:
 * c = create, r = read, u = update, d = delete, s = search, in that order, each at most once.
 */
export type Interaction = 'read' | 'search' | 'create' | 'update' | 'delete';
export type ScopeContext = 'patient' | 'user' | 'system';

export interface ParsedScope {
  scope: string;
  context: ScopeContext;
  /** A resource type, or '*' for all. */
  resourceType: string;
  interactions: ReadonlySet<Interaction>;
  version: 1 | 2;
  /** v2 query restrictions (`?category=laboratory`), not applied by `scopeAllows`. */
  query?: string;
}

const V2_LETTERS: Record<string, Interaction> = { c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' };
const ALL: Interaction[] = ['read', 'search', 'create', 'update', 'delete'];
const SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{0,63})\.([a-z*]+)(?:\?(.+))?$/;

/** Parses one scope; undefined for anything that is not a resource scope (e.g. `openid`, `launch`) or is malformed. */
export function parseScope(scope: string): ParsedScope | undefined {
  if (typeof scope !== 'string') return undefined;
  const m = SCOPE.exec(scope.trim());
  if (!m) return undefined;
  const [, context, resourceType, perms, query] = m as unknown as [string, ScopeContext, string, string, string | undefined];
  let interactions: Interaction[];
  let version: 1 | 2 = 1;
  if (perms === 'read') interactions = ['read', 'search'];
  else if (perms === 'write') interactions = ['create', 'update', 'delete'];
  else if (perms === '*') interactions = [...ALL];
  else if (/^c?r?u?d?s?$/.test(perms)) {
    version = 2;
    interactions = [...perms].map((ch) => V2_LETTERS[ch]!);
  } else return undefined;
  if (query !== undefined && version === 1) return undefined;
  return { scope, context, resourceType, interactions: new Set(interactions), version, ...(query ? { query } : {}) };
}

/** Splits a space-separated scope string (OAuth2 `scope` parameter). */
export function splitScopes(scope: string | undefined | null): string[] {
  return typeof scope === 'string' ? scope.split(/\s+/).filter((s) => s.length > 0) : [];
}

/** True when at least one of the scopes allows the interaction on the resource type. */
export function scopeAllows(scopes: string[], resourceType: string, interaction: Interaction): boolean {
  for (const s of scopes) {
    const p = parseScope(s);
    if (p && (p.resourceType === '*' || p.resourceType === resourceType) && p.interactions.has(interaction)) return true;
  }
  return false;
}

/** True when `granted` covers everything `requested` allows (for narrowing a client's scopes on request). */
export function scopeCovers(granted: string[], requested: string): boolean {
  const r = parseScope(requested);
  if (!r) return granted.includes(requested);
  return [...r.interactions].every((i) =>
    granted.some((g) => {
      const p = parseScope(g);
      return (
        p !== undefined &&
        p.context === r.context &&
        (p.resourceType === '*' || p.resourceType === r.resourceType) &&
        p.interactions.has(i) &&
        p.query === undefined
      );
    }),
  );
}
