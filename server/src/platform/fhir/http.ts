/**
 * Mounts the FHIR router on Fastify at /fhir/R4: content types, body limits, headers, and errors
 * turned into OperationOutcomes with the right status (never a stack trace).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FhirError } from './outcomes.js';
import { RawJson } from './raw.js';
import type { Repository } from './repository.js';
import { route, type RouterContext } from './router.js';
import { parseQueryString, type QueryInput } from './search/parse.js';
import { depthOf, MAX_DEPTH } from './validate.js';

export const FHIR_BASE = '/fhir/R4';
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export interface FhirHttpOptions {
  /** Builds the repository for one request (tenant and access scope of the caller). */
  repositoryFor: (request: FastifyRequest) => Repository | Promise<Repository>;
  /** Public base URL; defaults to the request's own scheme and host. */
  publicBaseUrl?: string;
  operations?: RouterContext['operations'];
  /** The caller as FHIR references (operations acting in their name). */
  callerOf?: (request: FastifyRequest) => RouterContext['caller'];
  /** Rewrites a response body for the caller (masking of identity fields). */
  present?: (request: FastifyRequest, body: Resource | RawJson) => Resource | RawJson;
  /** Told of every interaction and its outcome, after the store answered or refused (the audit trail). */
  onInteraction?: (request: FastifyRequest, interaction: FhirInteraction) => void;
}

export interface FhirInteraction {
  method: string;
  /** Path below the FHIR base. */
  path: string;
  queryString?: string;
  requestBody?: unknown;
  status: number;
  responseBody?: Resource | RawJson;
}

export function sendOutcome(reply: FastifyReply, err: FhirError): FastifyReply {
  return reply.code(err.status).type(FHIR_JSON).send(err.outcome);
}

/** Maps anything thrown to an OperationOutcome error; unexpected errors are logged, not shown. */
export function toFhirError(err: unknown, request: FastifyRequest): FhirError {
  if (err instanceof FhirError) return err;
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new FhirError(413, [
      { severity: 'error', code: 'too-costly', details: { text: 'Request body exceeds the configured size limit' } },
    ]);
  }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new FhirError(415, [
      { severity: 'error', code: 'not-supported', details: { text: `Unsupported content type; use application/fhir+json` } },
    ]);
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return new FhirError(e.statusCode, [{ severity: 'error', code: 'invalid', details: { text: e.message ?? 'Bad request' } }]);
  }
  if (typeof e.code === 'string' && /^22/.test(e.code)) {
    // PostgreSQL data exceptions (NUL bytes, out-of-range values): the input was bad, not the server.
    return new FhirError(400, [{ severity: 'error', code: 'invalid', details: { text: `Invalid data: ${e.message}` } }]);
  }
  if (e.code === '54001' || e.code === '57014') {
    return new FhirError(400, [
      { severity: 'error', code: 'too-costly', details: { text: 'The request is too complex or too slow to answer' } },
    ]);
  }
  request.log.error({ err }, 'unexpected error');
  return new FhirError(500, [
    { severity: 'error', code: 'exception', details: { text: 'Internal server error; the incident was logged' } },
  ]);
}

function parseJsonBody(body: string): unknown {
  if (body.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new FhirError(400, [{ severity: 'error', code: 'structure', details: { text: `Malformed JSON: ${(err as Error).message}` } }]);
  }
  if (depthOf(parsed, MAX_DEPTH) > MAX_DEPTH) {
    throw new FhirError(400, [{ severity: 'error', code: 'structure', details: { text: `JSON nested deeper than ${MAX_DEPTH} levels` } }]);
  }
  return parsed;
}

function interactionOf(request: FastifyRequest): Omit<FhirInteraction, 'status'> {
  const [pathPart, queryString] = request.url.slice(FHIR_BASE.length).split('?', 2) as [string, string | undefined];
  let path = pathPart.replace(/^\/+|\/+$/g, '');
  try {
    path = decodeURIComponent(path);
  } catch {
    // Keep the raw path; the router has refused it already.
  }
  return { method: request.method, path, queryString, requestBody: request.body };
}

export async function registerFhirRoutes(app: FastifyInstance, options: FhirHttpOptions): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['application/json', 'application/fhir+json', 'application/json-patch+json'],
      { parseAs: 'string' },
      (_req, body, done) => {
        try {
          done(null, parseJsonBody(body as string));
        } catch (err) {
          done(err as Error, undefined);
        }
      },
    );
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, parseQueryString(body as string));
    });
    scope.setErrorHandler((err, request, reply) => {
      const fhirError = toFhirError(err, request);
      if (options.onInteraction && request.principal) {
        options.onInteraction(request, { ...interactionOf(request), status: fhirError.status });
      }
      return sendOutcome(reply, fhirError);
    });

    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const path = ((request.params as Record<string, string>)['*'] ?? '').replace(/\/+$/, '');
      const baseUrl = options.publicBaseUrl ?? `${request.protocol}://${request.host}${FHIR_BASE}`;
      let query = request.query as QueryInput;
      let body = request.body;
      // POST _search: form parameters join the URL's.
      if (path.endsWith('_search') && request.method === 'POST') {
        query = { ...query, ...((body as QueryInput | undefined) ?? {}) };
        body = undefined;
      }
      const repo = await options.repositoryFor(request);
      const header = (name: string): string | undefined => {
        const v = request.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const res = await route(
        repo,
        {
          method: request.method,
          path: decodeURIComponent(path),
          query,
          body,
          ifMatch: header('if-match'),
          ifNoneExist: header('if-none-exist'),
          ifNoneMatch: header('if-none-match'),
          prefer: header('prefer'),
        },
        { baseUrl, operations: options.operations, caller: options.callerOf?.(request) },
      );
      options.onInteraction?.(request, { ...interactionOf(request), status: res.status, responseBody: res.body });
      reply.code(res.status);
      for (const [k, v] of Object.entries(res.headers ?? {})) reply.header(k, v);
      if (res.body === undefined) return reply.send();
      const shown = options.present ? options.present(request, res.body) : res.body;
      return reply.type(FHIR_JSON).send(shown instanceof RawJson ? shown.text : shown);
    };
    scope.all(FHIR_BASE, handler);
    scope.all(`${FHIR_BASE}/*`, handler);
  });
}
