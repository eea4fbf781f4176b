/**
 * A transport-agnostic FHIR REST router: the HTTP layer and the entries of a batch/transaction
 * bundle both come through here, so an interaction behaves the same whichever way it arrives.
 */
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { capabilityStatement } from './capability.js';
import { everything } from './everything.js';
import { history } from './history.js';
import { badRequest, FhirError, informational, notFound, preconditionFailed, warningOutcome } from './outcomes.js';
import { modelFor, type Repository, type WriteResult } from './repository.js';
import { parseQueryString, parseSearchQuery, type QueryInput } from './search/parse.js';
import { buildWhere, search } from './search/search.js';
import { shapeResource } from './search/shape.js';
import { RawJson } from './raw.js';
import { processBundle } from './transaction.js';
import { assertValidId } from './validate.js';

export interface FhirRequest {
  method: string;
  /** Path below the FHIR base, without leading slash: 'Patient/123/_history'. */
  path: string;
  query: QueryInput;
  body?: unknown;
  ifMatch?: string;
  ifNoneExist?: string;
  ifNoneMatch?: string;
  prefer?: string;
  /** Location of this request inside a bundle, for error expressions ('Bundle.entry[3]'). */
  where?: string;
  /** Id chosen in advance by a transaction (so urn:uuid references can be rewritten before the create). */
  assignedId?: string;
}

export interface FhirResponse {
  status: number;
  /** A parsed resource, or stored JSON text sent as it is. */
  body?: Resource | RawJson;
  headers?: Record<string, string>;
}

export interface RouterContext {
  baseUrl: string;
  /** Extra operations (`$match`, `$export` …) registered by other parts of the platform. */
  operations?: Map<string, OperationHandler>;
  /** Who is asking, for operations that act in the caller's name (signing): FHIR references. */
  caller?: { who?: string; onBehalfOf?: string; display?: string };
}

export type OperationHandler = (
  repo: Repository,
  req: FhirRequest,
  ctx: RouterContext,
  target: { resourceType?: string; id?: string },
) => Promise<FhirResponse>;

function preferValue(prefer: string | undefined, key: string): string | undefined {
  for (const part of (prefer ?? '').split(/[;,]/)) {
    const [k, v] = part.trim().split('=');
    if (k === key) return v?.replace(/"/g, '');
  }
  return undefined;
}

function httpDate(iso: string | undefined): string {
  return new Date(iso ?? Date.now()).toUTCString();
}

export function versionHeaders(resource: Resource, baseUrl: string): Record<string, string> {
  return {
    ETag: `W/"${resource.meta?.versionId}"`,
    'Last-Modified': httpDate(resource.meta?.lastUpdated),
    Location: `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`,
  };
}

function writeResponse(result: WriteResult, req: FhirRequest, baseUrl: string): FhirResponse {
  const status = result.outcome === 'created' ? 201 : 200;
  const headers = versionHeaders(result.resource, baseUrl);
  const ret = preferValue(req.prefer, 'return');
  if (ret === 'minimal') return { status, headers };
  if (ret === 'OperationOutcome') {
    return { status, headers, body: informational(`${result.resource.resourceType}/${result.resource.id} ${result.outcome}`) };
  }
  return { status, headers, body: result.resource };
}

function single(query: QueryInput, key: string): string | undefined {
  const v = query[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Finds the resources matching a conditional URL's query ('Patient?identifier=x'). */
export async function conditionalMatches(repo: Repository, resourceType: string, queryText: string, baseUrl: string): Promise<string[]> {
  const parsed = parseSearchQuery(resourceType, parseQueryString(queryText), false);
  if (!parsed.params.length) throw badRequest(`A conditional request needs search criteria: '${resourceType}?${queryText}'`);
  const where = buildWhere(repo, parsed, { baseUrl });
  const rows = await repo.query<{ id: string }>(`SELECT r.id FROM ${where.from} WHERE ${where.sql} LIMIT 2`, where.params.values);
  return rows.map((r) => r.id);
}

function queryString(query: QueryInput): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(query)) for (const value of Array.isArray(v) ? v : v === undefined ? [] : [v]) out.push([k, value]);
  return out;
}

async function runSearch(
  repo: Repository,
  req: FhirRequest,
  ctx: RouterContext,
  resourceType: string,
  compartmentPatient?: string,
): Promise<FhirResponse> {
  repo.access.checkInteraction?.(resourceType, 'search');
  const lenient = preferValue(req.prefer, 'handling') === 'lenient';
  const parsed = parseSearchQuery(resourceType, req.query, lenient);
  const linkPath = compartmentPatient ? `Patient/${compartmentPatient}/${resourceType}` : resourceType;
  const bundle = await search(repo, parsed, {
    baseUrl: ctx.baseUrl,
    queryString: queryString(req.query),
    compartmentPatient,
    linkPath,
  });
  return { status: 200, body: bundle };
}

export async function route(repo: Repository, req: FhirRequest, ctx: RouterContext): Promise<FhirResponse> {
  const segments = req.path.split('/').filter(Boolean);
  const method = req.method.toUpperCase();
  const [type, id, third, fourth] = segments;

  if (segments.length === 0) {
    if (method === 'POST') return { status: 200, body: await processBundle(repo, req.body, ctx, req.prefer) };
    throw badRequest('Use POST with a batch or transaction Bundle at the base URL');
  }
  if (type === 'metadata' && segments.length === 1 && method === 'GET') return { status: 200, body: capabilityStatement(ctx) };
  if (type === '_history' && segments.length === 1 && method === 'GET') {
    return { status: 200, body: await history(repo, ctx.baseUrl, {}, historyQuery(req.query)) };
  }
  if (type.startsWith('$')) return operation(repo, req, ctx, type, {});
  modelFor(type);

  if (segments.length === 1) {
    switch (method) {
      case 'GET':
        return runSearch(repo, req, ctx, type);
      case 'POST':
        return create(repo, req, ctx, type);
      case 'PUT':
        return conditionalUpdate(repo, req, ctx, type);
      case 'DELETE':
        return conditionalDelete(repo, req, ctx, type);
    }
  }
  if (segments.length === 2) {
    if (id === '_search' && method === 'POST') return runSearch(repo, req, ctx, type);
    if (id === '_history' && method === 'GET') {
      repo.access.checkInteraction?.(type, 'search');
      return { status: 200, body: await history(repo, ctx.baseUrl, { resourceType: type }, historyQuery(req.query)) };
    }
    if (id.startsWith('$')) return operation(repo, req, ctx, id, { resourceType: type });
    assertValidId(id);
    switch (method) {
      case 'GET': {
        repo.access.checkInteraction?.(type, 'read');
        const stored = await repo.readStored(type, id);
        const headers: Record<string, string> = { ETag: `W/"${stored.version}"`, 'Last-Modified': httpDate(stored.lastUpdated) };
        if (req.ifNoneMatch && req.ifNoneMatch.replace(/^W\//, '') === headers.ETag.replace(/^W\//, '')) return { status: 304, headers };
        const summary = single(req.query, '_summary');
        const elements = single(req.query, '_elements')?.split(',');
        if (!summary && !elements) return { status: 200, headers, body: new RawJson(stored.content) };
        return { status: 200, headers, body: shapeResource(JSON.parse(stored.content) as Resource, summary, elements) };
      }
      case 'PUT':
        return writeResponse(await repo.update(type, id, req.body, { ifMatch: req.ifMatch, where: req.where }), req, ctx.baseUrl);
      case 'PATCH':
        return writeResponse(await repo.patch(type, id, req.body, { ifMatch: req.ifMatch, where: req.where }), req, ctx.baseUrl);
      case 'DELETE':
        await repo.delete(type, id);
        return { status: 200, body: informational(`Deleted ${type}/${id}`) };
    }
  }
  if (segments.length >= 3) {
    assertValidId(id);
    if (third === '_history' && method === 'GET') {
      repo.access.checkInteraction?.(type, 'read');
      if (segments.length === 3)
        return { status: 200, body: await history(repo, ctx.baseUrl, { resourceType: type, id }, historyQuery(req.query)) };
      if (segments.length === 4) {
        const resource = await repo.vread(type, id, fourth);
        return {
          status: 200,
          headers: { ETag: `W/"${resource.meta?.versionId}"`, 'Last-Modified': httpDate(resource.meta?.lastUpdated) },
          body: resource,
        };
      }
    }
    if (segments.length === 3 && type === 'Patient' && third === '$everything' && method === 'GET') {
      repo.access.checkInteraction?.('Patient', 'read');
      return {
        status: 200,
        body: await everything(repo, ctx.baseUrl, id, {
          count: single(req.query, '_count'),
          since: single(req.query, '_since'),
          type: single(req.query, '_type'),
          cursor: single(req.query, '_cursor'),
        }),
      };
    }
    if (segments.length === 3 && third.startsWith('$')) return operation(repo, req, ctx, third, { resourceType: type, id });
    if (segments.length === 3 && type === 'Patient' && method === 'GET') {
      const target = modelFor(third);
      if (!target.compartmentParams.length) throw badRequest(`${third} is not in the Patient compartment`);
      await repo.read('Patient', id);
      return runSearch(repo, req, ctx, third, id);
    }
  }
  throw new FhirError(method === 'GET' || method === 'POST' ? 404 : 405, [
    { severity: 'error', code: 'not-supported', details: { text: `${method} ${req.path} is not a supported FHIR interaction` } },
  ]);
}

function historyQuery(query: QueryInput): { count?: string; since?: string; cursor?: string } {
  return { count: single(query, '_count'), since: single(query, '_since'), cursor: single(query, '_cursor') };
}

async function operation(
  repo: Repository,
  req: FhirRequest,
  ctx: RouterContext,
  name: string,
  target: { resourceType?: string; id?: string },
): Promise<FhirResponse> {
  const handler = ctx.operations?.get(name);
  if (!handler) throw notFound(`Operation ${name} is not supported`);
  return handler(repo, req, ctx, target);
}

async function create(repo: Repository, req: FhirRequest, ctx: RouterContext, type: string): Promise<FhirResponse> {
  if (req.ifNoneExist) {
    const matches = await conditionalMatches(repo, type, req.ifNoneExist, ctx.baseUrl);
    if (matches.length > 1) throw preconditionFailed(`If-None-Exist '${req.ifNoneExist}' matches more than one ${type}`);
    if (matches.length === 1) {
      const existing = await repo.read(type, matches[0]);
      return writeResponse({ resource: existing, outcome: 'unchanged' }, req, ctx.baseUrl);
    }
  }
  const body = req.body as Resource | undefined;
  if (body && typeof body === 'object' && (body as { resourceType?: unknown }).resourceType !== type) {
    throw badRequest(
      `resourceType '${String((body as { resourceType?: unknown }).resourceType)}' does not match the URL's type '${type}'`,
      'resourceType',
    );
  }
  const result = await repo.create(req.body, { assignedId: req.assignedId, where: req.where });
  return writeResponse(result, req, ctx.baseUrl);
}

function conditionalQuery(req: FhirRequest, type: string): string {
  const q = queryString(req.query);
  if (!q.length)
    throw badRequest(`${req.method} ${type} needs search criteria (a conditional ${req.method === 'PUT' ? 'update' : 'delete'})`);
  return q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

async function conditionalUpdate(repo: Repository, req: FhirRequest, ctx: RouterContext, type: string): Promise<FhirResponse> {
  const queryText = conditionalQuery(req, type);
  return repo.withTransaction(async (tx) => {
    const matches = await conditionalMatches(tx, type, queryText, ctx.baseUrl);
    if (matches.length > 1) throw preconditionFailed(`Conditional update '${type}?${queryText}' matches more than one resource`);
    const body = req.body as { id?: string } | undefined;
    if (matches.length === 1) {
      if (body && body.id !== undefined && body.id !== matches[0]) {
        throw badRequest(`The resource id '${body.id}' does not match the found resource ${type}/${matches[0]}`, `${type}.id`);
      }
      return writeResponse(
        await tx.update(type, matches[0], { ...(body ?? {}), id: matches[0] }, { ifMatch: req.ifMatch, where: req.where }),
        req,
        ctx.baseUrl,
      );
    }
    if (body?.id) return writeResponse(await tx.update(type, body.id, body, { where: req.where }), req, ctx.baseUrl);
    return writeResponse(await tx.create(body, { assignedId: req.assignedId, where: req.where }), req, ctx.baseUrl);
  });
}

async function conditionalDelete(repo: Repository, req: FhirRequest, ctx: RouterContext, type: string): Promise<FhirResponse> {
  const queryText = conditionalQuery(req, type);
  return repo.withTransaction(async (tx) => {
    const matches = await conditionalMatches(tx, type, queryText, ctx.baseUrl);
    if (matches.length > 1) throw preconditionFailed(`Conditional delete '${type}?${queryText}' matches more than one resource`);
    if (matches.length === 0)
      return { status: 200, body: warningOutcome([`No ${type} matches '${queryText}'; nothing deleted`]) as OperationOutcome };
    await tx.delete(type, matches[0]);
    return { status: 200, body: informational(`Deleted ${type}/${matches[0]}`) };
  });
}
