/**
 * The case routes every reading centre has (imaging, ECG, pathology), under /api/{centre}/…. Every route needs a token
 * (global guard); reads and writes go through the caller's repository and are audited; errors are FHIR
 * OperationOutcomes (400 names the field).
 *
 *   GET  /api/{centre}/cases?view=centre|requested&state=&open=1&count=   cases the caller's side may see
 *   GET  /api/{centre}/cases/:task                   case, task with allowed actions and history, request, resident,
 *                                                    report and its versions, templates, conclusions (+ the centre's own)
 *   POST /api/{centre}/cases/:task/report            preliminary report { findings, impression, positive, conclusions?, template? }
 *   POST /api/{centre}/cases/:task/sign              second reader signs (SM2) → final, back to the requester
 *   POST /api/{centre}/cases/:task/amend             revision after signing { …report, reason } → status amended
 *   POST /api/{centre}/cases/:task/:action           claim | release | qc-reject | return | resubmit | cancel { reason?, note? }
 *   GET  /api/{centre}/stats?from=&to=               turnaround, positive rate, critical, recognition, QC rejections
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DiagnosticReport, Patient, Resource, ServiceRequest } from '@medplum/fhirtypes';
import { principalOf } from '../../platform/auth/guard.js';
import { badRequest, FhirError } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { ModuleContext } from '../../platform/module.js';
import { actorOf, type Actor } from '../../platform/workflow/actor.js';
import { ifMatchOf, TaskViews, transitionInputOf } from '../../platform/workflow/routes.js';
import { findTasks } from '../../platform/workflow/worklist.js';
import { caseScope, sideOf } from './access.js';
import type { ReadingCase } from './cases.js';
import { readOptional } from './fhir.js';
import { READING_WORKFLOW } from './rules.js';
import { parseReport, type ReadingService } from './service.js';
import { centreStats } from './stats.js';
import { periodParams } from '../../platform/fhir/input.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** Re-exported for pathology/routes.ts, which imports it from here (platform/fhir/input.ts is its home). */
export { periodParams };

export const whoIs = async (ctx: ModuleContext, request: FastifyRequest): Promise<{ repo: Repository; actor: Actor }> => ({
  repo: await ctx.repositoryFor(request),
  actor: actorOf(principalOf(request)),
});

/** Registers the shared case routes of one centre in a Fastify scope whose error handler answers OperationOutcomes. */
export function registerCaseRoutes(app: FastifyInstance, scope: FastifyInstance, ctx: ModuleContext, service: ReadingService): void {
  const { profile } = service;
  const base = `/api/${profile.centre}`;
  const views = new TaskViews(ctx.workflows, ctx);
  const who = (request: FastifyRequest) => whoIs(ctx, request);

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
      detail: `${profile.centre} ${detail}`,
    });
  };

  const detail = async (request: FastifyRequest, taskId: string) => {
    const { repo, actor } = await who(request);
    const { c, task, side } = await service.visibleCase(repo, actor, taskId);
    const summary = await views.detail(repo, actor, task);
    const sr = await readOptional<ServiceRequest>(repo, c.service_request);
    const patient = await readOptional<Patient>(repo, c.patient);
    const report = await readOptional<DiagnosticReport>(repo, c.report ?? undefined);
    const versions: DiagnosticReport[] = [];
    if (report) {
      for (let v = Number(report.meta?.versionId ?? 1); v >= 1; v--) {
        versions.push((await repo.vread('DiagnosticReport', report.id as string, String(v))) as DiagnosticReport);
      }
    }
    const own = profile.caseDetail ? await profile.caseDetail(repo, c) : {};
    ctx.auditAccess(request, {
      action: 'read',
      resources: [`Task/${taskId}`, c.service_request, ...(c.imaging_study ? [c.imaging_study] : []), ...(c.report ? [c.report] : [])],
      patients: [c.patient],
      detail: `${profile.centre} case`,
    });
    const catalogue = profile.catalogue(ctx.clock.now());
    return {
      side,
      case: caseView(c),
      ...summary,
      serviceRequest: sr,
      patient: patient ? ctx.present(request, patient) : undefined,
      report,
      reportVersions: versions,
      templates: catalogue.templates.filter((t) => !c.item_code || !t.items || t.items.includes(c.item_code)),
      conclusions: catalogue.conclusions,
      ...own,
    };
  };

  scope.get(`${base}/cases`, async (request) => {
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
        [repo.tenant, rows.map((r) => r.row.task_id), profile.centre],
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
        detail: `${profile.centre} worklist (${view})`,
      });
    }
    return { items: summaries.map((s, i) => ({ ...s, case: caseView(cases.get(mine[i]!.row.task_id)!) })) };
  });

  scope.get(`${base}/cases/:task`, async (request) => detail(request, (request.params as { task: string }).task));

  scope.post(`${base}/cases/:task/report`, async (request) => {
    const { task } = request.params as { task: string };
    const { repo, actor } = await who(request);
    const body = parseReport(request.body, profile.catalogue(ctx.clock.now()));
    const { report } = await service.report(repo, actor, task, body, ifMatchOf(request));
    auditReport(request, 'create', report, [`Task/${task}`], 'preliminary report');
    return detail(request, task);
  });

  scope.post(`${base}/cases/:task/sign`, async (request) => {
    const { task } = request.params as { task: string };
    const { repo, actor } = await who(request);
    const b = request.body as Record<string, unknown> | undefined;
    const body =
      b && (b.findings !== undefined || b.impression !== undefined) ? parseReport(b, profile.catalogue(ctx.clock.now())) : undefined;
    const { report } = await service.sign(repo, actor, task, body, ifMatchOf(request));
    await signReport(request, report.id as string, 'reviewer');
    auditReport(request, 'update', report, [`Task/${task}`], 'report signed');
    return detail(request, task);
  });

  scope.post(`${base}/cases/:task/amend`, async (request) => {
    const { task } = request.params as { task: string };
    const { repo, actor } = await who(request);
    const body = parseReport(request.body, profile.catalogue(ctx.clock.now()));
    const { report } = await service.amend(repo, actor, task, body);
    await signReport(request, report.id as string, 'author');
    auditReport(request, 'update', report, [], `report amended: ${body.reason}`);
    return detail(request, task);
  });

  scope.post(`${base}/cases/:task/:action`, async (request) => {
    const { task, action } = request.params as { task: string; action: string };
    const { input } = transitionInputOf(request.body ?? {}, ifMatchOf(request));
    const { repo, actor } = await who(request);
    const step = await service.act(repo, actor, task, action, input);
    ctx.auditAccess(request, {
      action: 'update',
      resources: [`Task/${task}`, `Provenance/${step.provenance.id}`],
      patients: step.task.for?.reference ? [step.task.for.reference] : [],
      detail: `${profile.centre} ${action}: ${step.from} → ${step.to}`,
    });
    return detail(request, task);
  });

  scope.get(`${base}/stats`, async (request) => {
    const { from, to } = periodParams(request.query, ctx.clock.now());
    const { repo, actor } = await who(request);
    return centreStats(repo, profile.centre, await caseScope(repo, actor), from, to);
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
