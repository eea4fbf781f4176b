/**
 * The imaging centre over HTTP (docs/imaging.md). Every route needs a token (global guard); reads and writes go through
 * the caller's repository and are audited; errors are FHIR OperationOutcomes (400 names the field).
 *
 *   GET  /api/imaging/catalogue                      items, templates, coded conclusions, recognition mark (in force)
 *   POST /api/imaging/requests                       { patient, item, priority, reason, to? } → 201 { serviceRequest, task }
 *   GET  /api/imaging/cases?view=centre|requested&state=&open=1&count=   cases the caller's side may see
 *   GET  /api/imaging/cases/:task                    case, task with allowed actions and history, request, resident,
 *                                                    study (series/instances for the viewer), report and its versions
 *   POST /api/imaging/cases/:task/report             preliminary report { findings, impression, positive, conclusions?, template? }
 *   POST /api/imaging/cases/:task/sign               second reader signs (SM2) → final, back to the requester
 *   POST /api/imaging/cases/:task/amend              revision after signing { …report, reason } → status amended
 *   POST /api/imaging/cases/:task/:action            claim | release | qc-reject | return | resubmit | cancel { reason?, note? }
 *   GET  /api/imaging/stats?from=&to=                turnaround, positive rate, critical, recognition, QC rejections
 *   GET  /api/imaging/reconciliation?status=open     studies not tied to a resident yet
 *   POST /api/imaging/reconciliation/:id/resolve     { request: 'ServiceRequest/x', confirm: true }
 *   POST /api/imaging/reconciliation/:id/discard     { reason }
 * and DICOMweb at /dicomweb (platform/exchange/dicomweb/routes.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DiagnosticReport, ImagingStudy, Patient, Resource, ServiceRequest } from '@medplum/fhirtypes';
import { principalOf } from '../../platform/auth/guard.js';
import { sendOutcome, toFhirError } from '../../platform/fhir/http.js';
import { badRequest, FhirError } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { ModuleContext } from '../../platform/module.js';
import { actorOf, type Actor } from '../../platform/workflow/actor.js';
import { ifMatchOf, TaskViews, transitionInputOf } from '../../platform/workflow/routes.js';
import { findTasks } from '../../platform/workflow/worklist.js';
import { caseOf, type ReadingCase } from '../reading/cases.js';
import { readOptional } from '../reading/fhir.js';
import { inForce, READING_WORKFLOW, RECOGNITION } from '../reading/rules.js';
import { caseScope, sideOf } from './access.js';
import { catalogueOn, CENTRE } from './model.js';
import { discardReconciliation, listReconciliation, resolveReconciliation } from './reconcile.js';
import { createRequest, parseRequest } from './request.js';
import { parseReport, type ReadingService } from './service.js';
import { imagingStats } from './stats.js';
import type { Intake } from './intake.js';
import { unavailable } from '../../platform/exchange/dicomweb/routes.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

function dateParam(v: unknown, field: string, fallback: Date): Date {
  const s = str(v);
  if (!s) return fallback;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00+08:00` : s);
  if (Number.isNaN(d.getTime()))
    throw badRequest(`'${field}' must be a date (YYYY-MM-DD, Beijing time) or an instant (日期格式错误)`, field);
  return d;
}

export interface ImagingDeps {
  ctx: ModuleContext;
  service: ReadingService;
  intake: () => Intake | undefined;
}

export async function registerImagingRoutes(app: FastifyInstance, deps: ImagingDeps): Promise<void> {
  const { ctx, service } = deps;
  const views = new TaskViews(ctx.workflows, ctx);
  const who = async (request: FastifyRequest): Promise<{ repo: Repository; actor: Actor }> => ({
    repo: await ctx.repositoryFor(request),
    actor: actorOf(principalOf(request)),
  });

  /** SM2 signature of the current report version by the caller, through the platform's $sign operation. */
  const signReport = async (request: FastifyRequest, reportId: string, purpose: 'author' | 'reviewer') => {
    const headers: Record<string, string> = { 'content-type': 'application/fhir+json' };
    for (const h of ['authorization', 'x-test-tenant']) {
      const v = request.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const res = await app.inject({
      method: 'POST',
      url: `/fhir/R4/DiagnosticReport/${reportId}/$sign`,
      headers,
      payload: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'purpose', valueCode: purpose }] }),
    });
    if (res.statusCode !== 201) {
      throw new FhirError(500, [
        {
          severity: 'error',
          code: 'exception',
          details: { text: `The report was saved but its signature failed (报告已保存，电子签名失败): ${res.body.slice(0, 300)}` },
        },
      ]);
    }
    return JSON.parse(res.body) as Resource;
  };

  /** The audit row of a report written through these routes (the resident is the report's subject). */
  const auditReport = (
    request: FastifyRequest,
    action: 'create' | 'update',
    report: DiagnosticReport,
    resources: string[],
    detail: string,
  ): void => {
    const patient = report.subject?.reference;
    ctx.auditAccess(request, {
      action,
      resources: [`DiagnosticReport/${report.id}`, ...resources],
      patients: patient ? [patient] : [],
      detail,
    });
  };

  const detail = async (request: FastifyRequest, taskId: string) => {
    const { repo, actor } = await who(request);
    const { c, task, side } = await service.visibleCase(repo, actor, taskId);
    const summary = await views.detail(repo, actor, task);
    const sr = await readOptional<ServiceRequest>(repo, c.service_request);
    const patient = await readOptional<Patient>(repo, c.patient);
    const study = await readOptional<ImagingStudy>(repo, c.imaging_study ?? undefined);
    const report = await readOptional<DiagnosticReport>(repo, c.report ?? undefined);
    const versions: DiagnosticReport[] = [];
    if (report) {
      for (let v = Number(report.meta?.versionId ?? 1); v >= 1; v--) {
        versions.push((await repo.vread('DiagnosticReport', report.id as string, String(v))) as DiagnosticReport);
      }
    }
    ctx.auditAccess(request, {
      action: 'read',
      resources: [`Task/${taskId}`, c.service_request, ...(c.imaging_study ? [c.imaging_study] : []), ...(c.report ? [c.report] : [])],
      patients: [c.patient],
      detail: 'imaging case',
    });
    const catalogue = catalogueOn(ctx.clock.now());
    return {
      side,
      case: caseView(c),
      ...summary,
      serviceRequest: sr,
      patient: patient ? ctx.present(request, patient) : undefined,
      imagingStudy: study,
      report,
      reportVersions: versions,
      templates: catalogue.templates.filter((t) => !c.item_code || t.items.includes(c.item_code)),
      conclusions: catalogue.conclusions,
    };
  };

  await app.register(async (scope) => {
    scope.setErrorHandler((err, request, reply: FastifyReply) => sendOutcome(reply, toFhirError(err, request)));

    scope.get('/api/imaging/catalogue', async () => {
      const now = ctx.clock.now();
      const catalogue = catalogueOn(now);
      const recognition = inForce(RECOGNITION, now);
      return {
        version: catalogue.version,
        items: catalogue.items,
        templates: catalogue.templates,
        conclusions: catalogue.conclusions,
        recognition: { version: recognition.version, mark: recognition.mark, items: recognition.items },
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

    scope.get('/api/imaging/cases', async (request) => {
      const q = request.query as Record<string, unknown>;
      const view = str(q.view) ?? 'centre';
      if (view !== 'centre' && view !== 'requested') throw badRequest("'view' must be centre or requested", 'view');
      const count = q.count === undefined ? 50 : Number(q.count);
      if (!Number.isInteger(count) || count < 1 || count > 200) throw badRequest("'count' must be 1–200", 'count');
      const states = str(q.state)?.split(',');
      const { repo, actor } = await who(request);
      const scopeOf = await caseScope(repo, actor);
      const refs = [...scopeOf.subtree, ...(scopeOf.me ? [scopeOf.me] : [])];
      const rows = await findTasks(repo, {
        workflows: [READING_WORKFLOW],
        ...(scopeOf.all && !refs.length ? {} : view === 'centre' ? { owners: refs } : { requesters: refs }),
        ...(states ? { states } : {}),
        includeClosed: !(q.open === '1' || q.open === 'true'),
        count,
      });
      const cases = new Map<string, ReadingCase>();
      if (rows.length) {
        const found = await repo.query<ReadingCase>(
          'SELECT * FROM reading_case WHERE tenant = $1 AND task_id = ANY($2::text[]) AND centre = $3',
          [repo.tenant, rows.map((r) => r.row.task_id), CENTRE],
        );
        for (const c of found) cases.set(c.task_id, c);
      }
      const mine = rows.filter((r) => cases.has(r.row.task_id) && sideOf(cases.get(r.row.task_id)!, scopeOf));
      const summaries = await views.summaries(
        repo,
        actor,
        mine.map((r) => r.task),
      );
      if (mine.length) {
        ctx.auditAccess(request, {
          action: 'read',
          resources: mine.map((r) => `Task/${r.row.task_id}`),
          patients: [...new Set(mine.map((r) => r.row.patient).filter((x): x is string => !!x))],
          detail: `imaging worklist (${view})`,
        });
      }
      return { items: summaries.map((s, i) => ({ ...s, case: caseView(cases.get(mine[i]!.row.task_id)!) })) };
    });

    scope.get('/api/imaging/cases/:task', async (request) => detail(request, (request.params as { task: string }).task));

    scope.post('/api/imaging/cases/:task/report', async (request) => {
      const { task } = request.params as { task: string };
      const { repo, actor } = await who(request);
      const body = parseReport(request.body, ctx.clock.now());
      const { report } = await service.report(repo, actor, task, body, ifMatchOf(request));
      auditReport(request, 'create', report, [`Task/${task}`], 'imaging preliminary report');
      return detail(request, task);
    });

    scope.post('/api/imaging/cases/:task/sign', async (request) => {
      const { task } = request.params as { task: string };
      const { repo, actor } = await who(request);
      const b = request.body as Record<string, unknown> | undefined;
      const body = b && (b.findings !== undefined || b.impression !== undefined) ? parseReport(b, ctx.clock.now()) : undefined;
      const { report } = await service.sign(repo, actor, task, body, ifMatchOf(request));
      await signReport(request, report.id as string, 'reviewer');
      auditReport(request, 'update', report, [`Task/${task}`], 'imaging report signed');
      return detail(request, task);
    });

    scope.post('/api/imaging/cases/:task/amend', async (request) => {
      const { task } = request.params as { task: string };
      const { repo, actor } = await who(request);
      const body = parseReport(request.body, ctx.clock.now());
      const { report } = await service.amend(repo, actor, task, body);
      await signReport(request, report.id as string, 'author');
      auditReport(request, 'update', report, [], `imaging report amended: ${body.reason}`);
      return detail(request, task);
    });

    scope.post('/api/imaging/cases/:task/:action', async (request) => {
      const { task, action } = request.params as { task: string; action: string };
      const { input } = transitionInputOf(request.body ?? {}, ifMatchOf(request));
      const { repo, actor } = await who(request);
      const step = await service.act(repo, actor, task, action, input);
      ctx.auditAccess(request, {
        action: 'update',
        resources: [`Task/${task}`, `Provenance/${step.provenance.id}`],
        patients: step.task.for?.reference ? [step.task.for.reference] : [],
        detail: `imaging ${action}: ${step.from} → ${step.to}`,
      });
      return detail(request, task);
    });

    scope.get('/api/imaging/stats', async (request) => {
      const q = request.query as Record<string, unknown>;
      const now = ctx.clock.now();
      const to = dateParam(q.to, 'to', now);
      const from = dateParam(q.from, 'from', new Date(to.getTime() - 30 * 86_400_000));
      if (from >= to) throw badRequest("'from' must be before 'to' (开始日期应早于结束日期)", 'from');
      const { repo, actor } = await who(request);
      return imagingStats(repo, await caseScope(repo, actor), from, to);
    });

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
      const result = await resolveReconciliation(
        intake,
        repo,
        ctx.systemRepository(repo.tenant),
        actor,
        await caseScope(repo, actor),
        id,
        request.body,
        ctx.clock.now(),
      );
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

export function caseView(c: ReadingCase) {
  const iso = (v: string | Date | null) => (v ? new Date(v).toISOString() : null);
  return {
    task: c.task_id,
    serviceRequest: c.service_request,
    patient: c.patient,
    requesterOrganization: c.requester_org,
    centre: c.owner_org,
    item: c.item_code,
    modality: c.modality,
    studyUid: c.study_uid,
    imagingStudy: c.imaging_study,
    report: c.report,
    claimedBy: c.claimed_by,
    reportedBy: c.reported_by,
    signedBy: c.signed_by,
    requestedAt: iso(c.requested_at),
    imagesAt: iso(c.images_at),
    claimedAt: iso(c.claimed_at),
    reportedAt: iso(c.reported_at),
    signedAt: iso(c.signed_at),
    positive: c.positive,
    critical: c.critical,
    recognised: c.recognised,
    amendments: c.amendments,
  };
}

export { caseOf };
