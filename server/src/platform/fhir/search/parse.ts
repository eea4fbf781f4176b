/**
 * Parses a FHIR search query string into parameters and result controls, rejecting what we do not
 * support (or reporting it as a warning under `Prefer: handling=lenient`).
 */
import { badRequest } from '../outcomes.js';
import { getTableModel, type TableModel } from '../schema.js';

export interface ParsedParam {
  /** The query key as written, for error locations. */
  key: string;
  code: string;
  modifier?: string;
  /** Rest of a chained key after the first '.', e.g. 'name:exact'. */
  chain?: string;
  /** Comma-separated alternatives (OR). */
  values: string[];
}

export interface IncludeSpec {
  sourceType: string;
  param: string;
  targetType?: string;
  iterate: boolean;
}

export interface SearchQuery {
  resourceType: string;
  params: ParsedParam[];
  count: number;
  sort: { code: string; descending: boolean }[];
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  total: 'none' | 'estimate' | 'accurate' | undefined;
  summary?: 'true' | 'false' | 'text' | 'data' | 'count';
  elements?: string[];
  cursor?: string;
  warnings: string[];
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

const IGNORED = new Set(['_format', '_pretty', '_contained', '_containedType']);

export type QueryInput = Record<string, string | string[] | undefined>;

/** A query string ('a=1&a=2&b=3') as search input; repeated keys become arrays. */
export function parseQueryString(text: string): QueryInput {
  const query: QueryInput = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return query;
}

/** Splits on commas not escaped with a backslash, and unescapes \, \| \$ \\. */
export function splitValues(value: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) {
      const next = value[i + 1];
      current += next === ',' || next === '$' || next === '\\' ? next : c + next;
      i++;
    } else if (c === ',') {
      out.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  out.push(current);
  return out;
}

export function parseKey(key: string): { code: string; modifier?: string; chain?: string } {
  const dot = key.indexOf('.');
  const head = dot >= 0 ? key.slice(0, dot) : key;
  const chain = dot >= 0 ? key.slice(dot + 1) : undefined;
  const colon = head.indexOf(':');
  return colon >= 0 ? { code: head.slice(0, colon), modifier: head.slice(colon + 1), chain } : { code: head, chain };
}

function entries(query: QueryInput): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, v] of Object.entries(query)) {
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) out.push([key, value]);
  }
  return out;
}

function parseInclude(value: string, key: string, iterate: boolean): IncludeSpec {
  const [sourceType, param, targetType] = value.split(':');
  if (!sourceType || !param || !getTableModel(sourceType)) {
    throw badRequest(`Invalid ${key} '${value}': expected SourceType:searchParam[:TargetType]`, key);
  }
  return { sourceType, param, targetType, iterate };
}

export function parseSearchQuery(resourceType: string, query: QueryInput, lenient = false): SearchQuery {
  const model = getTableModel(resourceType) as TableModel;
  const result: SearchQuery = {
    resourceType,
    params: [],
    count: DEFAULT_COUNT,
    sort: [],
    include: [],
    revinclude: [],
    total: undefined,
    warnings: [],
  };
  const reject = (text: string, key: string): void => {
    if (lenient) result.warnings.push(text);
    else throw badRequest(text, key);
  };
  for (const [key, value] of entries(query)) {
    if (IGNORED.has(key)) continue;
    // PostgreSQL text cannot hold NUL; no real search value contains one.
    if (key.includes('\u0000') || value.includes('\u0000')) throw badRequest('Search values must not contain NUL characters', key);
    switch (key) {
      case '_count': {
        if (!/^\d+$/.test(value)) throw badRequest(`_count must be a non-negative integer, got '${value}'`, '_count');
        result.count = Math.min(Number(value), MAX_COUNT);
        continue;
      }
      case '_sort':
        for (const part of value.split(',').filter(Boolean)) {
          const descending = part.startsWith('-');
          const code = descending ? part.slice(1) : part;
          if (code !== '_id' && code !== '_lastUpdated' && !model.params.has(code)) {
            reject(`Unknown sort parameter '${code}' for ${resourceType}`, '_sort');
            continue;
          }
          result.sort.push({ code, descending });
        }
        continue;
      case '_include':
      case '_include:iterate':
      case '_revinclude':
      case '_revinclude:iterate': {
        const spec = parseInclude(value, key, key.endsWith(':iterate'));
        (key.startsWith('_include') ? result.include : result.revinclude).push(spec);
        continue;
      }
      case '_total':
        if (value !== 'none' && value !== 'estimate' && value !== 'accurate') {
          throw badRequest(`_total must be none, estimate or accurate, got '${value}'`, '_total');
        }
        result.total = value;
        continue;
      case '_summary':
        if (!['true', 'false', 'text', 'data', 'count'].includes(value)) {
          throw badRequest(`_summary must be true, false, text, data or count, got '${value}'`, '_summary');
        }
        result.summary = value as SearchQuery['summary'];
        continue;
      case '_elements':
        result.elements = value
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean);
        continue;
      case '_cursor':
        result.cursor = value;
        continue;
    }
    const { code, modifier, chain } = parseKey(key);
    const known = code === '_id' || code === '_lastUpdated' || code === '_has' || model.params.has(code);
    if (!known) {
      reject(`Unknown search parameter '${code}' for ${resourceType}`, key);
      continue;
    }
    result.params.push({ key, code, modifier, chain, values: splitValues(value) });
  }
  return result;
}
