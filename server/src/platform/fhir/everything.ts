/**
 * `Patient/{id}/$everything`: the resident's whole record across institutions — every resource in
 * the patient's compartment, plus the practitioners, organisations, locations and medications they
 * refer to — paged by (type, id) so even a record of thousands of resources comes back in steps.
 */
import type { Bundle } from '@medplum/fhirtypes';
import { badRequest } from './outcomes.js';
import type { Repository } from './repository.js';
import { getTableModel, getTableModels } from './schema.js';
import { SqlParams } from './sql.js';
import { bundleText, entryText, referencesIn, type RawJson } from './raw.js';
import { fetchRawByIds } from './search/search.js';
import { dateRange } from './search/ranges.js';
import { DEFAULT_COUNT, MAX_COUNT } from './search/parse.js';

export interface EverythingParams {
  count?: string;
  since?: string;
  type?: string;
  cursor?: string;
}

/** The other Patient records of the same individual (registered by the resident index); their data is the resident's too. */
export type LinkedRecords = (repo: Repository, patientId: string) => Promise<string[]>;
let linkedRecords: LinkedRecords | undefined;
export function setLinkedRecords(fn: LinkedRecords | undefined): void {
  linkedRecords = fn;
}

export async function everything(repo: Repository, baseUrl: string, patientId: string, query: EverythingParams): Promise<RawJson> {
  // The patient must exist and be visible to the caller; read() answers 404/410 otherwise.
  await repo.read('Patient', patientId);
  const count = query.count === undefined ? Math.max(DEFAULT_COUNT, 100) : Number(query.count);
  if (!Number.isInteger(count) || count < 1) throw badRequest(`_count must be a positive integer, got '${query.count}'`, '_count');
  const limit = Math.min(count, MAX_COUNT);
  const wanted = query.type ? new Set(query.type.split(',')) : undefined;
  for (const t of wanted ?? []) if (!getTableModel(t)) throw badRequest(`Unknown resource type '${t}' in _type`, '_type');
  // Of the person's records (this one and those the resident index links to it), those the caller may see. A row in
  // the compartment of a visible record is visible (the AccessFilter contract), so the rows below need no per-row
  // access condition: that condition, run for each of hundreds of rows, made $everything ten times slower for
  // catchment-scoped roles.
  const records = [patientId, ...((await linkedRecords?.(repo, patientId)) ?? [])];
  const visible = records.length > 1 ? await visibleRecords(repo, records) : records;
  const params = new SqlParams([repo.tenant, visible]);
  const since = query.since ? params.add(dateRange(query.since, '_since').start) : undefined;
  const selects: string[] = [];
  for (const model of getTableModels().values()) {
    if (!model.compartmentParams.length) continue;
    if (wanted && !wanted.has(model.resourceType)) continue;
    // Types the caller may not read at all (token scopes) stay out.
    if (repo.access.readCondition(model.resourceType, 'r', new SqlParams([])) === 'false') continue;
    selects.push(
      `SELECT ${params.add(model.resourceType)}::text AS type, r.id, r.content FROM ${model.table} r WHERE r.tenant = $1 AND r.compartments && $2::text[] AND NOT r.deleted${
        since ? ` AND r.last_updated >= ${since}::timestamptz` : ''
      }`,
    );
  }
  let after = '';
  if (query.cursor) {
    let c: [string, string];
    try {
      c = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')) as [string, string];
      if (!Array.isArray(c) || c.length !== 2) throw new Error();
    } catch {
      throw badRequest('Invalid _cursor: follow the next link of the $everything bundle', '_cursor');
    }
    after = ` WHERE (u.type, u.id) > (${params.add(c[0])}::text, ${params.add(c[1])}::text)`;
  }
  const rows = await repo.query<{ type: string; id: string; content: string }>(
    `SELECT * FROM (${selects.join(' UNION ALL ')}) u${after} ORDER BY u.type, u.id LIMIT ${limit + 1}`,
    params.values,
    { prepare: 'generic' },
  );
  const page = rows.slice(0, limit);
  const entries = page.map((r) => entryText(baseUrl, r.type, r.id, r.content, 'match'));
  for (const r of await referencedOutside(repo, page)) entries.push(entryText(baseUrl, r.type, r.id, r.content, 'include'));
  const self = `${baseUrl}/Patient/${patientId}/$everything`;
  const bundle: Omit<Bundle, 'entry'> = { resourceType: 'Bundle', type: 'searchset', link: [{ relation: 'self', url: self }] };
  if (rows.length > limit) {
    const last = rows[limit - 1];
    const cursor = Buffer.from(JSON.stringify([last.type, last.id])).toString('base64url');
    const extra = [
      `_count=${limit}`,
      query.since ? `_since=${encodeURIComponent(query.since)}` : '',
      query.type ? `_type=${encodeURIComponent(query.type)}` : '',
      `_cursor=${cursor}`,
    ].filter(Boolean);
    bundle.link?.push({ relation: 'next', url: `${self}?${extra.join('&')}` });
  }
  return bundleText(bundle, entries);
}

/** The ids among `ids` of Patient records the caller may read. */
async function visibleRecords(repo: Repository, ids: string[]): Promise<string[]> {
  const params = new SqlParams([repo.tenant, ids]);
  const access = repo.access.readCondition('Patient', 'r', params);
  const rows = await repo.query<{ id: string }>(
    `SELECT r.id FROM "Patient" r WHERE r.tenant = $1 AND r.id = ANY($2::text[]) AND NOT r.deleted${access ? ` AND (${access})` : ''}`,
    params.values,
  );
  return rows.map((r) => r.id);
}

/** Non-compartment resources the page refers to (Practitioner, Organization, Location, Medication …). */
async function referencedOutside(repo: Repository, page: { content: string }[]): Promise<{ type: string; id: string; content: string }[]> {
  const byType = new Map<string, Set<string>>();
  for (const r of page) referencesIn(r.content, byType);
  const out: { type: string; id: string; content: string }[] = [];
  for (const [type, ids] of byType) {
    const model = getTableModel(type);
    if (!model || model.compartmentParams.length) continue;
    for (const r of await fetchRawByIds(repo, type, [...ids])) out.push({ type, id: r.id, content: r.content });
  }
  return out;
}
