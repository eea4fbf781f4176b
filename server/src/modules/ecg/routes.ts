/**
 * The ECG centre and the chest-pain centre over HTTP (docs/ecg.md). Every route needs a token (global guard); reads and
 * writes go through the caller's repository and are audited; errors are FHIR OperationOutcomes (400 names the field).
 *
 *   GET  /api/ecg/catalogue                      items, standard statements, templates, recognition mark (in force)
 *   POST /api/ecg/requests                       { patient, item?, priority, reason, to? } → 201 { serviceRequest, task }
 *   POST /api/ecg/requests/:id/tracing           the file as the body (DICOM, aECG XML, JSON, CSV; ?filename=&sampleRate=&unit=)
 *   POST /api/ecg/cases/:task/measurements       { hr?, pr?, qrs?, qt?, qtc? } by a reader of the centre
 *   /api/ecg/cases…, /api/ecg/stats              the reading centres' shared case routes (reading/case-routes.ts)
 *   GET  /api/chest-pain?open=1                  chest-pain records the caller's side may see
 *   GET  /api/chest-pain/:id                     the record: milestones and intervals against the targets
 *   POST /api/chest-pain/:id/events              { milestone, at }
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendOutcome, toFhirError } from '../../platform/fhir/http.js';
import type { ModuleContext } from '../../platform/module.js';
import { registerCaseRoutes, whoIs } from '../reading/case-routes.js';
import { inForce, RECOGNITION } from '../reading/rules.js';
import type { ReadingService } from '../reading/service.js';
import { registerChestPainRoutes } from './chest-pain/routes.js';
import type { EcgIntake } from './intake.js';
import { enterMeasurements, parseMeasurements } from './measurements.js';
import { catalogueOn } from './model.js';
import { createEcgRequest, parseEcgRequest } from './request.js';

/** The body types a tracing may come as; all are taken as bytes (the original is kept as sent). */
const TRACING_TYPES = [
  'application/dicom',
  'application/octet-stream',
  'application/xml',
  'text/xml',
  'application/hl7-v3+xml',
  'text/csv',
  'text/plain',
  'application/json',
];
const num = (v: unknown) => (typeof v === 'string' && v.trim() ? Number(v) : undefined);

export async function registerEcgRoutes(
  app: FastifyInstance,
  ctx: ModuleContext,
  service: ReadingService,
  intake: EcgIntake,
): Promise<void> {
  const who = (request: Parameters<typeof whoIs>[1]) => whoIs(ctx, request);
  const onError = (scope: FastifyInstance) =>
    scope.setErrorHandler((err, request, reply: FastifyReply) => sendOutcome(reply, toFhirError(err, request)));

  await app.register(async (scope) => {
    onError(scope);
    scope.get('/api/ecg/catalogue', async () => {
      const now = ctx.clock.now();
      const c = catalogueOn(now);
      const recognition = inForce(RECOGNITION, now);
      return {
        version: c.version,
        items: c.items,
        statements: c.statements,
        templates: c.templates,
        recognition: { mark: recognition.mark },
      };
    });

    scope.post('/api/ecg/requests', async (request, reply) => {
      const now = ctx.clock.now();
      const input = parseEcgRequest(request.body, now);
      const { repo, actor } = await who(request);
      const created = await createEcgRequest(ctx.workflows, repo, ctx.systemRepository(repo.tenant), actor, input, now);
      ctx.auditAccess(request, {
        action: 'create',
        resources: [`ServiceRequest/${created.serviceRequest.id}`, `Task/${created.task}`],
        patients: [input.patient],
        detail: `ecg request ${input.item}`,
      });
      return reply.code(201).send(created);
    });

    scope.post('/api/ecg/cases/:task/measurements', async (request) => {
      const { task } = request.params as { task: string };
      const values = parseMeasurements(request.body);
      const { repo, actor } = await who(request);
      await enterMeasurements(service, repo, actor, task, values, ctx.clock.now());
      ctx.auditAccess(request, {
        action: 'update',
        resources: [`Task/${task}`],
        detail: `ecg measurements ${Object.keys(values).join(',')}`,
      });
      return { ok: true };
    });

    registerCaseRoutes(app, scope, ctx, service);
    registerChestPainRoutes(scope, ctx);
  });

  // The upload in a scope of its own: every body is bytes here, JSON included (the original file is kept as sent).
  await app.register(async (scope) => {
    onError(scope);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(TRACING_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post('/api/ecg/requests/:id/tracing', async (request, reply) => {
      const { id } = request.params as { id: string };
      const q = request.query as Record<string, unknown>;
      const file = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const contentType = (request.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim();
      const { repo, actor } = await who(request);
      const sampleRate = num(q.sampleRate);
      const result = await intake.upload(repo, ctx.systemRepository(repo.tenant), actor, id, {
        file,
        contentType,
        ...(typeof q.filename === 'string' ? { filename: q.filename.slice(0, 200) } : {}),
        ...(sampleRate !== undefined ? { sampleRate } : {}),
        ...(typeof q.unit === 'string' ? { unit: q.unit } : {}),
      });
      ctx.auditAccess(request, {
        action: 'create',
        resources: [result.observation, result.documentReference, `Task/${result.task}`],
        detail: `ecg tracing ${result.format} ${result.sampleRate} Hz ${result.seconds.toFixed(1)} s`,
      });
      return reply.code(201).send(result);
    });
  });
}
