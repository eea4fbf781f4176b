/**
 * Small helpers over the record store for this module: searches that return resources (through the given
 * repository, so a caller's access policy applies), and reading a reference without failing on a dangling one.
 */
import type { Reference, Resource } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { buildWhere } from '../../platform/fhir/search/search.js';
import { parseQueryString, parseSearchQuery } from '../../platform/fhir/search/parse.js';

/** Every match of a FHIR search ('identifier=a|b&status=active'), up to `limit`, newest first. */
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

/** 'Type/id' of a literal relative reference, else undefined. */
export function refParts(ref: Reference | string | undefined): { type: string; id: string } | undefined {
  const text = typeof ref === 'string' ? ref : ref?.reference;
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(text ?? '');
  return m ? { type: m[1]!, id: m[2]! } : undefined;
}

/** Reads a referenced resource; undefined when it is missing, deleted, not visible or not of an expected type. */
export async function readRef<T extends Resource>(
  repo: Repository,
  ref: Reference | string | undefined,
  types?: string[],
): Promise<T | undefined> {
  const parts = refParts(ref);
  if (!parts || (types && !types.includes(parts.type))) return undefined;
  try {
    return (await repo.read(parts.type, parts.id)) as T;
  } catch {
    return undefined;
  }
}

/** A person's or institution's name for messages. */
export function nameOf(resource: Resource | undefined): string | undefined {
  if (!resource) return undefined;
  const r = resource as { name?: unknown };
  if (typeof r.name === 'string') return r.name;
  if (Array.isArray(r.name)) {
    const n = r.name[0] as { text?: string; family?: string; given?: string[] } | undefined;
    return n?.text ?? ([n?.family, ...(n?.given ?? [])].filter(Boolean).join('') || undefined);
  }
  return undefined;
}
