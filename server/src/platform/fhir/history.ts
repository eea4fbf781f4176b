/**
 * `_history` at instance, type and system level, newest first, paged with a cursor. A caller sees
 * the history of a resource only if the current row passes their access condition.
 */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { badRequest } from './outcomes.js';
import { modelFor, type Repository } from './repository.js';
import { getTableModels, type TableModel } from './schema.js';
import { pgTimestampToIso, SqlParams } from './sql.js';
import { dateRange } from './search/ranges.js';
import { DEFAULT_COUNT, MAX_COUNT } from './search/parse.js';

export interface HistoryParams {
  count?: string;
  since?: string;
  cursor?: string;
}

interface HistoryRow {
  type: string;
  id: string;
  version: number;
  last_updated: string;
  deleted: boolean;
  content: string;
}

function parseCount(count?: string): number {
  if (count === undefined) return DEFAULT_COUNT;
  if (!/^\d+$/.test(count)) throw badRequest(`_count must be a non-negative integer, got '${count}'`, '_count');
  return Math.min(Number(count), MAX_COUNT);
}

function decodeHistoryCursor(text: string): [string, string, string, number] {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [string, string, string, number];
    if (Array.isArray(c) && c.length === 4) return c;
  } catch {
    // fall through to the error below
  }
  throw badRequest('Invalid _cursor: follow the next link of a history bundle', '_cursor');
}

function historySelect(model: TableModel, repo: Repository, params: SqlParams, extra: string[]): string {
  const access = repo.access.readCondition(model.resourceType, 'r', params);
  const accessSql = access ? ` AND EXISTS (SELECT 1 FROM ${model.table} r WHERE r.tenant = h.tenant AND r.id = h.id AND (${access}))` : '';
  return `SELECT ${params.add(model.resourceType)}::text AS type, h.id, h.version, h.last_updated, h.deleted, h.content FROM ${model.history} h WHERE h.tenant = $1${
    extra.length ? ' AND ' + extra.join(' AND ') : ''
  }${accessSql}`;
}

export async function history(
  repo: Repository,
  baseUrl: string,
  scope: { resourceType?: string; id?: string },
  query: HistoryParams,
): Promise<Bundle> {
  const count = parseCount(query.count);
  const params = new SqlParams([repo.tenant]);
  const extra: string[] = [];
  if (scope.id) extra.push(`h.id = ${params.add(scope.id)}`);
  if (query.since) extra.push(`h.last_updated >= ${params.add(dateRange(query.since, '_since').start)}::timestamptz`);
  const models = scope.resourceType ? [modelFor(scope.resourceType)] : [...getTableModels().values()];
  const selects = models.map((m) => historySelect(m, repo, params, extra));
  let outer = '';
  if (query.cursor) {
    const c = decodeHistoryCursor(query.cursor);
    outer = ` WHERE (u.last_updated, u.type, u.id, u.version) < (${params.add(c[0])}::timestamptz, ${params.add(c[1])}::text, ${params.add(c[2])}::text, ${params.add(c[3])}::int)`;
  }
  const rows = await repo.query<HistoryRow>(
    `SELECT * FROM (${selects.join(' UNION ALL ')}) u${outer} ORDER BY u.last_updated DESC, u.type DESC, u.id DESC, u.version DESC LIMIT ${count + 1}`,
    params.values,
  );
  const page = rows.slice(0, count);
  const bundle: Bundle = { resourceType: 'Bundle', type: 'history', entry: page.map((r) => historyEntry(baseUrl, r)) };
  const path = scope.resourceType
    ? scope.id
      ? `${scope.resourceType}/${scope.id}/_history`
      : `${scope.resourceType}/_history`
    : '_history';
  bundle.link = [{ relation: 'self', url: `${baseUrl}/${path}` }];
  if (rows.length > count) {
    const last = page[page.length - 1];
    const cursor = Buffer.from(JSON.stringify([last.last_updated, last.type, last.id, last.version])).toString('base64url');
    bundle.link.push({
      relation: 'next',
      url: `${baseUrl}/${path}?_count=${count}${query.since ? `&_since=${encodeURIComponent(query.since)}` : ''}&_cursor=${cursor}`,
    });
  }
  if (scope.id && page.length === 0 && !query.cursor) {
    // Distinguish "no such resource" from "no versions in the window".
    await repo.vread(scope.resourceType as string, scope.id, '1').catch((err: unknown) => {
      if ((err as { status?: number }).status === 404) throw err;
    });
  }
  return bundle;
}

function historyEntry(baseUrl: string, row: HistoryRow): BundleEntry {
  const url = `${row.type}/${row.id}`;
  const lastModified = pgTimestampToIso(row.last_updated);
  const etag = `W/"${row.version}"`;
  if (row.deleted) {
    return {
      fullUrl: `${baseUrl}/${url}`,
      request: { method: 'DELETE', url },
      response: { status: '410 Gone', etag, lastModified },
    };
  }
  return {
    fullUrl: `${baseUrl}/${url}`,
    resource: JSON.parse(row.content) as Resource,
    request: { method: row.version === 1 ? 'POST' : 'PUT', url: row.version === 1 ? row.type : url },
    response: { status: row.version === 1 ? '201 Created' : '200 OK', etag, lastModified },
  };
}
