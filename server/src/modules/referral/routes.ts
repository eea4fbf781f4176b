/**
 * Two-way referral over HTTP (docs/referral.md). Every route needs a token (global guard); reads and writes go through
 * the caller's repository and are audited. Errors are FHIR OperationOutcomes (400 names the field).
 *
 *   POST /api/referrals                      create (ServiceRequest + Task) → 201 { id, referral }
 *   GET  /api/referrals?direction=&view=incoming|outgoing&state=&open=1&count=
 *   GET  /api/referrals/stats?from=&to=      counts, acceptance rate, time to acceptance, rejection reasons
 *   GET  /api/referrals/:id                  referral, task, history, attachments, follow-up tasks
 *   GET  /api/referrals/:id/form.pdf         printable referral form (503 without a CJK font)
 *   POST /api/referrals/:id/:action          accept | reject | arrive | complete | cancel | confirm | return
 *                                            { reason?, note? } (If-Match: the Task version seen)
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Organization, Patient } from '@medplum/fhirtypes';
import { principalOf } from '../../platform/auth/guard.js';
import { sendOutcome, toFhirError } from '../../platform/fhir/http.js';
import { nameOf } from '../../platform/fhir/lookup.js';
import { badRequest, FhirError } from '../../platform/fhir/outcomes.js';
import type { ModuleContext } from '../../platform/module.js';
import { actorOf } from '../../platform/workflow/actor.js';
import { ifMatchOf, readVisible, transitionInputOf } from '../../platform/workflow/routes.js';
import { findCjkFont } from '../../platform/print/font.js';
import { DIRECTIONS, type Direction } from './model.js';
import { referralFormPdf } from './pdf.js';
import type { ReferralService } from './service.js';
import { referralStats } from './stats.js';
import { parseReferral } from './validate.js';
import { periodParams } from '../../platform/fhir/input.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export async function registerReferralRoutes(app: FastifyInstance, ctx: ModuleContext, service: ReferralService): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler((err, request, reply: FastifyReply) => sendOutcome(reply, toFhirError(err, request)));

    scope.post('/api/referrals', async (request, reply) => {
      const input = parseReferral(request.body);
      const repo = await ctx.repositoryFor(request);
      const actor = actorOf(principalOf(request));
      const { serviceRequest, step } = await service.create(repo, actor, input);
      ctx.auditAccess(request, {
        action: 'create',
        resources: [`ServiceRequest/${serviceRequest.id}`, `Task/${step.task.id}`],
        patients: [input.patient],
        detail: `${input.direction}-referral to ${input.to}`,
      });
      const [referral] = await service.summaries(repo, actor, [{ sr: serviceRequest, task: step.task }]);
      return reply.code(201).send({ id: serviceRequest.id, referral });
    });

    scope.get('/api/referrals', async (request) => {
      const q = request.query as Record<string, unknown>;
      const direction = str(q.direction) as Direction | undefined;
      if (direction && !DIRECTIONS.includes(direction)) throw badRequest("'direction' must be up, down or external", 'direction');
      const view = str(q.view) as 'incoming' | 'outgoing' | undefined;
      if (view && view !== 'incoming' && view !== 'outgoing') throw badRequest("'view' must be incoming or outgoing", 'view');
      const count = q.count === undefined ? 50 : Number(q.count);
      if (!Number.isInteger(count) || count < 1 || count > 200) throw badRequest("'count' must be 1–200", 'count');
      const repo = await ctx.repositoryFor(request);
      const items = await service.list(repo, actorOf(principalOf(request)), {
        direction,
        view,
        state: str(q.state),
        open: q.open === '1' || q.open === 'true',
        count,
      });
      if (items.length) {
        ctx.auditAccess(request, {
          action: 'read',
          resources: items.flatMap((i) => [`ServiceRequest/${i.id}`, `Task/${i.task.id}`]),
          patients: [...new Set(items.map((i) => i.patient?.reference).filter((x): x is string => !!x))],
          detail: 'referral list',
        });
      }
      return { items };
    });

    scope.get('/api/referrals/stats', async (request) => {
      const { from, to } = periodParams(request.query, ctx.clock.now());
      const repo = await ctx.repositoryFor(request);
      return referralStats(repo, ctx.systemRepository(repo.tenant), from, to);
    });

    scope.get('/api/referrals/:id', async (request) => {
      const { id } = request.params as { id: string };
      const repo = await ctx.repositoryFor(request);
      const detail = await service.detail(repo, actorOf(principalOf(request)), id);
      ctx.auditAccess(request, {
        action: 'read',
        resources: [
          `ServiceRequest/${id}`,
          `Task/${detail.task.id}`,
          ...detail.attachments.filter((a) => a.resource).map((a) => a.reference),
        ],
        patients: detail.patient ? [detail.patient.reference] : [],
      });
      return detail;
    });

    scope.get('/api/referrals/:id/form.pdf', async (request, reply) => {
      const { id } = request.params as { id: string };
      const font = findCjkFont();
      if (!font) {
        throw new FhirError(503, [
          {
            severity: 'error',
            code: 'transient',
            details: {
              text: 'No CJK font is installed on the server, so the form cannot be printed in Chinese; install fonts-wqy-microhei or set YIWANG_CJK_FONT (服务器未安装中文字体，无法生成转诊单)',
            },
          },
        ]);
      }
      const repo = await ctx.repositoryFor(request);
      const actor = actorOf(principalOf(request));
      const { sr, task } = await service.taskOf(repo, id);
      const [referral] = await service.summaries(repo, actor, [{ sr, task }]);
      const refs = [sr.subject?.reference, sr.requester?.reference, sr.performer?.[1]?.reference].filter((x): x is string => !!x);
      const related = await readVisible(repo, refs);
      const pdf = await referralFormPdf(
        {
          referral,
          patient: related.get(sr.subject?.reference ?? '') as Patient | undefined,
          requesterName: nameOf(related.get(sr.requester?.reference ?? '')),
          department: related.get(sr.performer?.[1]?.reference ?? '') as Organization | undefined,
          printedAt: ctx.clock.now(),
        },
        font,
      );
      ctx.auditAccess(request, {
        action: 'read',
        resources: [`ServiceRequest/${id}`],
        patients: sr.subject?.reference ? [sr.subject.reference] : [],
        detail: 'referral form PDF',
      });
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="referral-${id}.pdf"`)
        .header('cache-control', 'no-store')
        .send(pdf);
    });

    scope.post('/api/referrals/:id/:action', async (request) => {
      const { id, action } = request.params as { id: string; action: string };
      const { input } = transitionInputOf(request.body ?? {}, ifMatchOf(request));
      const repo = await ctx.repositoryFor(request);
      const actor = actorOf(principalOf(request));
      const result = await service.act(repo, actor, id, action, input);
      ctx.auditAccess(request, {
        action: 'update',
        resources: [`ServiceRequest/${id}`, `Task/${result.task.id}`, `Provenance/${result.provenance.id}`],
        patients: result.task.for?.reference ? [result.task.for.reference] : [],
        detail: `referral ${action}: ${result.from} → ${result.to}`,
      });
      return service.detail(repo, actor, id);
    });
  });
}
