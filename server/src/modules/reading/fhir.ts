/** Searches that return resources, through the given repository (so the caller's access policy applies). */
import type { Resource } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { FhirError } from '../../platform/fhir/outcomes.js';
import { buildWhere } from '../../platform/fhir/search/search.js';
import { parseQueryString, parseSearchQuery } from '../../platform/fhir/search/parse.js';

export async function findResources<T extends Resource>(
  repo: Repository,
  type: T['resourceType'],
  query: string,
  limit = 100,
): Promise<T[]> {
  const parsed = parseSearchQuery(type, parseQueryString(query), false);
  const where = buildWhere(repo, parsed, { baseUrl: '' });
  const rows = await repo.query<{ content: string }>(
    `SELECT r.content FROM ${where.from} WHERE ${where.sql} ORDER BY r.last_updated DESC, r.id LIMIT ${Math.max(1, Math.floor(limit))}`,
    where.params.values,
  );
  return rows.map((r) => JSON.parse(r.content) as T);
}

/** Reads 'Type/id'; undefined when missing, deleted or not visible to the repository's caller. */
export async function readOptional<T extends Resource>(repo: Repository, ref: string | undefined): Promise<T | undefined> {
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref ?? '');
  if (!m) return undefined;
  try {
    return (await repo.read(m[1]!, m[2]!)) as T;
  } catch (err) {
    if (err instanceof FhirError && (err.status === 404 || err.status === 410 || err.status === 403)) return undefined;
    throw err;
  }
}
