/**
 * The reading of a case at any reading centre (imaging, ECG, pathology; the centre's profile says what differs): claim, release, quality-control rejection, the preliminary report from a template,
 * return for correction, review and signing by a second reader, and revision after signing. Each step is one
 * transaction: the workflow transition (Task + Provenance), the DiagnosticReport version and the case's index row.
 * The roster's rules are enforced here, in the transition's transaction: a reader's limit of open cases, the report by
 * the reader who claimed, and a second reader who is not the reporter.
 */
import type { Coding, DiagnosticReport, Patient, Provenance, ServiceRequest, Task } from '@medplum/fhirtypes';
import { badRequest, conflict, forbidden, notFound } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { Actor } from '../../platform/workflow/actor.js';
import type { StepResult, TransitionInput, WorkflowEngine } from '../../platform/workflow/engine.js';
import type { Notifier } from '../../platform/notify/notifier.js';
import { nameOf, readRef } from '../../platform/fhir/lookup.js';
import { caseOf, lockCase, openClaims, updateCase, type ReadingCase } from './cases.js';
import { withPdf } from './pdf.js';
import { conclusionCoding, CRITICAL_FINDING_SYSTEM, type CentreCatalogue, type CentreProfile } from './profile.js';
import { buildReport, isRecognised, REPORT_EXT, READING_RESULT_SYSTEM, type ReportInput } from './report.js';
import { inForce, ROSTERS } from './rules.js';
import { actorRef, caseScope, sideOf } from './access.js';

export interface ReportBody extends ReportInput {
  reason?: string;
}

const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** The report a reader sends: findings, impression, positive, coded conclusions from the centre's catalogue, template used. */
export function parseReport(body: unknown, catalogue: CentreCatalogue): ReportBody {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || Array.isArray(b)) throw badRequest('The body must be a JSON object');
  const findings = str(b.findings);
  const impression = str(b.impression);
  if (!findings) throw badRequest("'findings' (检查所见) is required", 'findings');
  if (!impression) throw badRequest("'impression' (诊断意见) is required", 'impression');
  if (findings.length > 20_000 || impression.length > 5_000) throw badRequest('The report text is too long', 'findings');
  if (typeof b.positive !== 'boolean') throw badRequest("'positive' (阳性/阴性) must be true or false", 'positive');
  const codes = b.conclusions === undefined ? [] : b.conclusions;
  if (!Array.isArray(codes) || codes.some((c) => typeof c !== 'string'))
    throw badRequest("'conclusions' must be a list of codes", 'conclusions');
  const conclusions: Coding[] = (codes as string[]).map((code) => {
    const option = catalogue.conclusions.find((c) => c.code === code);
    if (!option)
      throw badRequest(`Unknown conclusion code '${code}' (${catalogue.conclusions.map((c) => c.code).join(', ')})`, 'conclusions');
    return conclusionCoding(option);
  });
  const templateId = str(b.template);
  if (templateId && !catalogue.templates.some((t) => t.id === templateId)) throw badRequest(`Unknown template '${templateId}'`, 'template');
  return {
    findings,
    impression,
    positive: b.positive,
    conclusions,
    ...(templateId ? { template: { id: templateId, version: catalogue.version } } : {}),
    ...(str(b.reason) ? { reason: str(b.reason) } : {}),
  };
}

/** The case's request, read once per transaction: the report's code comes from it, signing closes it, a revision notifies its requester. */
const requestOf = async (tx: Repository, c: ReadingCase): Promise<ServiceRequest> =>
  (await tx.read('ServiceRequest', c.service_request.split('/')[1]!)) as ServiceRequest;

export class ReadingService {
  readonly centre: CentreProfile['centre'];

  constructor(
    readonly profile: CentreProfile,
    private readonly engine: WorkflowEngine,
    private readonly notifier: Notifier,
    private readonly now: () => Date,
  ) {
    this.centre = profile.centre;
    engine.onTransition('reading', async (e) => {
      const c = await lockCase(e.repo, e.task.id as string);
      if (!c || c.centre !== this.centre) return;
      const at = this.now().toISOString();
      const rules = inForce(ROSTERS, this.now());
      if (e.action === 'claim') {
        const held = await openClaims(e.repo, actorRef(e.actor));
        const limit = rules.centres[this.centre].maxOpenClaimsPerReader;
        if (held >= limit)
          throw conflict(
            `You already hold ${held} open cases (limit ${limit}); report or release some first — 您已领取${held}例未完成（上限${limit}例）`,
          );
        await updateCase(e.repo, c.task_id, { claimed_by: actorRef(e.actor), claimed_at: at });
      } else if (e.action === 'release' || e.action === 'qc-reject') {
        await updateCase(e.repo, c.task_id, { claimed_by: null, claimed_at: null });
      } else if (e.action === 'report') {
        if (rules.reportBy === 'claimant' && c.claimed_by !== actorRef(e.actor))
          throw forbidden('Only the reader who claimed the case writes its report (只有领取阅片的医生可以写报告)');
      } else if (e.action === 'sign') {
        if (rules.secondReader.distinctFromReporter && c.reported_by === actorRef(e.actor))
          throw forbidden('The second reader must be another doctor than the one who wrote the report (审核医生不能与报告医生为同一人)');
      }
    });
  }

  /** The case of a task, if the caller may see it (404 otherwise). */
  async visibleCase(repo: Repository, actor: Actor, taskId: string): Promise<{ c: ReadingCase; task: Task; side: 'requester' | 'centre' }> {
    const task = (await repo.read('Task', taskId)) as Task;
    const c = await caseOf(repo, taskId);
    const scope = await caseScope(repo, actor);
    const side = c && sideOf(c, scope);
    if (!c || c.centre !== this.centre || !side)
      throw notFound(`${this.profile.name.en} case ${taskId} is not found or not yours to see (未找到该${this.profile.name.zh}病例)`);
    return { c, task, side };
  }

  async act(repo: Repository, actor: Actor, taskId: string, action: string, input: TransitionInput): Promise<StepResult> {
    if (['report', 'sign'].includes(action))
      throw badRequest(`Use POST /api/${this.centre}/cases/${taskId}/report or /sign for '${action}'`);
    await this.visibleCase(repo, actor, taskId);
    return this.engine.transition(repo, actor, taskId, action, input);
  }

  /** Preliminary report (new, or a new version after a return for correction) and the 'report' transition. */
  async report(
    repo: Repository,
    actor: Actor,
    taskId: string,
    body: ReportBody,
    ifMatch?: string,
  ): Promise<{ step: StepResult; report: DiagnosticReport }> {
    const { c } = await this.visibleCase(repo, actor, taskId);
    if (!actor.practitionerId) throw forbidden('Reports are written by a practitioner account (报告需医务人员账户)');
    return repo.withTransaction(async (tx) => {
      const step = await this.engine.transition(tx, actor, taskId, 'report', { ifMatch, note: '提交初步报告 (preliminary report)' });
      const report = await this.writeReport(tx, c, await requestOf(tx, c), body, 'preliminary', [actorRef(actor)]);
      await updateCase(tx, taskId, {
        report: `DiagnosticReport/${report.id}`,
        reported_by: actorRef(actor),
        reported_at: this.now().toISOString(),
      });
      return { step, report };
    });
  }

  /** The second reader signs: the report becomes final (and goes back to the requester through the workflow's notice). */
  async sign(
    repo: Repository,
    actor: Actor,
    taskId: string,
    body: ReportBody | undefined,
    ifMatch?: string,
  ): Promise<{ step: StepResult; report: DiagnosticReport }> {
    const { c } = await this.visibleCase(repo, actor, taskId);
    if (!actor.practitionerId) throw forbidden('Only a practitioner account can sign (电子签名需医务人员账户)');
    if (!c.report) throw conflict('The case has no report to sign (尚无报告)');
    return repo.withTransaction(async (tx) => {
      const step = await this.engine.transition(tx, actor, taskId, 'sign', { ifMatch, note: '审核签发 (reviewed and signed)' });
      const current = (await tx.read('DiagnosticReport', c.report!.split('/')[1]!)) as DiagnosticReport;
      const input = body ?? reportInputOf(current);
      const sr = await requestOf(tx, c);
      const report = await this.writeReport(tx, c, sr, input, 'final', [c.reported_by!, actorRef(actor)], current);
      if (sr.status === 'active')
        await tx.update('ServiceRequest', sr.id as string, { ...sr, status: 'completed' }, { ifMatch: sr.meta?.versionId });
      await updateCase(tx, taskId, {
        signed_by: actorRef(actor),
        signed_at: this.now().toISOString(),
        positive: input.positive,
        critical: input.conclusions.some((x) => x.system === CRITICAL_FINDING_SYSTEM),
        recognised: isRecognised(report),
      });
      return { step, report };
    });
  }

  /** Revision after signing: a new version with status amended (every version stays in the history), a reason, a notice. */
  async amend(
    repo: Repository,
    actor: Actor,
    taskId: string,
    body: ReportBody,
  ): Promise<{ report: DiagnosticReport; provenance: Provenance }> {
    const { c, side } = await this.visibleCase(repo, actor, taskId);
    if (side !== 'centre' || !actor.roles.includes('county-specialist'))
      throw forbidden("Only the centre's readers revise a report (只有诊断中心医生可以修改报告)");
    if (!actor.practitionerId) throw forbidden('Only a practitioner account can revise and sign (修改报告需医务人员账户)');
    if (!c.signed_at || !c.report)
      throw conflict('Only a signed report is revised; before signing, return it for correction (报告尚未签发)');
    if (!body.reason || body.reason.length < 2) throw badRequest("'reason' for the revision is required (请填写修改原因)", 'reason');
    const result = await repo.withTransaction(async (tx) => {
      await lockCase(tx, taskId);
      const current = (await tx.read('DiagnosticReport', c.report!.split('/')[1]!)) as DiagnosticReport;
      const interpreters = [...new Set([...(current.resultsInterpreter ?? []).map((r) => r.reference as string), actorRef(actor)])];
      const sr = await requestOf(tx, c);
      const report = await this.writeReport(tx, c, sr, body, 'amended', interpreters, current);
      const at = this.now().toISOString();
      const provenance = (
        await tx.create({
          resourceType: 'Provenance',
          target: [{ reference: `DiagnosticReport/${report.id}/_history/${report.meta?.versionId}` }],
          recorded: at,
          activity: {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'UPDATE', display: '报告修订 (report amended)' },
            ],
          },
          reason: [{ text: body.reason }],
          agent: [{ who: { reference: actorRef(actor), ...(actor.display ? { display: actor.display } : {}) } }],
        } as Provenance)
      ).resource as Provenance;
      await updateCase(tx, taskId, {
        amendments: c.amendments + 1,
        positive: body.positive,
        critical: body.conclusions.some((x) => x.system === CRITICAL_FINDING_SYSTEM),
      });
      const recipient = sr.requester?.reference ?? c.requester_org;
      if (recipient) {
        await this.notifier.send(
          {
            tenant: tx.tenant,
            recipient,
            category: 'reading',
            priority: 'urgent',
            title: `${this.profile.name.zh}报告已修订：${sr.code?.text ?? ''} · ${this.profile.name.en} report amended`,
            body: `修订原因 (reason)：${body.reason}`,
            link: `/${this.centre}/cases/${taskId}`,
            focus: `DiagnosticReport/${report.id}`,
            patient: c.patient,
            dedupKey: `${this.centre}-amend:${report.id}:${report.meta?.versionId}:${recipient}`,
          },
          tx.db,
        );
      }
      return { report, provenance };
    });
    return result;
  }

  private async writeReport(
    tx: Repository,
    c: ReadingCase,
    sr: ServiceRequest,
    input: ReportInput,
    status: DiagnosticReport['status'],
    interpreters: string[],
    current?: DiagnosticReport,
  ): Promise<DiagnosticReport> {
    const existing = current ?? (c.report ? ((await tx.read('DiagnosticReport', c.report.split('/')[1]!)) as DiagnosticReport) : undefined);
    const practitioners = interpreters.filter((r) => r.startsWith('Practitioner/'));
    let report = buildReport(
      input,
      {
        category: this.profile.category,
        code: sr.code ?? { text: `${this.profile.name.zh}检查` },
        itemCode: c.item_code ?? undefined,
        subject: c.patient,
        basedOn: c.service_request,
        performers: [{ reference: c.owner_org }, ...practitioners.slice(0, 1).map((reference) => ({ reference }))],
        interpreters: practitioners.map((reference) => ({ reference })),
        status,
        issued: this.now().toISOString(),
      },
      existing?.id,
    );
    if (this.profile.completeReport) report = await this.profile.completeReport(tx, c, report);
    report = await this.printed(tx, c, report, practitioners);
    const written = existing
      ? ((await tx.update('DiagnosticReport', existing.id as string, report, { ifMatch: existing.meta?.versionId }))
          .resource as DiagnosticReport)
      : ((await tx.create(report)).resource as DiagnosticReport);
    if (this.profile.reportWritten) await this.profile.reportWritten(tx, c, written);
    return written;
  }

  /** The PDF of this version (names read through the writer's own repository: what they may see is what prints). */
  private async printed(tx: Repository, c: ReadingCase, report: DiagnosticReport, readers: string[]): Promise<DiagnosticReport> {
    const name = async (ref: string | null | undefined) => (ref ? nameOf(await readRef(tx, ref)) : undefined);
    const patient = await readRef<Patient>(tx, c.patient);
    const [reporter, signer] = readers;
    return withPdf(report, {
      centreName: this.profile.name.zh,
      ...(patient ? { patient, patientName: nameOf(patient) } : {}),
      requesterOrganization: await name(c.requester_org),
      centreOrganization: await name(c.owner_org),
      reporter: await name(reporter),
      signer: report.status === 'preliminary' ? undefined : await name(signer ?? reporter),
      ...(this.profile.printedPictures ? { pictures: await this.profile.printedPictures(tx, c, report) } : {}),
      ...(this.profile.printedDrawing ? { drawing: await this.profile.printedDrawing(tx, c, report) } : {}),
    });
  }
}

/** The report's content as input again (signing without changes). */
export function reportInputOf(r: DiagnosticReport): ReportInput {
  const findings = r.extension?.find((e) => e.url === REPORT_EXT.findings)?.valueString ?? '';
  const template = r.extension?.find((e) => e.url === REPORT_EXT.template)?.valueString;
  const codings = (r.conclusionCode ?? []).flatMap((c) => c.coding ?? []);
  return {
    findings,
    impression: r.conclusion ?? '',
    positive: codings.some((c) => c.system === READING_RESULT_SYSTEM && c.code === 'positive'),
    conclusions: codings.filter((c) => c.system !== READING_RESULT_SYSTEM),
    ...(template ? { template: { id: template.split('|')[0]!, version: template.split('|')[1] ?? '' } } : {}),
  };
}
