/**
 * The imaging centre over HTTP (docs/imaging.md). Every route needs a token (global guard); reads and writes go through
 * the caller's repository and are audited; errors are FHIR OperationOutcomes (400 names the field).
 *
 *   GET  /api/imaging/catalogue                      items, templates, coded conclusions, recognition mark (in force)
 *   POST /api/imaging/requests                       { patient, item, priority, reason, to? } → 201 { serviceRequest, task }
 *   /api/imaging/cases…, /api/imaging/stats          the reading centres' shared case routes (reading/case-routes.ts);
 *                                                    the case page adds the ImagingStudy for the viewer
 *   GET  /api/imaging/reconciliation?status=open     studies not tied to a resident yet
 *   POST /api/imaging/reconciliation/:id/resolve     { request: 'ServiceRequest/x', confirm: true }
 *   POST /api/imaging/reconciliation/:id/discard     { reason }
 * and DICOMweb at /dicomweb (platform/exchange/dicomweb/routes.ts).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendOutcome, toFhirError } from '../../platform/fhir/http.js';
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { ModuleContext } from '../../platform/module.js';
import { unavailable } from '../../platform/exchange/dicomweb/routes.js';
import { caseScope } from '../reading/access.js';
import { registerCaseRoutes, whoIs } from '../reading/case-routes.js';
import { recognitionOn } from '../reading/rules.js';
import type { ReadingService } from '../reading/service.js';
import { catalogueOn } from './model.js';
import { discardReconciliation, listReconciliation, resolveReconciliation } from './reconcile.js';
import { createRequest, parseRequest } from './request.js';
import type { Intake } from './intake.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export interface ImagingDeps {
  ctx: ModuleContext;
  service: ReadingService;
  intake: () => Intake | undefined;
}

export async function registerImagingRoutes(app: FastifyInstance, deps: ImagingDeps): Promise<void> {
  const { ctx, service } = deps;
  const who = (request: Parameters<typeof whoIs>[1]) => whoIs(ctx, request);

  await app.register(async (scope) => {
    scope.setErrorHandler((err, request, reply: FastifyReply) => sendOutcome(reply, toFhirError(err, request)));

    scope.get('/api/imaging/catalogue', async () => {
      const now = ctx.clock.now();
      const catalogue = catalogueOn(now);
      return {
        version: catalogue.version,
        items: catalogue.items,
        templates: catalogue.templates,
        conclusions: catalogue.conclusions,
        recognition: recognitionOn(now),
        archive: deps.intake() ? 'configured' : 'not-configured',
      };
    });

    scope.post('/api/imaging/requests', async (request, reply) => {
      if (!deps.intake()) throw unavailable();
      const now = ctx.clock.now();
      const input = parseRequest(request.body, now);
      const { repo, actor } = await who(request);
      const created = await createRequest(ctx.workflows, repo, ctx.systemRepository(repo.tenant), actor, input, now);
      ctx.auditAccess(request, {
        action: 'create',
        resources: [`ServiceRequest/${created.serviceRequest.id}`, `Task/${created.task}`],
        patients: [input.patient],
        detail: `imaging request ${input.item}`,
      });
      return reply.code(201).send(created);
    });

    registerCaseRoutes(app, scope, ctx, service);

    scope.get('/api/imaging/reconciliation', async (request) => {
      const q = request.query as Record<string, unknown>;
      const status = str(q.status) ?? 'open';
      if (!['open', 'resolved', 'discarded'].includes(status)) throw badRequest("'status' must be open, resolved or discarded", 'status');
      const { repo, actor } = await who(request);
      const items = await listReconciliation(ctx.systemRepository(repo.tenant), await caseScope(repo, actor), status);
      ctx.auditAccess(request, { action: 'read', resources: [], detail: `imaging reconciliation queue (${items.length})` });
      return { items };
    });

    scope.post('/api/imaging/reconciliation/:id/resolve', async (request) => {
      const intake = deps.intake();
      if (!intake) throw unavailable();
      const { id } = request.params as { id: string };
      const { repo, actor } = await who(request);
      const result = await resolveReconciliation(intake, repo, actor, await caseScope(repo, actor), id, request.body, ctx.clock.now());
      ctx.auditAccess(request, {
        action: 'update',
        resources: [result.imagingStudy, `Task/${result.task}`],
        patients: result.patient ? [result.patient] : [],
        detail: `imaging reconciliation ${id} resolved`,
      });
      return result;
    });

    scope.post('/api/imaging/reconciliation/:id/discard', async (request) => {
      const { id } = request.params as { id: string };
      const { repo, actor } = await who(request);
      const result = await discardReconciliation(
        ctx.systemRepository(repo.tenant),
        actor,
        await caseScope(repo, actor),
        id,
        request.body,
        ctx.clock.now(),
      );
      ctx.auditAccess(request, { action: 'update', resources: [], detail: `imaging reconciliation ${id} set aside` });
      return result;
    });
  });
}
