/**
 * The pathology centre over HTTP (docs/pathology.md). Every route needs a token (global guard); reads and writes go
 * through the caller's repository and are audited; errors are FHIR OperationOutcomes (400 names the field).
 *
 *   GET  /api/pathology/catalogue                      items, specimen types, fixatives, stains, rejection reasons,
 *                                                      templates, conclusions, cold-ischaemia limit (in force)
 *   POST /api/pathology/requests                       { patient, item, site, reason, priority?, to?, specimens: [{ type,
 *                                                      site, label, count?, collected, fixed?, fixative? }] } → 201
 *   POST /api/pathology/cases/:task/receive            { received?, specimens: [{ id, condition? }] }      the centre
 *   POST /api/pathology/cases/:task/qc-reject          { reason: <rejection code>, note?, specimens? }     the centre
 *   POST /api/pathology/cases/:task/resubmit           { specimens: [...], note? }                         the requester
 *   POST /api/pathology/cases/:task/grossing           { specimen?, description, blocks: [{ label, site? }] } claimant
 *   POST /api/pathology/cases/:task/slides             { block, stain, marker?, label }                    claimant
 *   POST /api/pathology/cases/:task/pictures           { data: base64 PNG/JPEG, kind, title?, specimen?, inReport? }
 *   POST /api/pathology/cases/:task/pictures/:media    { inReport }                                        claimant
 *   GET  /api/pathology/cases/:task/pictures/:media    the picture's bytes
 *   GET  /api/pathology/quality?from=&to=              rejection rate, cold ischaemia, turnaround (quality.ts)
 *   /api/pathology/cases…, /api/pathology/stats        the reading centres' shared case routes (reading/case-routes.ts);
 *                                                      'images' (标本送检) is the shared action of the requester
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendOutcome, toFhirError } from '../../platform/fhir/http.js';
import { notFound } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { ModuleContext } from '../../platform/module.js';
import type { Actor } from '../../platform/workflow/actor.js';
import { ifMatchOf } from '../../platform/workflow/routes.js';
import { caseScope } from '../reading/access.js';
import type { ReadingCase } from '../reading/cases.js';
import { periodParams, registerCaseRoutes, whoIs } from '../reading/case-routes.js';
import { inForce, RECOGNITION } from '../reading/rules.js';
import type { ReadingService } from '../reading/service.js';
import type { Lab } from './lab.js';
import { catalogueOn } from './model.js';
import { MAX_PICTURE_BYTES, type Pictures } from './pictures.js';
import { qualityStats } from './quality.js';
import { createRequest, parseRequest } from './request.js';

export interface PathologyDeps {
  ctx: ModuleContext;
  service: ReadingService;
  lab: Lab;
  pictures: Pictures;
}

export async function registerPathologyRoutes(app: FastifyInstance, deps: PathologyDeps): Promise<void> {
  const { ctx, service, lab, pictures } = deps;
  const who = (request: FastifyRequest) => whoIs(ctx, request);

  /** Runs a write on a case (which checks the caller may see it and answers the case), audits it and answers the case's
   * specimens and pictures as they are now. */
  const caseWrite =
    (what: string, write: (repo: Repository, actor: Actor, taskId: string, request: FastifyRequest) => Promise<ReadingCase>) =>
    async (request: FastifyRequest) => {
      const taskId = (request.params as { task: string }).task;
      const { repo, actor } = await who(request);
      const c = await write(repo, actor, taskId, request);
      ctx.auditAccess(request, {
        action: 'update',
        resources: [`Task/${taskId}`, c.service_request],
        patients: [c.patient],
        detail: `pathology ${what}`,
      });
      return service.profile.caseDetail!(repo, c);
    };

  await app.register(async (scope) => {
    scope.setErrorHandler((err, request, reply: FastifyReply) => sendOutcome(reply, toFhirError(err, request)));

    scope.get('/api/pathology/catalogue', async () => {
      const now = ctx.clock.now();
      const recognition = inForce(RECOGNITION, now);
      return { ...catalogueOn(now), recognition: { version: recognition.version, mark: recognition.mark, items: recognition.items } };
    });

    scope.post('/api/pathology/requests', async (request, reply) => {
      const now = ctx.clock.now();
      const input = parseRequest(request.body, now);
      const { repo, actor } = await who(request);
      const created = await createRequest(ctx.workflows, repo, ctx.systemRepository(repo.tenant), actor, input, now);
      ctx.auditAccess(request, {
        action: 'create',
        resources: [
          `ServiceRequest/${created.serviceRequest.id}`,
          `Task/${created.task}`,
          ...created.specimens.map((s) => `Specimen/${s.id}`),
        ],
        patients: [input.patient],
        detail: `pathology request ${input.item.code}, ${created.specimens.length} specimen(s)`,
      });
      return reply.code(201).send(created);
    });

    const base = '/api/pathology/cases/:task';
    scope.post(
      `${base}/receive`,
      caseWrite('specimen receipt', (repo, actor, task, r) => lab.receive(repo, actor, task, r.body)),
    );
    scope.post(
      `${base}/qc-reject`,
      caseWrite('specimen rejection', (repo, actor, task, r) => lab.reject(repo, actor, task, r.body, ifMatchOf(r))),
    );
    scope.post(
      `${base}/resubmit`,
      caseWrite('new specimen sent', (repo, actor, task, r) => lab.resubmit(repo, actor, task, r.body, ifMatchOf(r))),
    );
    scope.post(
      `${base}/grossing`,
      caseWrite('grossing', (repo, actor, task, r) => lab.grossing(repo, actor, task, r.body)),
    );
    scope.post(
      `${base}/slides`,
      caseWrite('slide', (repo, actor, task, r) => lab.slide(repo, actor, task, r.body)),
    );
    // A picture of up to 5 MB arrives as base64 in JSON (a third larger).
    scope.post(
      `${base}/pictures`,
      { bodyLimit: Math.ceil((MAX_PICTURE_BYTES * 4) / 3) + 64 * 1024 },
      caseWrite('picture added', (repo, actor, task, r) => pictures.upload(repo, actor, task, r.body)),
    );
    scope.post(
      `${base}/pictures/:media`,
      caseWrite('picture chosen for the report', (repo, actor, task, r) =>
        pictures.choose(repo, actor, task, (r.params as { media: string }).media, r.body),
      ),
    );
    scope.get(`${base}/pictures/:media`, async (request, reply) => {
      const { task, media } = request.params as { task: string; media: string };
      const { repo, actor } = await who(request);
      const { c } = await service.visibleCase(repo, actor, task);
      const found = await pictures.bytes(repo, task, media);
      if (!found) throw notFound(`Media/${media} is not a picture of this case (未找到图片)`);
      ctx.auditAccess(request, { action: 'read', resources: [`Media/${media}`], patients: [c.patient], detail: 'pathology picture' });
      return reply.header('content-type', found.contentType).header('cache-control', 'private, max-age=3600').send(found.data);
    });

    registerCaseRoutes(app, scope, ctx, service);

    scope.get('/api/pathology/quality', async (request) => {
      const now = ctx.clock.now();
      const { from, to } = periodParams(request.query, now);
      const { repo, actor } = await who(request);
      return qualityStats(repo, await caseScope(repo, actor), from, to, now);
    });
  });
}
