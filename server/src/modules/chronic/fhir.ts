/**
 * Small helpers over the record store: searches that return resources through the given repository (so a caller's
 * access policy applies to what a user request reads) and reading a reference without failing on a dangling one.
 */
import type { Reference, Resource } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { buildWhere } from '../../platform/fhir/search/search.js';
import { parseQueryString, parseSearchQuery } from '../../platform/fhir/search/parse.js';

/** Matches of a FHIR search ('patient=Patient/x&status=active'), up to `limit`, newest first. */
export async function find<T extends Resource>(repo: Repository, type: T['resourceType'], query: string, limit = 200): Promise<T[]> {
  const parsed = parseSearchQuery(type, parseQueryString(query), false);
  const where = buildWhere(repo, parsed, { baseUrl: '' });
  const rows = await repo.query<{ content: string }>(
    `SELECT r.content FROM ${where.from} WHERE ${where.sql} ORDER BY r.last_updated DESC, r.id LIMIT ${Math.max(1, Math.floor(limit))}`,
    where.params.values,
  );
  return rows.map((r) => JSON.parse(r.content) as T);
}

const REF = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

export function refParts(ref: Reference | string | undefined): { type: string; id: string } | undefined {
  const m = REF.exec(typeof ref === 'string' ? ref : (ref?.reference ?? ''));
  return m ? { type: m[1]!, id: m[2]! } : undefined;
}

/** Reads a referenced resource; undefined when missing, deleted, not visible or of another type. */
export async function readRef<T extends Resource>(
  repo: Repository,
  ref: Reference | string | undefined,
  type?: string,
): Promise<T | undefined> {
  const parts = refParts(ref);
  if (!parts || (type && parts.type !== type)) return undefined;
  try {
    return (await repo.read(parts.type, parts.id)) as T;
  } catch {
    return undefined;
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

/** The institution above `organization` in the partOf tree (village clinic → township centre), if any. */
export async function parentOrganization(repo: Repository, organization: string | undefined): Promise<string | undefined> {
  const org = await readRef<{ resourceType: 'Organization'; partOf?: Reference } & Resource>(repo, organization, 'Organization');
  return org?.partOf?.reference;
}
