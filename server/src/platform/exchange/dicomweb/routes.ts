/**
 * DICOMweb for Yiwang's users at /dicomweb, proxied to the archive (Orthanc) after Yiwang's own authentication (the
 * global guard), access control and audit — Orthanc itself is never reachable from outside:
 *
 *   POST /dicomweb/studies[?request=ServiceRequest/id]      STOW-RS (multipart/related of application/dicom)
 *   GET  /dicomweb/studies?…                                QIDO-RS over the studies the caller may see
 *   GET  /dicomweb/studies/{study}/series|instances?…        QIDO-RS inside a visible study
 *   GET  /dicomweb/studies/{study}[/series/{s}[/instances/{i}]][/metadata|/rendered|/frames/{n}[/rendered]]   WADO-RS
 *
 * The platform knows nothing of reading centres: what a stored study becomes (ImagingStudy, reading task,
 * reconciliation) and which studies a caller may see are given by the module that registers these routes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendOutcome, toFhirError } from '../../fhir/http.js';
import { badRequest, FhirError, forbidden, notFound } from '../../fhir/outcomes.js';
import type { ModuleContext } from '../../module.js';
import { boundaryOf, parseMultipart } from './multipart.js';
import { OrthancError, type OrthancClient } from './orthanc.js';

const UID = /^[0-9]+(\.[0-9]+)*$/;

export interface StudyAccess {
  /** The FHIR ImagingStudy the DICOM study became, for the audit row. */
  imagingStudy?: string;
  patient?: string;
}

export interface DicomwebHooks {
  /** The archive, or undefined when none is configured (every route answers 503). */
  client: OrthancClient | undefined;
  /** Whether the caller may see a study: its ImagingStudy and resident, or undefined (answered 404, as elsewhere). */
  studyAccess(request: FastifyRequest, studyUid: string): Promise<StudyAccess | undefined>;
  /** The study UIDs the caller may search among (undefined: all of them, for administrators). */
  visibleStudies(request: FastifyRequest): Promise<string[] | undefined>;
  /** STOW-RS: store the files and make them part of the record; answers the DICOM JSON response and extra headers. */
  store(
    request: FastifyRequest,
    files: Buffer[],
    requestRef: string | undefined,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;
}

export function unavailable(): FhirError {
  return new FhirError(503, [
    {
      severity: 'error',
      code: 'transient',
      details: {
        text: 'No imaging archive is configured (set YIWANG_ORTHANC_URL); imaging is unavailable, the rest of Yiwang works — 未配置影像存档服务，影像功能暂不可用',
      },
    },
  ]);
}

/** An archive failure in the caller's terms: unreachable → 503; anything else → 502 naming the archive's answer. */
export function archiveError(err: OrthancError): FhirError {
  return new FhirError(err.status === 0 ? 503 : 502, [
    { severity: 'error', code: 'transient', details: { text: `${err.message}（影像存档服务出错）` } },
  ]);
}

const passHeaders = (request: FastifyRequest): Record<string, string> => {
  const accept = request.headers.accept;
  return accept ? { accept } : {};
};

const queryString = (request: FastifyRequest): string => {
  const i = request.url.indexOf('?');
  return i >= 0 ? request.url.slice(i) : '';
};

async function relay(reply: FastifyReply, res: Response): Promise<FastifyReply> {
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status === 404) throw notFound('Not found in the imaging archive (影像不存在)');
  if (!res.ok && res.status >= 500) throw archiveError(new OrthancError(res.status, `The archive answered ${res.status}`));
  const type = res.headers.get('content-type');
  if (type) reply.type(type);
  return reply.code(res.status).header('cache-control', 'no-store').send(body);
}

export async function registerDicomwebRoutes(app: FastifyInstance, ctx: ModuleContext, hooks: DicomwebHooks): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler((err, request, reply: FastifyReply) => {
      if (err instanceof OrthancError) return sendOutcome(reply, archiveError(err));
      return sendOutcome(reply, toFhirError(err, request));
    });
    // DICOM files are bytes; the body limit is the server's (YIWANG_BODY_LIMIT).
    for (const type of ['multipart/related', 'application/dicom']) {
      scope.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    }
    const client = (): OrthancClient => {
      if (!hooks.client) throw unavailable();
      return hooks.client;
    };

    scope.post('/dicomweb/studies', async (request, reply) => {
      client();
      const type = request.headers['content-type'] ?? '';
      const body = request.body as Buffer | undefined;
      if (!Buffer.isBuffer(body) || !body.length)
        throw badRequest('STOW-RS needs a multipart/related body of DICOM files (请上传DICOM文件)');
      let files: Buffer[];
      if (type.startsWith('application/dicom')) files = [body];
      else {
        const boundary = boundaryOf(type);
        if (!type.startsWith('multipart/related') || !boundary)
          throw badRequest('STOW-RS takes \'multipart/related; type="application/dicom"; boundary=…\' (上传格式错误)');
        try {
          files = parseMultipart(body, boundary).map((p) => p.body);
        } catch (err) {
          throw badRequest(`Malformed multipart body: ${(err as Error).message} (上传内容格式错误)`);
        }
      }
      if (!files.length) throw badRequest('The upload holds no DICOM file (未包含DICOM文件)');
      const q = request.query as Record<string, unknown>;
      const ref = typeof q.request === 'string' && q.request.trim() ? q.request.trim() : undefined;
      const result = await hooks.store(request, files, ref);
      for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, v);
      return reply.code(result.status).type('application/dicom+json').send(JSON.stringify(result.body));
    });

    scope.get('/dicomweb/studies', async (request, reply) => {
      const archive = client();
      const visible = await hooks.visibleStudies(request);
      if (visible && !visible.length) return reply.type('application/dicom+json').send('[]');
      const q = new URLSearchParams(queryString(request).slice(1));
      if (visible) {
        // A study UID asked for must be among the visible ones; otherwise the search runs over the visible set only.
        const asked = q.get('StudyInstanceUID') ?? q.get('0020000D');
        const allowed = asked ? asked.split(',').filter((u) => visible.includes(u)) : visible;
        if (!allowed.length) return reply.type('application/dicom+json').send('[]');
        q.delete('0020000D');
        q.set('StudyInstanceUID', allowed.join(','));
      }
      const res = await archive.dicomweb(`/studies?${q.toString()}`, { headers: passHeaders(request) });
      ctx.auditAccess(request, { action: 'read', resources: [], detail: `QIDO-RS studies ${q.toString().slice(0, 200)}` });
      return relay(reply, res);
    });

    const wado = async (request: FastifyRequest, reply: FastifyReply) => {
      const archive = client();
      const { study, '*': rest } = request.params as { study: string; '*'?: string };
      if (!UID.test(study) || study.length > 64) throw badRequest(`'${study}' is not a DICOM UID`, 'study');
      const tail = rest ?? '';
      const segments = tail ? tail.split('/') : [];
      // Only the DICOMweb resources: series/{uid}, instances/{uid}, metadata, rendered, frames/{list}, thumbnail.
      for (let i = 0; i < segments.length; i++) {
        const s = segments[i]!;
        if (['series', 'instances'].includes(s)) {
          const uid = segments[i + 1];
          if (uid !== undefined && (!UID.test(uid) || uid.length > 64)) throw badRequest(`'${uid}' is not a DICOM UID`);
          i++;
        } else if (s === 'frames') {
          if (!/^\d+(,\d+)*$/.test(segments[i + 1] ?? '')) throw badRequest('frames/{n[,m…]} takes frame numbers');
          i++;
        } else if (!['metadata', 'rendered', 'thumbnail'].includes(s)) throw badRequest(`Unknown DICOMweb resource '${s}'`);
      }
      const access = await hooks.studyAccess(request, study);
      if (!access) throw notFound(`Study ${study} is not found or not yours to see (影像不存在或无权查看)`);
      const res = await archive.dicomweb(`/studies/${study}${tail ? `/${tail}` : ''}${queryString(request)}`, {
        headers: passHeaders(request),
      });
      ctx.auditAccess(request, {
        action: 'read',
        resources: access.imagingStudy ? [access.imagingStudy] : [],
        patients: access.patient ? [access.patient] : [],
        detail: `DICOMweb ${tail || 'study'} of ${study}`.slice(0, 300),
      });
      return relay(reply, res);
    };
    scope.get('/dicomweb/studies/:study', wado);
    scope.get('/dicomweb/studies/:study/*', wado);

    // Writes other than STOW (DELETE, PUT) are not offered: the record keeps every study it received.
    scope.route({
      method: ['PUT', 'DELETE', 'PATCH'],
      url: '/dicomweb/*',
      handler: async () => {
        throw forbidden('Only STOW-RS (POST /dicomweb/studies) writes to the archive (影像只能上传，不能修改或删除)');
      },
    });
  });
}
