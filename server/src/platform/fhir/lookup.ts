/**
 * Small lookups over the record store for modules: a FHIR search that returns resources, reading a reference without
 * failing on a dangling one, and a display name. They go through the given repository, so a user request's access
 * policy applies to what it reads (a system repository reads everything).
 */
import type { Reference, Resource } from '@medplum/fhirtypes';
import type { Repository } from './repository.js';
import { FhirError } from './outcomes.js';
import { buildWhere } from './search/search.js';
import { parseQueryString, parseSearchQuery } from './search/parse.js';

/** Matches of a FHIR search ('identifier=a|b&status=active'), up to `limit`, newest first. */
export async function findResources<T extends Resource>(
  repo: Repository,
  type: T['resourceType'],
  query: string,
  limit = 1000,
): Promise<T[]> {
  const parsed = parseSearchQuery(type, parseQueryString(query), false);
  const where = buildWhere(repo, parsed, { baseUrl: '' });
  const rows = await repo.query<{ content: string }>(
    `SELECT r.content FROM ${where.from} WHERE ${where.sql} ORDER BY r.last_updated DESC, r.id LIMIT ${Math.max(1, Math.floor(limit))}`,
    where.params.values,
  );
  return rows.map((r) => JSON.parse(r.content) as T);
}

const LITERAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/** Type and id of a literal relative reference ('Patient/123'), else undefined. */
export function refParts(ref: Reference | string | undefined): { type: string; id: string } | undefined {
  const m = LITERAL.exec(typeof ref === 'string' ? ref : (ref?.reference ?? ''));
  return m ? { type: m[1]!, id: m[2]! } : undefined;
}

/**
 * Reads a referenced resource; undefined when it is missing, deleted, not visible to the repository's caller or not of
 * the expected type(s). Other failures (the database) are thrown.
 */
export async function readRef<T extends Resource>(
  repo: Repository,
  ref: Reference | string | undefined,
  types?: string | readonly string[],
): Promise<T | undefined> {
  const parts = refParts(ref);
  if (!parts || (types !== undefined && ![types].flat().includes(parts.type))) return undefined;
  try {
    return (await repo.read(parts.type, parts.id)) as T;
  } catch (err) {
    if (err instanceof FhirError && [400, 403, 404, 410].includes(err.status)) return undefined;
    throw err;
  }
}

/** A person's or institution's name for lists and messages. */
export function nameOf(resource: Resource | undefined): string | undefined {
  const r = resource as { name?: unknown } | undefined;
  if (!r) return undefined;
  if (typeof r.name === 'string') return r.name;
  if (Array.isArray(r.name)) {
    const n = r.name[0] as { text?: string; family?: string; given?: string[] } | undefined;
    return n?.text ?? ([n?.family, ...(n?.given ?? [])].filter(Boolean).join('') || undefined);
  }
  return undefined;
}

/** A reference with the display name of its resource among those already read (absent when unknown); undefined for none. */
export function namedRef(
  resources: ReadonlyMap<string, Resource>,
  ref: string | undefined,
): { reference: string; display?: string } | undefined {
  if (!ref) return undefined;
  const display = nameOf(resources.get(ref));
  return { reference: ref, ...(display ? { display } : {}) };
}
