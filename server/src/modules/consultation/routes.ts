/**
 * Remote consultation over HTTP (docs/consultation.md). Every route needs a token (global guard); reads and writes go
 * through the caller's repository and are audited; errors are FHIR OperationOutcomes (400 names the field).
 *
 *   POST /api/consultation/requests                        create → 201 { id, consultation }
 *   GET  /api/consultation/requests?view=incoming|outgoing|expert&state=&open=1&count=
 *   GET  /api/consultation/stats?from=&to=
 *   GET  /api/consultation/requests/:id                    detail: state, participants, record shared, opinions, conclusion, evaluation, fees, history
 *   POST /api/consultation/requests/:id/schedule           { start, experts: ['Practitioner/x'], lead?, note? }   (centre)
 *   POST /api/consultation/requests/:id/participants       { name, institution, level: city|province, contact, specialty? } (centre)
 *   POST /api/consultation/requests/:id/opinions           { opinion, onBehalfOf? }                       (expert; centre for an external one)
 *   POST /api/consultation/requests/:id/conclusion         { conclusion, recommendation? }                (lead expert)
 *   POST /api/consultation/requests/:id/evaluation         { score: 1–5, comment? }                       (requester, once)
 *   POST /api/consultation/requests/:id/:action            accept | reject | begin | cancel  { reason?, note? } (If-Match: the Task version)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../../platform/auth/guard.js';
import { sendOutcome, toFhirError } from '../../platform/fhir/http.js';
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { ModuleContext } from '../../platform/module.js';
import { actorOf } from '../../platform/workflow/actor.js';
import { ifMatchOf, transitionInputOf } from '../../platform/workflow/routes.js';
import type { ConsultationService } from './service.js';
import { consultationStats } from './stats.js';
import type { ConsultationSteps } from './steps.js';
import { parseConclusion, parseEvaluation, parseExternal, parseOpinion, parseRequest, parseSchedule } from './validate.js';
import { periodParams } from '../../platform/fhir/input.js';

const VIEWS = ['incoming', 'outgoing', 'expert'] as const;
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** A day (YYYY-MM-DD, Beijing time) or an instant; `fallback` when absent. */
export async function registerConsultationRoutes(
  app: FastifyInstance,
  ctx: ModuleContext,
  service: ConsultationService,
  steps: ConsultationSteps,
): Promise<void> {
  const who = async (request: FastifyRequest) => ({ repo: await ctx.repositoryFor(request), actor: actorOf(principalOf(request)) });
  const params = (request: FastifyRequest) => request.params as { id: string; action?: string };

  /** The detail after a step, with the step's audit row (the resident is the consultation's subject). */
  const answer = async (request: FastifyRequest, what: string, resources: string[]) => {
    const { repo, actor } = await who(request);
    const detail = await service.detail(repo, actor, params(request).id);
    ctx.auditAccess(request, {
      action: 'update',
      resources: [`ServiceRequest/${detail.id}`, `Task/${detail.task.id}`, ...resources],
      patients: detail.patient ? [detail.patient.reference] : [],
      detail: `consultation ${what}`,
    });
    return detail;
  };

  await app.register(async (scope) => {
    scope.setErrorHandler((err, request, reply: FastifyReply) => sendOutcome(reply, toFhirError(err, request)));

    scope.post('/api/consultation/requests', async (request, reply) => {
      const input = parseRequest(request.body, ctx.clock.now());
      const { repo, actor } = await who(request);
      const { serviceRequest, step } = await service.create(repo, actor, input);
      ctx.auditAccess(request, {
        action: 'create',
        resources: [`ServiceRequest/${serviceRequest.id}`, `Task/${step.task.id}`],
        patients: [input.patient],
        detail: `consultation request (${input.kind}, ${input.mode}) to ${input.to}`,
      });
      const [consultation] = await service.summaries(repo, actor, [{ sr: serviceRequest, task: step.task }]);
      return reply.code(201).send({ id: serviceRequest.id, consultation });
    });

    scope.get('/api/consultation/requests', async (request) => {
      const q = request.query as Record<string, unknown>;
      const view = text(q.view) as (typeof VIEWS)[number] | undefined;
      if (view && !VIEWS.includes(view)) throw badRequest("'view' must be incoming, outgoing or expert", 'view');
      const count = q.count === undefined ? 50 : Number(q.count);
      if (!Number.isInteger(count) || count < 1 || count > 200) throw badRequest("'count' must be 1–200", 'count');
      const { repo, actor } = await who(request);
      const items = await service.list(repo, actor, { view, state: text(q.state), open: q.open === '1' || q.open === 'true', count });
      if (items.length) {
        ctx.auditAccess(request, {
          action: 'read',
          resources: items.flatMap((i) => [`ServiceRequest/${i.id}`, `Task/${i.task.id}`]),
          patients: [...new Set(items.map((i) => i.patient?.reference).filter((x): x is string => !!x))],
          detail: 'consultation list',
        });
      }
      return { items };
    });

    scope.get('/api/consultation/stats', async (request) => {
      const { from, to } = periodParams(request.query, ctx.clock.now());
      return consultationStats(await ctx.repositoryFor(request), from, to);
    });

    scope.get('/api/consultation/requests/:id', async (request) => {
      const { repo, actor } = await who(request);
      const detail = await service.detail(repo, actor, params(request).id);
      ctx.auditAccess(request, {
        action: 'read',
        resources: [
          `ServiceRequest/${detail.id}`,
          `Task/${detail.task.id}`,
          ...detail.attachments.filter((a) => a.resource).map((a) => a.reference),
          ...detail.opinions.map((o) => `ClinicalImpression/${o.id}`),
        ],
        patients: detail.patient ? [detail.patient.reference] : [],
      });
      return detail;
    });

    scope.post('/api/consultation/requests/:id/schedule', async (request) => {
      const input = parseSchedule(request.body, ctx.clock.now());
      const { repo, actor } = await who(request);
      const step = await steps.schedule(repo, actor, params(request).id, input, ifMatchOf(request));
      return answer(request, `schedule: ${input.experts.join(', ')} at ${input.start}`, [`Provenance/${step.provenance.id}`]);
    });

    scope.post('/api/consultation/requests/:id/participants', async (request, reply) => {
      const input = parseExternal(request.body);
      const { repo, actor } = await who(request);
      const participant = await steps.addExternal(repo, actor, params(request).id, input);
      return reply.code(201).send({ participant, consultation: await answer(request, 'external participant', [participant.practitioner]) });
    });

    scope.post('/api/consultation/requests/:id/opinions', async (request, reply) => {
      const input = parseOpinion(request.body);
      const { repo, actor } = await who(request);
      const opinion = await steps.opinion(repo, actor, params(request).id, input);
      return reply
        .code(201)
        .send({ opinion: opinion.id, consultation: await answer(request, 'opinion', [`ClinicalImpression/${opinion.id}`]) });
    });

    scope.post('/api/consultation/requests/:id/conclusion', async (request) => {
      const input = parseConclusion(request.body);
      const { repo, actor } = await who(request);
      const { step, conclusion } = await steps.conclude(repo, actor, params(request).id, input, ifMatchOf(request));
      // The lead expert's access has just ended with the consultation: the answer is read with the centre's view of it.
      ctx.auditAccess(request, {
        action: 'create',
        resources: [`ClinicalImpression/${conclusion.id}`, `Task/${step.task.id}`, `Provenance/${step.provenance.id}`],
        patients: step.task.for?.reference ? [step.task.for.reference] : [],
        detail: 'consultation conclusion',
      });
      return { id: params(request).id, conclusion: conclusion.id, state: step.to };
    });

    scope.post('/api/consultation/requests/:id/evaluation', async (request) => {
      const input = parseEvaluation(request.body);
      const { repo, actor } = await who(request);
      const step = await steps.evaluate(repo, actor, params(request).id, input, ifMatchOf(request));
      return answer(request, `evaluation ${input.score}`, [`Provenance/${step.provenance.id}`]);
    });

    scope.post('/api/consultation/requests/:id/:action', async (request) => {
      const { id, action } = params(request);
      const { input } = transitionInputOf(request.body ?? {}, ifMatchOf(request));
      const { repo, actor } = await who(request);
      const step = await steps.act(repo, actor, id, action as string, input);
      return answer(request, `${action}: ${step.from} → ${step.to}`, [`Provenance/${step.provenance.id}`]);
    });
  });
}
