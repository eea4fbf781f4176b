/**
 * Batch and transaction bundles. A transaction is atomic: every entry runs inside one database
 * transaction, `urn:uuid:` and conditional references are rewritten to the ids assigned here, and
 * any failing entry rolls everything back and answers with that entry's error and location.
 * A batch runs each entry on its own and reports each outcome.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { badRequest, FhirError, preconditionFailed } from './outcomes.js';
import { RawJson } from './raw.js';
import type { Repository } from './repository.js';
import { conditionalMatches, route, type FhirRequest, type FhirResponse, type RouterContext } from './router.js';
import { parseQueryString, type QueryInput } from './search/parse.js';
import { isResourceType } from './validate.js';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
};

/** Spec order of processing inside a transaction. */
const METHOD_ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 3, GET: 4, HEAD: 4 };

interface PlannedEntry {
  index: number;
  method: string;
  path: string;
  query: QueryInput;
  queryText: string;
  fullUrl?: string;
  resource?: Resource;
  request: NonNullable<BundleEntry['request']>;
  assignedId?: string;
}

function plan(bundle: Bundle, baseUrl: string): PlannedEntry[] {
  return (bundle.entry ?? []).map((entry, index) => {
    const where = `Bundle.entry[${index}]`;
    if (!entry || typeof entry !== 'object') throw badRequest('Bundle entry must be an object', where);
    const request = entry.request;
    if (!request?.method || typeof request.url !== 'string')
      throw badRequest('Every entry needs request.method and request.url', `${where}.request`);
    const method = request.method.toUpperCase();
    if (!(method in METHOD_ORDER)) throw badRequest(`Unsupported method '${request.method}'`, `${where}.request.method`);
    let url = request.url;
    if (url.startsWith(baseUrl + '/')) url = url.slice(baseUrl.length + 1);
    url = url.replace(/^\/+/, '');
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const queryText = q >= 0 ? url.slice(q + 1) : '';
    if (['POST', 'PUT'].includes(method) && (!entry.resource || typeof entry.resource !== 'object')) {
      throw badRequest(`A ${method} entry needs a resource`, `${where}.resource`);
    }
    return {
      index,
      method,
      path,
      query: parseQueryString(queryText),
      queryText,
      fullUrl: entry.fullUrl,
      resource: entry.resource,
      request,
    };
  });
}

function responseEntry(res: FhirResponse, includeBody: boolean): BundleEntry {
  const headers = res.headers ?? {};
  const response: NonNullable<BundleEntry['response']> = { status: `${res.status} ${STATUS_TEXT[res.status] ?? ''}`.trim() };
  if (headers.Location) response.location = headers.Location;
  if (headers.ETag) response.etag = headers.ETag;
  if (headers['Last-Modified']) response.lastModified = new Date(headers['Last-Modified']).toISOString();
  const out: BundleEntry = { response };
  const body = res.body instanceof RawJson ? res.body.parse<Resource>() : res.body;
  if (body && (includeBody || body.resourceType === 'OperationOutcome')) {
    if (body.resourceType === 'OperationOutcome') response.outcome = body;
    else out.resource = body;
  }
  return out;
}

function locate(err: unknown, where: string): FhirError {
  if (err instanceof FhirError) {
    return new FhirError(
      err.status,
      err.issues.map((i) =>
        i.expression?.some((e) => e.startsWith('Bundle.')) ? i : { ...i, expression: [where, ...(i.expression ?? [])] },
      ),
    );
  }
  return new FhirError(500, [
    { severity: 'error', code: 'exception', details: { text: `Entry failed: ${(err as Error).message}` }, expression: [where] },
  ]);
}

function toRequest(e: PlannedEntry, body: unknown, prefer?: string): FhirRequest {
  return {
    method: e.method === 'HEAD' ? 'GET' : e.method,
    path: e.path,
    query: e.query,
    body,
    ifMatch: e.request.ifMatch,
    ifNoneExist: e.request.ifNoneExist,
    ifNoneMatch: e.request.ifNoneMatch,
    prefer,
    where: `Bundle.entry[${e.index}]`,
    assignedId: e.assignedId,
  };
}

/** Replaces every `reference` that names a bundle-local fullUrl or a conditional URL. */
async function rewriteReferences(
  value: unknown,
  idMap: Map<string, string>,
  resolveConditional: (ref: string) => Promise<string>,
): Promise<unknown> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = await rewriteReferences(value[i], idMap, resolveConditional);
    return value;
  }
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'reference' && typeof v === 'string') {
      const mapped = idMap.get(v);
      if (mapped) obj[k] = mapped;
      else if (/^[A-Z][A-Za-z]+\?/.test(v)) obj[k] = await resolveConditional(v);
    } else if (v && typeof v === 'object') {
      await rewriteReferences(v, idMap, resolveConditional);
    }
  }
  return obj;
}

async function runTransaction(repo: Repository, entries: PlannedEntry[], ctx: RouterContext, prefer?: string): Promise<Bundle> {
  const results: BundleEntry[] = new Array(entries.length);
  await repo.withTransaction(async (tx) => {
    const idMap = new Map<string, string>();
    const existing = new Map<number, FhirResponse>();
    for (const e of entries) {
      const where = `Bundle.entry[${e.index}]`;
      try {
        if (e.method === 'POST' && e.path && !e.path.includes('/')) {
          if (e.request.ifNoneExist) {
            const matches = await conditionalMatches(tx, e.path, e.request.ifNoneExist, ctx.baseUrl);
            if (matches.length > 1) throw preconditionFailed(`If-None-Exist '${e.request.ifNoneExist}' matches more than one ${e.path}`);
            if (matches.length === 1) {
              if (e.fullUrl) idMap.set(e.fullUrl, `${e.path}/${matches[0]}`);
              existing.set(e.index, await route(tx, { method: 'GET', path: `${e.path}/${matches[0]}`, query: {} }, ctx));
              continue;
            }
          }
          e.assignedId = randomUUID();
          if (e.fullUrl) idMap.set(e.fullUrl, `${e.path}/${e.assignedId}`);
        } else if (e.method === 'PUT' && e.fullUrl) {
          if (e.path.includes('/')) idMap.set(e.fullUrl, e.path);
          else if (e.queryText) {
            const matches = await conditionalMatches(tx, e.path, e.queryText, ctx.baseUrl);
            if (matches.length === 1) idMap.set(e.fullUrl, `${e.path}/${matches[0]}`);
            else if (matches.length === 0) {
              e.assignedId = randomUUID();
              idMap.set(e.fullUrl, `${e.path}/${e.assignedId}`);
            }
          }
        }
      } catch (err) {
        throw locate(err, where);
      }
    }
    const resolveConditional = async (ref: string): Promise<string> => {
      const [type, queryText] = ref.split('?', 2);
      if (!isResourceType(type)) throw badRequest(`Conditional reference '${ref}' names an unknown type`);
      const matches = await conditionalMatches(tx, type, queryText, ctx.baseUrl);
      if (matches.length !== 1)
        throw preconditionFailed(`Conditional reference '${ref}' matches ${matches.length} resources; it must match exactly one`);
      return `${type}/${matches[0]}`;
    };
    const ordered = [...entries].sort((a, b) => METHOD_ORDER[a.method] - METHOD_ORDER[b.method] || a.index - b.index);
    for (const e of ordered) {
      const where = `Bundle.entry[${e.index}]`;
      try {
        const done = existing.get(e.index);
        if (done) {
          results[e.index] = responseEntry({ ...done, status: 200 }, false);
          continue;
        }
        // The bundle was parsed for this request alone, so references are rewritten in place.
        const body = e.resource ? await rewriteReferences(e.resource, idMap, resolveConditional) : undefined;
        const res = await route(tx, toRequest(e, body, prefer), ctx);
        results[e.index] = responseEntry(res, e.method === 'GET' || e.method === 'HEAD' || /return=representation/.test(prefer ?? ''));
      } catch (err) {
        throw locate(err, where);
      }
    }
  });
  return { resourceType: 'Bundle', type: 'transaction-response', entry: results };
}

async function runBatch(repo: Repository, entries: PlannedEntry[], ctx: RouterContext, prefer?: string): Promise<Bundle> {
  const results: BundleEntry[] = [];
  for (const e of entries) {
    try {
      const res = await repo.withTransaction((tx) => route(tx, toRequest(e, e.resource, prefer), ctx));
      results.push(responseEntry(res, e.method === 'GET' || e.method === 'HEAD' || /return=representation/.test(prefer ?? '')));
    } catch (err) {
      const located = locate(err, `Bundle.entry[${e.index}]`);
      results.push(responseEntry({ status: located.status, body: located.outcome }, false));
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry: results };
}

export async function processBundle(repo: Repository, body: unknown, ctx: RouterContext, prefer?: string): Promise<Bundle> {
  const bundle = body as Bundle | undefined;
  if (!bundle || typeof bundle !== 'object' || bundle.resourceType !== 'Bundle') {
    throw badRequest('POST to the base URL takes a Bundle of type batch or transaction', 'resourceType');
  }
  if (bundle.type !== 'transaction' && bundle.type !== 'batch') {
    throw badRequest(`Bundle.type must be 'transaction' or 'batch', got '${String(bundle.type)}'`, 'Bundle.type');
  }
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw badRequest('Bundle.entry must be an array', 'Bundle.entry');
  const entries = plan(bundle, ctx.baseUrl);
  return bundle.type === 'transaction' ? runTransaction(repo, entries, ctx, prefer) : runBatch(repo, entries, ctx, prefer);
}
