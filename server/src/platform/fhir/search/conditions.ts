/**
 * Compiles one search parameter into a SQL condition on a resource table row. Each kind of parameter
 * maps to an indexed form: array overlap (`&&`) on GIN for tokens/references/uris, b-tree ranges
 * for dates and numbers, and the search_string b-tree for strings.
 */
import type { AccessFilter } from '../access.js';
import type { FieldProtection } from '../../protect/protection.js';
import { badRequest, notSupported } from '../outcomes.js';
import { normalizeString } from '../extract.js';
import { getTableModel, type ParamColumn, type TableModel } from '../schema.js';
import { escapeLike, type SqlParams } from '../sql.js';
import { parseKey, splitValues, type ParsedParam } from './parse.js';
import { dateRange, numberRange, splitPrefix } from './ranges.js';

export interface ConditionContext {
  model: TableModel;
  alias: string;
  params: SqlParams;
  tenant: string;
  access: AccessFilter;
  depth: number;
  /** Base URL of this server, so absolute references to it are matched as relative ones. */
  baseUrl?: string;
  /** Encrypted fields are searched by their blind indexes. */
  protection?: FieldProtection;
}

const MAX_CHAIN_DEPTH = 3;

const or = (parts: string[]): string => (parts.length === 1 ? parts[0] : '(' + parts.join(' OR ') + ')');

export function buildCondition(ctx: ConditionContext, p: ParsedParam): string {
  if (p.code === '_has') return hasCondition(ctx, p);
  if (p.code === '_id') return idCondition(ctx, p);
  if (p.code === '_lastUpdated') {
    return or(p.values.map((v) => rangeCondition(ctx, `${ctx.alias}.last_updated`, `${ctx.alias}.last_updated`, v, p.key, 'date')));
  }
  const param = ctx.model.params.get(p.code);
  if (!param) throw badRequest(`Unknown search parameter '${p.code}' for ${ctx.model.resourceType}`, p.key);
  if (p.chain !== undefined) return chainCondition(ctx, param, p);
  if (p.modifier === 'missing') return missingCondition(ctx, param, p);
  ctx.protection?.assertSearchable(ctx.model.resourceType, param.code, p.modifier, p.key);
  const col = `${ctx.alias}.${param.column}`;
  switch (param.kind) {
    case 'token':
      return tokenCondition(ctx, param, col, p);
    case 'reference':
      return referenceCondition(ctx, param, col, p);
    case 'uri':
      return uriCondition(ctx, col, p);
    case 'string':
      return stringCondition(ctx, param, p);
    case 'date':
      assertNoModifier(p);
      return or(p.values.map((v) => rangeCondition(ctx, col + '_lo', col + '_hi', v, p.key, 'date')));
    case 'number':
      assertNoModifier(p);
      return or(p.values.map((v) => rangeCondition(ctx, col + '_lo', col + '_hi', v, p.key, 'number')));
    case 'quantity':
      assertNoModifier(p);
      return or(p.values.map((v) => quantityCondition(ctx, col, v, p.key)));
  }
}

function assertNoModifier(p: ParsedParam): void {
  if (p.modifier) throw notSupported(`Modifier ':${p.modifier}' is not supported on '${p.code}'`, p.key);
}

function idCondition(ctx: ConditionContext, p: ParsedParam): string {
  if (p.modifier === 'not') return `NOT (${ctx.alias}.id = ANY(${ctx.params.add(p.values)}::text[]))`;
  assertNoModifier(p);
  return `${ctx.alias}.id = ANY(${ctx.params.add(p.values)}::text[])`;
}

function missingCondition(ctx: ConditionContext, param: ParamColumn, p: ParsedParam): string {
  const value = p.values[0];
  if (value !== 'true' && value !== 'false') throw badRequest(`:missing takes true or false, got '${value}'`, p.key);
  const missing = value === 'true';
  if (param.kind === 'string') {
    const exists = `EXISTS (SELECT 1 FROM search_string s WHERE s.tenant = ${ctx.alias}.tenant AND s.resource_type = ${ctx.params.add(
      ctx.model.resourceType,
    )} AND s.resource_id = ${ctx.alias}.id AND s.code = ${ctx.params.add(param.code)})`;
    return missing ? `NOT ${exists}` : exists;
  }
  const col = `${ctx.alias}.${param.column}` + (['date', 'number', 'quantity'].includes(param.kind) ? '_lo' : '');
  return missing ? `${col} IS NULL` : `${col} IS NOT NULL`;
}

function tokenCondition(ctx: ConditionContext, param: ParamColumn, col: string, p: ParsedParam): string {
  if (p.modifier === 'text') {
    return or(
      p.values.map(
        (v) => `EXISTS (SELECT 1 FROM unnest(${col}_text) t WHERE t LIKE ${ctx.params.add('%' + escapeLike(normalizeString(v)) + '%')})`,
      ),
    );
  }
  if (p.modifier && p.modifier !== 'not') {
    throw notSupported(`Modifier ':${p.modifier}' is not supported on token parameter '${param.code}'`, p.key);
  }
  for (const v of p.values) if (v === '' || v === '|') throw badRequest(`Empty token value for '${param.code}'`, p.key);
  const values = ctx.protection ? ctx.protection.searchTokens(ctx.model.resourceType, param.code, p.values, p.key) : p.values;
  const overlap = `${col} && ${ctx.params.add(values)}::text[]`;
  return p.modifier === 'not' ? `(${col} IS NULL OR NOT (${overlap}))` : overlap;
}

/** Every stored form a reference search value can match. */
function referenceKeys(ctx: ConditionContext, param: ParamColumn, value: string, modifier: string | undefined, key: string): string[] {
  let v = value;
  if (ctx.baseUrl && v.startsWith(ctx.baseUrl + '/')) v = v.slice(ctx.baseUrl.length + 1);
  if (modifier === 'identifier') return ['identifier:' + v];
  if (modifier) {
    if (!getTableModel(modifier)) throw badRequest(`Unknown resource type modifier ':${modifier}'`, key);
    return [`${modifier}/${v}`];
  }
  if (v.includes('/') || v.includes(':')) return [v];
  // A bare id matches 'Type/id' for every target type, and a stored bare (relative, typeless) reference.
  return [v, ...param.targets.map((t) => `${t}/${v}`)];
}

function referenceCondition(ctx: ConditionContext, param: ParamColumn, col: string, p: ParsedParam): string {
  if (p.modifier === 'not' || p.modifier === 'text' || p.modifier === 'below' || p.modifier === 'above') {
    throw notSupported(`Modifier ':${p.modifier}' is not supported on reference parameter '${param.code}'`, p.key);
  }
  const keys = p.values.flatMap((v) => referenceKeys(ctx, param, v, p.modifier, p.key));
  return `${col} && ${ctx.params.add(keys)}::text[]`;
}

function uriCondition(ctx: ConditionContext, col: string, p: ParsedParam): string {
  if (p.modifier === 'below') {
    return or(p.values.map((v) => `EXISTS (SELECT 1 FROM unnest(${col}) u WHERE u LIKE ${ctx.params.add(escapeLike(v) + '%')})`));
  }
  if (p.modifier === 'above') {
    return or(
      p.values.map(
        (v) => `EXISTS (SELECT 1 FROM unnest(${col}) u WHERE ${ctx.params.add(v)} LIKE replace(replace(u, '%', '\\%'), '_', '\\_') || '%')`,
      ),
    );
  }
  assertNoModifier(p);
  return `${col} && ${ctx.params.add(p.values)}::text[]`;
}

function stringCondition(ctx: ConditionContext, param: ParamColumn, p: ParsedParam): string {
  let match: string;
  if (p.modifier === 'exact') {
    // Every row's value is its exact text normalised, so this equality is implied — and lets the b-tree find the rows.
    const normalised = ctx.params.add(p.values.map(normalizeString));
    match = `s.value COLLATE "C" = ANY(${normalised}::text[]) AND s.exact = ANY(${ctx.params.add(p.values)}::text[])`;
  } else if (p.modifier === 'contains') {
    match = or(p.values.map((v) => `s.value LIKE ${ctx.params.add('%' + escapeLike(normalizeString(v)) + '%')}`));
  } else if (!p.modifier) {
    match = or(p.values.map((v) => `s.value COLLATE "C" LIKE ${ctx.params.add(escapeLike(normalizeString(v)) + '%')}`));
  } else {
    throw notSupported(`Modifier ':${p.modifier}' is not supported on string parameter '${param.code}'`, p.key);
  }
  // A semi-join the planner can drive from the (resource_type, code, value) index.
  return `${ctx.alias}.id IN (SELECT s.resource_id FROM search_string s WHERE s.tenant = ${ctx.params.add(ctx.tenant)} AND s.resource_type = ${ctx.params.add(
    ctx.model.resourceType,
  )} AND s.code = ${ctx.params.add(param.code)} AND ${match})`;
}

/** Range comparison with FHIR prefix semantics; `lo`/`hi` are the stored value's range. */
function rangeCondition(ctx: ConditionContext, lo: string, hi: string, raw: string, key: string, kind: 'date' | 'number'): string {
  const { prefix, rest } = splitPrefix(raw);
  let a: string | number;
  let b: string | number;
  let cast = '';
  if (kind === 'date') {
    const r = dateRange(rest, key);
    a = r.start;
    b = r.end;
    cast = '::timestamptz';
  } else {
    const r = numberRange(rest, key);
    // gt/lt compare against the value itself; eq/ne against its implicit precision range.
    a = ['eq', 'ne', 'ap'].includes(prefix) ? r.low : r.value;
    b = ['eq', 'ne', 'ap'].includes(prefix) ? r.high : r.value;
  }
  // Placeholders are added only for the bounds the prefix uses: an unused parameter has no type.
  const A = (): string => ctx.params.add(a) + cast;
  const B = (): string => ctx.params.add(b) + cast;
  switch (prefix) {
    case 'eq':
      return `(${lo} >= ${A()} AND ${hi} <= ${B()})`;
    case 'ne':
      return `NOT (${lo} >= ${A()} AND ${hi} <= ${B()})`;
    case 'gt':
      return `${hi} > ${B()}`;
    case 'lt':
      return `${lo} < ${A()}`;
    case 'ge':
      return `${hi} >= ${A()}`;
    case 'le':
      return `${lo} <= ${B()}`;
    case 'sa':
      return `${lo} > ${B()}`;
    case 'eb':
      return `${hi} < ${A()}`;
    case 'ap':
      return kind === 'date' ? approxDate(ctx, lo, hi, a as string, b as string) : approxNumber(ctx, lo, hi, Number(a), Number(b));
  }
}

/** `ap` for dates: within 10 % of the distance from now, at least one day either side. */
function approxDate(ctx: ConditionContext, lo: string, hi: string, a: string, b: string): string {
  const now = Date.now();
  const margin = Math.max(86_400_000, Math.abs(now - Date.parse(a)) * 0.1);
  const A = ctx.params.add(new Date(Date.parse(a) - margin).toISOString());
  const B = ctx.params.add(new Date(Date.parse(b) + margin).toISOString());
  return `(${lo} <= ${B}::timestamptz AND ${hi} >= ${A}::timestamptz)`;
}

function approxNumber(ctx: ConditionContext, lo: string, hi: string, a: number, b: number): string {
  const mid = (a + b) / 2;
  const margin = Math.abs(mid) * 0.1;
  return `(${lo} <= ${ctx.params.add(b + margin)} AND ${hi} >= ${ctx.params.add(a - margin)})`;
}

function quantityCondition(ctx: ConditionContext, col: string, raw: string, key: string): string {
  const [numberPart, system, code] = raw.split('|');
  const numeric = rangeCondition(ctx, col + '_lo', col + '_hi', numberPart, key, 'number');
  if (code === undefined || code === '') return numeric;
  const unit = system ? `${system}|${code}` : code;
  return `(${numeric} AND ${col}_unit && ${ctx.params.add([unit])}::text[])`;
}

/** `subject:Patient.name=x`: the reference must point at a row of the target type matching the inner parameter. */
function chainCondition(ctx: ConditionContext, param: ParamColumn, p: ParsedParam): string {
  if (param.kind !== 'reference') throw badRequest(`Only reference parameters can be chained; '${param.code}' is ${param.kind}`, p.key);
  if (ctx.depth >= MAX_CHAIN_DEPTH) throw badRequest(`Chains deeper than ${MAX_CHAIN_DEPTH} are not supported`, p.key);
  const inner = parseKey(p.chain as string);
  const types = p.modifier ? [p.modifier] : param.targets;
  const alias = `c${ctx.depth + 1}`;
  const parts: string[] = [];
  for (const type of types) {
    const target = getTableModel(type);
    if (!target) throw badRequest(`Unknown resource type '${type}' in chain`, p.key);
    if (inner.code !== '_id' && inner.code !== '_lastUpdated' && inner.code !== '_has' && !target.params.has(inner.code)) continue;
    const innerCtx: ConditionContext = { ...ctx, model: target, alias, depth: ctx.depth + 1 };
    const innerCondition = buildCondition(innerCtx, { key: p.key, ...inner, values: p.values });
    const access = ctx.access.readCondition(type, alias, ctx.params);
    parts.push(
      `${ctx.alias}.${param.column} && ARRAY(SELECT ${ctx.params.add(type + '/')} || ${alias}.id FROM ${target.table} ${alias} WHERE ${alias}.tenant = ${ctx.params.add(
        ctx.tenant,
      )} AND NOT ${alias}.deleted AND ${innerCondition}${access ? ` AND (${access})` : ''})`,
    );
  }
  if (!parts.length) throw badRequest(`No target type of '${param.code}' has a search parameter '${inner.code}'`, p.key);
  return or(parts);
}

/** `_has:Observation:patient:code=1234`: some Observation whose `patient` points here matches code=1234. */
function hasCondition(ctx: ConditionContext, p: ParsedParam): string {
  const [type, refParam, ...rest] = (p.modifier ?? '').split(':');
  const source = getTableModel(type);
  const ref = source?.params.get(refParam);
  if (!source || !ref || ref.kind !== 'reference' || rest.length === 0) {
    throw badRequest(`Invalid _has '${p.key}': expected _has:Type:referenceParam:searchParam`, p.key);
  }
  if (ctx.depth >= MAX_CHAIN_DEPTH) throw badRequest(`Chains deeper than ${MAX_CHAIN_DEPTH} are not supported`, p.key);
  const inner = parseKey(rest.join(':'));
  const alias = `h${ctx.depth + 1}`;
  const innerCtx: ConditionContext = { ...ctx, model: source, alias, depth: ctx.depth + 1 };
  const condition = buildCondition(innerCtx, { key: p.key, ...inner, values: p.values.flatMap((v) => splitValues(v)) });
  const access = ctx.access.readCondition(type, alias, ctx.params);
  return `(${ctx.params.add(ctx.model.resourceType + '/')} || ${ctx.alias}.id) IN (SELECT unnest(${alias}.${ref.column}) FROM ${source.table} ${alias} WHERE ${alias}.tenant = ${ctx.params.add(
    ctx.tenant,
  )} AND NOT ${alias}.deleted AND ${condition}${access ? ` AND (${access})` : ''})`;
}
