/**
 * The HTTP face of Bulk Data: `$export`, `$import` and `$bulk-status` plug into the FHIR router's
 * operations map; file downloads and NDJSON uploads need other content types than the FHIR scope
 * parses, so they are two small Fastify routes of their own under the same base.
 *
 *   GET    /fhir/R4/$export · /Patient/$export · /Group/{id}/$export   kick-off (Prefer: respond-async) → 202
 *   POST   /fhir/R4/$import                 Parameters with input urls (local files) → 202
 *   POST   /fhir/R4/$import-ndjson[?type=T] application/fhir+ndjson body → 202
 *   GET    /fhir/R4/$bulk-status/{job}      202 + X-Progress while running, 200 + manifest when done
 *   DELETE /fhir/R4/$bulk-status/{job}      cancel, remove files → 202
 *   GET    /fhir/R4/$bulk-file/{job}/{name} NDJSON file
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.js';
import { FHIR_BASE, sendOutcome, toFhirError } from '../fhir/http.js';
import { badRequest, FhirError, forbidden, informational, notFound } from '../fhir/outcomes.js';
import { RawJson } from '../fhir/raw.js';
import type { Repository } from '../fhir/repository.js';
import type { FhirRequest, FhirResponse, OperationHandler, RouterContext } from '../fhir/router.js';
import { isResourceType } from '../fhir/validate.js';
import { protectionFor } from '../protect/index.js';
import { parseExportRequest } from './export.js';
import { parseImportRequest, type ImportCheckpoint, type ImportParams } from './import.js';
import type { BulkRunner } from './runner.js';
import { cancelJob, createJob, fileExists, getJob, listFiles, readFile, uploadSealing, writePart, type BulkJob } from './store.js';

export interface BulkOptions {
  db: Database;
  runner: BulkRunner;
  /** Directories `$import` may read input files from. */
  importRoots: string[];
}

const UPLOAD_LINES_PER_PART = 1000;

function preferAsync(prefer: string | undefined): void {
  if (!/respond-async/.test(prefer ?? '')) throw badRequest('Bulk data requests are asynchronous: send Prefer: respond-async', 'Prefer');
}

function requestUrl(baseUrl: string, req: FhirRequest): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query)) for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) qs.append(k, x);
  const text = qs.toString();
  return `${baseUrl}/${req.path}${text ? `?${text}` : ''}`;
}

function accepted(baseUrl: string, id: string, text: string): FhirResponse {
  return { status: 202, headers: { 'Content-Location': `${baseUrl}/$bulk-status/${id}` }, body: informational(text) };
}

function fileUrl(job: BulkJob, name: string): string {
  return `${job.baseUrl}/$bulk-file/${job.id}/${name}`;
}

async function manifest(db: Database, job: BulkJob): Promise<Record<string, unknown>> {
  const files = (await listFiles(db, job)).filter((f) => !f.name.startsWith('input-'));
  const errors = files
    .filter((f) => f.name === 'error.ndjson')
    .map((f) => ({ type: 'OperationOutcome', url: fileUrl(job, f.name), count: f.count }));
  const head = { transactionTime: job.transactionTime, request: job.request, requiresAccessToken: false };
  if (job.kind === 'export') {
    const output = files
      .filter((f) => f.name !== 'error.ndjson')
      .map((f) => ({ type: f.resourceType, url: fileUrl(job, f.name), count: f.count }));
    return { ...head, output, error: errors };
  }
  const cp = job.checkpoint as ImportCheckpoint;
  const inputs = (job.params as unknown as ImportParams).inputs.map((i) => ({
    type: i.type,
    url: i.url.startsWith('upload:') ? undefined : i.url,
  }));
  const output = Object.entries(cp.loaded ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, count]) => ({ type, count }));
  return { ...head, input: inputs, output, error: errors };
}

/** Bulk jobs read and write the whole county with the platform's rights, so only unrestricted callers start them. */
function assertUnrestricted(repo: Repository, operation: string): void {
  if (!repo.access.unrestricted) {
    throw forbidden(`${operation} works on the whole county's data and needs administrator or system rights (管理员或系统账户)`);
  }
}

export function bulkOperations(options: BulkOptions): Map<string, OperationHandler> {
  const { db, runner } = options;
  const kickOff = async (repo: Repository, req: FhirRequest, ctx: RouterContext, kind: 'export' | 'import', params: unknown) => {
    const id = await createJob(db, {
      tenant: repo.tenant,
      kind,
      request: requestUrl(ctx.baseUrl, req),
      baseUrl: ctx.baseUrl,
      params,
      transactionTime: repo.now(),
    });
    runner.kick();
    return id;
  };

  const exportOp: OperationHandler = async (repo, req, ctx, target) => {
    assertUnrestricted(repo, '$export');
    if (req.method !== 'GET') throw badRequest('Kick off $export with GET', '$export');
    preferAsync(req.prefer);
    const params = await parseExportRequest(repo, req.query, target);
    const id = await kickOff(repo, req, ctx, 'export', params);
    return accepted(ctx.baseUrl, id, `Export job ${id} accepted`);
  };

  const importOp: OperationHandler = async (repo, req, ctx, target) => {
    assertUnrestricted(repo, '$import');
    if (target.resourceType) throw badRequest('$import runs at the system level', '$import');
    if (req.method !== 'POST') throw badRequest('Kick off $import with POST and a Parameters resource', '$import');
    preferAsync(req.prefer);
    const params = parseImportRequest(req.body, options.importRoots);
    const id = await kickOff(repo, req, ctx, 'import', params);
    return accepted(ctx.baseUrl, id, `Import job ${id} accepted`);
  };

  const statusOp: OperationHandler = async (repo, req): Promise<FhirResponse> => {
    assertUnrestricted(repo, '$bulk-status');
    const segments = req.path.split('/').filter(Boolean);
    if (segments.length !== 2) throw notFound('Give the job id: $bulk-status/{id}');
    const job = await getJob(db, repo.tenant, segments[1]);
    if (req.method === 'DELETE') {
      await db.transaction((tx) => cancelJob(tx, repo.tenant, job.id));
      return { status: 202, body: informational(`Bulk data job ${job.id} cancelled; its files were removed`) };
    }
    if (req.method !== 'GET')
      throw new FhirError(405, [{ severity: 'error', code: 'not-supported', details: { text: 'Use GET or DELETE' } }]);
    if (job.status === 'queued' || job.status === 'running') {
      return {
        status: 202,
        headers: { 'X-Progress': job.progress ?? job.status, 'Retry-After': '2' },
      };
    }
    if (job.status === 'failed') {
      throw new FhirError(500, [
        { severity: 'error', code: 'exception', details: { text: `Bulk data job failed: ${job.error ?? 'unknown error'}` } },
      ]);
    }
    return {
      status: 200,
      headers: { Expires: new Date(Date.now() + 24 * 3600 * 1000).toUTCString() },
      body: new RawJson(JSON.stringify(await manifest(db, job))),
    };
  };

  return new Map([
    ['$export', exportOp],
    ['$import', importOp],
    ['$bulk-status', statusOp],
  ]);
}

/** File downloads and NDJSON uploads. `tenantFor` gives the caller's tenant, as for the FHIR routes. */
export async function registerBulkRoutes(
  app: FastifyInstance,
  options: BulkOptions & {
    tenantFor: (request: FastifyRequest) => string | Promise<string>;
    publicBaseUrl?: string;
    /** Rejects callers who may not download or upload bulk files (throws a FhirError). */
    authorize?: (request: FastifyRequest) => void | Promise<void>;
  },
): Promise<void> {
  const { db } = options;
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['application/fhir+ndjson', 'application/ndjson', 'application/x-ndjson'],
      { parseAs: 'string' },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((err, request, reply) => sendOutcome(reply, toFhirError(err, request)));
    if (options.authorize) scope.addHook('preHandler', async (request) => options.authorize?.(request));

    scope.get(`${FHIR_BASE}/$bulk-file/:id/:name`, async (request, reply) => {
      const { id, name } = request.params as { id: string; name: string };
      const tenant = await options.tenantFor(request);
      const job = await getJob(db, tenant, id);
      if (!/^[A-Za-z]+\.ndjson$/.test(name) || name.startsWith('input-') || !(await fileExists(db, job, name))) {
        throw notFound(`File ${name} of job ${id} not found`);
      }
      const protection = protectionFor(db);
      const revealed = async function* () {
        for await (const part of readFile(db, job, name)) {
          yield part
            .split('\n')
            .map((line) => (line ? protection.revealText(line) : line))
            .join('\n');
        }
      };
      return reply.type('application/fhir+ndjson').send(Readable.from(revealed()));
    });

    scope.post(`${FHIR_BASE}/$import-ndjson`, async (request, reply) => {
      const prefer = request.headers.prefer;
      preferAsync(Array.isArray(prefer) ? prefer[0] : prefer);
      const body = request.body;
      if (typeof body !== 'string') throw badRequest('Send the NDJSON as the body, with Content-Type application/fhir+ndjson');
      const type = (request.query as Record<string, unknown>).type;
      if (type !== undefined && (typeof type !== 'string' || !isResourceType(type)))
        throw badRequest(`Unknown resource type '${String(type)}'`, 'type');
      const tenant = await options.tenantFor(request);
      const baseUrl = options.publicBaseUrl ?? `${request.protocol}://${request.host}${FHIR_BASE}`;
      const id = await db.transaction(async (tx) => {
        const jobId = await createJob(tx, {
          tenant,
          kind: 'import',
          request: `${baseUrl}/$import-ndjson${type ? `?type=${type}` : ''}`,
          baseUrl,
          params: { inputs: [{ type, url: 'upload:0' }] },
          transactionTime: new Date().toISOString(),
        });
        const lines = body.split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        for (let i = 0; i < lines.length; i += UPLOAD_LINES_PER_PART) {
          await writePart(
            tx,
            { tenant, id: jobId },
            'input-0.ndjson',
            type ?? 'Resource',
            lines.slice(i, i + UPLOAD_LINES_PER_PART),
            uploadSealing(protectionFor(db).keyring, jobId).seal,
          );
        }
        return jobId;
      });
      options.runner.kick();
      return reply
        .code(202)
        .header('Content-Location', `${baseUrl}/$bulk-status/${id}`)
        .type('application/fhir+json; charset=utf-8')
        .send(informational(`Import job ${id} accepted`));
    });
  });
}
