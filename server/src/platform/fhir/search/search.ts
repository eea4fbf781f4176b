/**
 * Runs a parsed search: one SQL statement with every condition (access control included), keyset
 * paging on the sort keys (so page 500 costs what page 1 costs), totals, _include and _revinclude.
 */
import { convertToSearchableReferences } from '@medplum/core';
import type { Bundle, BundleLink, Resource } from '@medplum/fhirtypes';
import { evaluateParam } from '../extract.js';
import { badRequest } from '../outcomes.js';
import { modelFor, type Repository } from '../repository.js';
import { getTableModel, type ParamColumn, type TableModel } from '../schema.js';
import { bundleText, entryText, RawJson } from '../raw.js';
import { SqlParams } from '../sql.js';
import { buildCondition, type ConditionContext } from './conditions.js';
import type { IncludeSpec, SearchQuery } from './parse.js';
import { shapeResource } from './shape.js';

export interface SearchOptions {
  baseUrl: string;
  /** The query as received, to build self/next/prev links. */
  queryString: [string, string][];
  /** Restrict to one patient's compartment (`Patient/{id}/Observation?…`). */
  compartmentPatient?: string;
  linkPath?: string;
}

interface SortKey {
  expr: string;
  cast: string;
  descending: boolean;
  /** id and last_updated are never NULL: ordering on them plainly lets an index deliver the order. */
  notNull?: boolean;
}

/** Estimates above this are reported as estimates; below it the count is exact. */
const ACCURATE_COUNT_LIMIT = 1000;
const MAX_INCLUDES = 1000;

function sortKeys(model: TableModel, query: SearchQuery): SortKey[] {
  const keys: SortKey[] = [];
  for (const { code, descending } of query.sort) {
    if (code === '_id') continue;
    if (code === '_lastUpdated') {
      keys.push({ expr: 'r.last_updated', cast: 'timestamptz', descending, notNull: true });
      continue;
    }
    const p = model.params.get(code);
    if (!p) continue;
    const col = `r.${p.column}`;
    switch (p.kind) {
      case 'token':
      case 'reference':
      case 'uri':
        keys.push({ expr: `(${col})[1]`, cast: 'text', descending });
        break;
      case 'string':
        keys.push({ expr: `${col}_sort`, cast: 'text', descending });
        break;
      case 'date':
        keys.push({ expr: descending ? `${col}_hi` : `${col}_lo`, cast: 'timestamptz', descending });
        break;
      case 'number':
      case 'quantity':
        keys.push({ expr: `${col}_lo`, cast: 'double precision', descending });
        break;
    }
  }
  const idSort = query.sort.find((s) => s.code === '_id');
  keys.push({ expr: 'r.id', cast: 'text', descending: idSort?.descending ?? false, notNull: true });
  return keys;
}

interface Cursor {
  direction: 'next' | 'prev';
  values: unknown[];
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.direction === 'next' ? 'n' : 'p', c.values])).toString('base64url');
}

function decodeCursor(text: string, keyCount: number): Cursor {
  try {
    const [d, values] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [string, unknown[]];
    if ((d !== 'n' && d !== 'p') || !Array.isArray(values) || values.length !== keyCount) throw new Error('shape');
    return { direction: d === 'n' ? 'next' : 'prev', values };
  } catch {
    throw badRequest('Invalid or expired _cursor: follow the next/prev links of a search bundle', '_cursor');
  }
}

/**
 * Keyset condition: rows strictly after the cursor in sort order. Nulls sort last in both directions,
 * so each key compares on (is null, value).
 */
function keysetCondition(keys: SortKey[], values: unknown[], backwards: boolean, params: SqlParams): string {
  const disjuncts: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const equal: string[] = [];
    for (let j = 0; j < i; j++) {
      equal.push(values[j] === null ? `${keys[j].expr} IS NULL` : `${keys[j].expr} = ${params.add(values[j])}::${keys[j].cast}`);
    }
    const k = keys[i];
    const v = values[i];
    const forward = k.descending !== backwards ? '<' : '>';
    let step: string;
    if (v === null) {
      // Among nulls nothing is further in this key; going backwards, every non-null row comes before.
      if (!backwards) continue;
      step = `${k.expr} IS NOT NULL`;
    } else {
      step =
        backwards || k.notNull
          ? `(${k.expr} ${forward} ${params.add(v)}::${k.cast})`
          : `(${k.expr} ${forward} ${params.add(v)}::${k.cast} OR ${k.expr} IS NULL)`;
    }
    disjuncts.push('(' + [...equal, step].join(' AND ') + ')');
  }
  return disjuncts.length ? '(' + disjuncts.join(' OR ') + ')' : 'false';
}

function orderBy(keys: SortKey[], backwards: boolean): string {
  return keys
    .map((k) => {
      const desc = k.descending !== backwards;
      const order = `${k.expr} ${desc ? 'DESC' : 'ASC'}`;
      return k.notNull ? order : `(${k.expr} IS NULL) ${backwards ? 'DESC' : 'ASC'}, ${order}`;
    })
    .join(', ');
}

export interface WhereClause {
  /** The FROM item, aliased `r`: the table, or a fenced subquery driven by a selective condition. */
  from: string;
  sql: string;
  params: SqlParams;
  /** The caller's access condition (part of `sql`), when the caller does not see everything. */
  access?: string;
  /** `sql` without the access condition, and how many of `params` it uses (the access condition's come last). */
  unrestricted?: string;
  unrestrictedParams?: number;
}

/**
 * Conditions naming specific resources (a resident, an encounter, an id) select a handful of rows
 * among millions. PostgreSQL's array statistics cannot see that and sometimes ANDs such a bitmap with
 * one for a common code (130 000 entries, 50 ms). These conditions drive the query from behind an
 * OFFSET 0 fence; the others filter the few rows it yields.
 */
function isDriving(model: TableModel, p: SearchQuery['params'][number]): boolean {
  if (p.code === '_id') return !p.modifier;
  const param = model.params.get(p.code);
  return param?.kind === 'reference' && p.chain === undefined && p.modifier !== 'missing' && p.modifier !== 'identifier';
}

export function buildWhere(
  repo: Repository,
  query: SearchQuery,
  options: Pick<SearchOptions, 'baseUrl' | 'compartmentPatient'>,
): WhereClause {
  const model = modelFor(query.resourceType);
  const params = new SqlParams([repo.tenant]);
  const ctx: ConditionContext = {
    model,
    alias: 'r',
    params,
    tenant: repo.tenant,
    access: repo.access,
    depth: 0,
    baseUrl: options.baseUrl,
    protection: repo.protection,
  };
  const driving = ['r.tenant = $1', 'NOT r.deleted'];
  const rest: string[] = [];
  for (const p of query.params) (isDriving(model, p) ? driving : rest).push(buildCondition(ctx, p));
  if (options.compartmentPatient) driving.push(`r.compartments && ${params.add([options.compartmentPatient])}::text[]`);
  const unrestrictedParams = params.values.length;
  const access = repo.access.readCondition(model.resourceType, 'r', params) ?? undefined;
  const unrestricted = [...rest];
  if (access) rest.push(`(${access})`);
  if (driving.length > 2 && rest.length) {
    const from = `(SELECT * FROM ${model.table} r WHERE ${driving.join(' AND ')} OFFSET 0) r`;
    return { from, sql: rest.join(' AND '), params, access, unrestricted: unrestricted.join(' AND ') || 'true', unrestrictedParams };
  }
  return {
    from: `${model.table} r`,
    sql: [...driving, ...rest].join(' AND '),
    params,
    access,
    unrestricted: [...driving, ...unrestricted].join(' AND '),
    unrestrictedParams,
  };
}

/** Matches looked at to estimate the share of a search's matches that the caller's access condition keeps. */
const ACCESS_SAMPLE = 500;

async function plannedRows(repo: Repository, from: string, sql: string, params: unknown[]): Promise<number> {
  const plan = await repo.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ${from} WHERE ${sql}`, params);
  const raw = plan[0]?.['QUERY PLAN'];
  const parsed = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: { 'Plan Rows': number } }[];
  return parsed[0]?.Plan['Plan Rows'] ?? 0;
}

async function countRows(repo: Repository, where: WhereClause, mode: 'estimate' | 'accurate'): Promise<number> {
  if (mode === 'estimate' && where.access && where.unrestricted) {
    // The planner cannot tell which share of the matches the caller's access condition keeps (a township's
    // catchment is a few per cent of a county), so its estimate was the county's count. The estimate is the
    // planner's count of the matches without that condition, times the share kept among the first matches in id
    // order (server-assigned ids are random UUIDs, so that is a random sample); exact when they are all the matches.
    const all = await plannedRows(repo, where.from, where.unrestricted, where.params.values.slice(0, where.unrestrictedParams));
    if (all >= ACCURATE_COUNT_LIMIT) {
      const rows = await repo.query<{ n: number | string; kept: number | string }>(
        `SELECT count(*) AS n, count(*) FILTER (WHERE ${where.access}) AS kept FROM (SELECT r.* FROM ${where.from} WHERE ${where.unrestricted} ORDER BY r.id LIMIT ${ACCESS_SAMPLE}) r`,
        where.params.values,
      );
      const n = Number(rows[0]?.n ?? 0);
      const kept = Number(rows[0]?.kept ?? 0);
      return n < ACCESS_SAMPLE ? kept : Math.round((all * kept) / n);
    }
  } else if (mode === 'estimate') {
    const estimate = await plannedRows(repo, where.from, where.sql, where.params.values);
    if (estimate >= ACCURATE_COUNT_LIMIT) return Math.round(estimate);
  }
  const rows = await repo.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${where.from} WHERE ${where.sql}`, where.params.values);
  return Number(rows[0]?.n ?? 0);
}

function link(options: SearchOptions, relation: string, cursor?: string): BundleLink {
  const parts = options.queryString.filter(([k]) => k !== '_cursor').map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  if (cursor) parts.push(`_cursor=${cursor}`);
  return { relation, url: `${options.baseUrl}/${options.linkPath}${parts.length ? '?' + parts.join('&') : ''}` };
}

export async function search(repo: Repository, query: SearchQuery, options: SearchOptions): Promise<RawJson> {
  const model = modelFor(query.resourceType);
  options.linkPath ??= query.resourceType;
  const where = buildWhere(repo, query, options);
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', link: [link(options, 'self')] };
  // Without _total the count is free or left out: exact when the first page holds every match.
  const totalMode = query.summary === 'count' ? 'accurate' : query.total;
  if (totalMode && totalMode !== 'none') bundle.total = await countRows(repo, where, totalMode);
  if (query.summary === 'count' || query.count === 0) return bundleText(bundle, warningEntries(query));

  const keys = sortKeys(model, query);
  const cursor = query.cursor ? decodeCursor(query.cursor, keys.length) : undefined;
  const backwards = cursor?.direction === 'prev';
  const params = where.params;
  const conditions = [where.sql];
  if (cursor) conditions.push(keysetCondition(keys, cursor.values, backwards, params));
  const select = keys.map((k, i) => `${k.expr} AS k${i}`).join(', ');
  const rows = await repo.query<Record<string, unknown> & { id: string; content: string }>(
    `SELECT r.id AS row_id, r.content, ${select} FROM ${where.from} WHERE ${conditions.join(' AND ')} ORDER BY ${orderBy(keys, backwards)} LIMIT ${query.count + 1}`,
    params.values,
  );
  const more = rows.length > query.count;
  const page = rows.slice(0, query.count);
  if (totalMode === undefined && !cursor && !more) bundle.total = page.length;
  if (backwards) page.reverse();
  const keyValues = (row: Record<string, unknown>): unknown[] => keys.map((_, i) => row[`k${i}`] ?? null);
  if (page.length) {
    const hasNext = backwards ? true : more;
    const hasPrev = backwards ? more : !!cursor;
    if (hasNext) bundle.link?.push(link(options, 'next', encodeCursor({ direction: 'next', values: keyValues(page[page.length - 1]) })));
    if (hasPrev) bundle.link?.push(link(options, 'previous', encodeCursor({ direction: 'prev', values: keyValues(page[0]) })));
  } else if (backwards) {
    bundle.link?.push(link(options, 'next', query.cursor));
  }
  const shaped = query.summary !== undefined || query.elements !== undefined;
  const entries = page.map((r) => {
    const content = shaped ? JSON.stringify(shapeResource(JSON.parse(r.content) as Resource, query.summary, query.elements)) : r.content;
    return entryText(options.baseUrl, model.resourceType, r.row_id as string, content, 'match');
  });
  if (query.include.length || query.revinclude.length) {
    const matches = page.map((r) => JSON.parse(r.content) as Resource);
    for (const resource of await includes(repo, matches, query)) {
      entries.push(entryText(options.baseUrl, resource.resourceType, resource.id as string, JSON.stringify(resource), 'include'));
    }
  }
  return bundleText(bundle, [...entries, ...warningEntries(query)]);
}

function warningEntries(query: SearchQuery): string[] {
  if (!query.warnings.length) return [];
  const outcome = {
    resourceType: 'OperationOutcome',
    issue: query.warnings.map((text) => ({ severity: 'warning', code: 'not-supported', details: { text } })),
  };
  return [entryText('', 'OperationOutcome', '', JSON.stringify(outcome), 'outcome')];
}

const REFERENCE_RE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/** Relative references ('Type/id') found through the given reference parameters, grouped by target type. */
function collectReferences(
  resources: Resource[],
  paramsOf: (resource: Resource, model: TableModel) => (ParamColumn | undefined)[],
  acceptType: (type: string) => boolean,
): Map<string, Set<string>> {
  const byType = new Map<string, Set<string>>();
  for (const resource of resources) {
    const model = getTableModel(resource.resourceType);
    if (!model) continue;
    for (const p of paramsOf(resource, model)) {
      if (!p || p.kind !== 'reference') continue;
      for (const ref of convertToSearchableReferences(evaluateParam(resource, p))) {
        const m = REFERENCE_RE.exec(ref ?? '');
        if (!m || !getTableModel(m[1]) || !acceptType(m[1])) continue;
        const set = byType.get(m[1]) ?? new Set<string>();
        set.add(m[2]);
        byType.set(m[1], set);
      }
    }
  }
  return byType;
}

function referencedKeys(resources: Resource[], specs: IncludeSpec[]): Map<string, Set<string>> {
  const byType = new Map<string, Set<string>>();
  for (const spec of specs) {
    const found = collectReferences(
      resources.filter((r) => r.resourceType === spec.sourceType),
      (_r, model) => (spec.param === '*' ? [...model.params.values()] : [model.params.get(spec.param)]),
      (type) => !spec.targetType || spec.targetType === type,
    );
    for (const [type, ids] of found) {
      const set = byType.get(type) ?? new Set<string>();
      for (const id of ids) set.add(id);
      byType.set(type, set);
    }
  }
  return byType;
}

/** Current versions by id, as stored text, filtered by the caller's access. */
export async function fetchRawByIds(repo: Repository, type: string, ids: string[]): Promise<{ id: string; content: string }[]> {
  const model = modelFor(type);
  const params = new SqlParams([repo.tenant, ids]);
  const access = repo.access.readCondition(type, 'r', params);
  return repo.query<{ id: string; content: string }>(
    `SELECT r.id, r.content FROM ${model.table} r WHERE r.tenant = $1 AND r.id = ANY($2::text[]) AND NOT r.deleted${access ? ` AND (${access})` : ''}`,
    params.values,
  );
}

async function fetchByIds(repo: Repository, type: string, ids: string[]): Promise<Resource[]> {
  return (await fetchRawByIds(repo, type, ids)).map((r) => JSON.parse(r.content) as Resource);
}

async function revIncluded(repo: Repository, resources: Resource[], spec: IncludeSpec): Promise<Resource[]> {
  const model = modelFor(spec.sourceType);
  const p = model.params.get(spec.param);
  if (!p || p.kind !== 'reference') throw badRequest(`'${spec.param}' is not a reference parameter of ${spec.sourceType}`, '_revinclude');
  const refs = resources.filter((r) => !spec.targetType || r.resourceType === spec.targetType).map((r) => `${r.resourceType}/${r.id}`);
  if (!refs.length) return [];
  const params = new SqlParams([repo.tenant, refs]);
  const access = repo.access.readCondition(spec.sourceType, 'r', params);
  const rows = await repo.query<{ content: string }>(
    `SELECT r.content FROM ${model.table} r WHERE r.tenant = $1 AND NOT r.deleted AND r.${p.column} && $2::text[]${access ? ` AND (${access})` : ''} LIMIT ${MAX_INCLUDES}`,
    params.values,
  );
  return rows.map((r) => JSON.parse(r.content) as Resource);
}

async function includes(repo: Repository, matches: Resource[], query: SearchQuery): Promise<Resource[]> {
  if (!query.include.length && !query.revinclude.length) return [];
  const seen = new Set(matches.map((r) => `${r.resourceType}/${r.id}`));
  const out: Resource[] = [];
  const add = (list: Resource[]): Resource[] => {
    const fresh = list.filter((r) => !seen.has(`${r.resourceType}/${r.id}`));
    for (const r of fresh) seen.add(`${r.resourceType}/${r.id}`);
    out.push(...fresh);
    return fresh;
  };
  let frontier = matches;
  // The first round applies every spec; :iterate specs are applied again to what was just included.
  for (let round = 0; round < 3 && frontier.length && out.length < MAX_INCLUDES; round++) {
    const specs = round === 0 ? query.include : query.include.filter((s) => s.iterate);
    const revSpecs = round === 0 ? query.revinclude : query.revinclude.filter((s) => s.iterate);
    if (!specs.length && !revSpecs.length) break;
    const found: Resource[] = [];
    for (const [type, ids] of referencedKeys(frontier, specs)) found.push(...(await fetchByIds(repo, type, [...ids])));
    for (const spec of revSpecs) found.push(...(await revIncluded(repo, frontier, spec)));
    frontier = add(found);
  }
  return out;
}
