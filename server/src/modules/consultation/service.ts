/**
 * Consultations: create (ServiceRequest + workflow Task in one transaction), find, list and read with everything the
 * parties need on one page. Every read goes through the caller's repository (their access policy compiled in) and is
 * limited to the parties of the consultation; registries (names of people and institutions) are read with platform
 * rights, as every signed-in user may read them.
 */
import type { CareTeam, ChargeItem, ClinicalImpression, ServiceRequest, Task } from '@medplum/fhirtypes';
import { findResources, namedRef } from '../../platform/fhir/lookup.js';
import { notFound } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { ModuleContext } from '../../platform/module.js';
import type { Actor } from '../../platform/workflow/actor.js';
import type { StepResult, WorkflowEngine } from '../../platform/workflow/engine.js';
import { readVisible, TaskViews, type TaskSummary } from '../../platform/workflow/routes.js';
import { findTasks, worklistScope } from '../../platform/workflow/worklist.js';
import { checkRequest, requireParty, type Party } from './checks.js';
import { careTeamOf } from './grant.js';
import {
  buildServiceRequest,
  CARE_TEAM_ID_SYSTEM,
  DOC_SYSTEM,
  EXT,
  extensionOf,
  kindOf,
  modeOf,
  outputsOf,
  participantsOf,
  WORKFLOW,
  type ConsultationInput,
  type Kind,
  type Mode,
  type ParticipantRole,
} from './model.js';

type Named = { reference: string; display?: string };

export interface ConsultationSummary extends TaskSummary {
  id: string;
  kind: Kind;
  mode: Mode;
  serviceRequest: ServiceRequest;
  from?: Named;
  to?: Named;
  reason?: string;
  specialties: string[];
  requestedTime?: string;
  scheduledTime?: string;
  createdAt?: string;
  participants: (Named & { organization?: Named; role: ParticipantRole })[];
}

export interface OpinionView {
  id: string;
  practitioner: Named;
  role?: ParticipantRole;
  text: string;
  date?: string;
  enteredBy?: Named;
}

/** Opinions and the conclusion of a consultation: ClinicalImpressions whose supportingInfo names its ServiceRequest. */
export async function documentsOf(
  repo: Repository,
  serviceRequestId: string,
): Promise<{ opinions: ClinicalImpression[]; conclusion?: ClinicalImpression }> {
  const all = await findResources<ClinicalImpression>(
    repo,
    'ClinicalImpression',
    `supporting-info=ServiceRequest/${serviceRequestId}`,
    200,
  );
  const of = (code: string) => all.filter((ci) => ci.code?.coding?.some((c) => c.system === DOC_SYSTEM && c.code === code));
  return { opinions: of('opinion').sort((a, b) => (a.date ?? '').localeCompare(b.date ?? '')), conclusion: of('conclusion')[0] };
}

export const CHARGE_ID_SYSTEM = 'https://yiwang.cn/fhir/sid/consultation';

/** Charges of consultations: ChargeItems identified by the consultation's ServiceRequest id. */
export async function chargesOf(repo: Repository, serviceRequestIds: string[]): Promise<ChargeItem[]> {
  if (!serviceRequestIds.length) return [];
  return findResources<ChargeItem>(
    repo,
    'ChargeItem',
    `identifier=${serviceRequestIds.map((id) => `${CHARGE_ID_SYSTEM}|${id}`).join(',')}`,
    10_000,
  );
}

export class ConsultationService {
  readonly views: TaskViews;

  constructor(
    private readonly ctx: ModuleContext,
    readonly engine: WorkflowEngine,
  ) {
    this.views = new TaskViews(engine, ctx);
  }

  async create(repo: Repository, actor: Actor, input: ConsultationInput): Promise<{ serviceRequest: ServiceRequest; step: StepResult }> {
    const requesterOrganization = await checkRequest(repo, this.ctx.systemRepository(repo.tenant), actor, input);
    const at = this.ctx.clock.now().toISOString();
    const requester = actor.practitionerId ? `Practitioner/${actor.practitionerId}` : undefined;
    return this.engine.transaction(repo, async (tx) => {
      const serviceRequest = (
        await tx.create(buildServiceRequest(input, { requester, requesterDisplay: actor.display, requesterOrganization }, at))
      ).resource as ServiceRequest;
      const step = await this.engine.start(tx, actor, {
        workflow: WORKFLOW,
        focus: `ServiceRequest/${serviceRequest.id}`,
        for: input.patient,
        owner: input.to,
        requesterOrganization,
        description: input.question ? `${input.reason}；问题：${input.question}` : input.reason,
        priority: input.mode === 'instant' ? 'urgent' : 'routine',
      });
      return { serviceRequest, step };
    });
  }

  /** The consultation's ServiceRequest and Task as the caller sees them; 404 when not visible or not a consultation. */
  async taskOf(repo: Repository, serviceRequestId: string): Promise<{ sr: ServiceRequest; task: Task }> {
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(serviceRequestId)) throw notFound(`No consultation '${serviceRequestId}' (会诊申请不存在)`);
    const sr = (await repo.read('ServiceRequest', serviceRequestId)) as ServiceRequest;
    if (!kindOf(sr)) throw notFound(`ServiceRequest/${serviceRequestId} is not a consultation (不是会诊申请)`);
    const [found] = await findTasks(repo, {
      workflows: [WORKFLOW],
      focus: `ServiceRequest/${serviceRequestId}`,
      includeClosed: true,
      count: 1,
    });
    if (!found) throw notFound(`The consultation ServiceRequest/${serviceRequestId} has no workflow task (会诊任务不存在)`);
    return { sr, task: found.task };
  }

  /** Read for a party of the consultation only. */
  async open(repo: Repository, actor: Actor, id: string): Promise<{ sr: ServiceRequest; task: Task; party: Party }> {
    const { sr, task } = await this.taskOf(repo, id);
    return { sr, task, party: await requireParty(repo, actor, sr, task) };
  }

  async summaries(repo: Repository, actor: Actor, rows: { sr: ServiceRequest; task: Task }[]): Promise<ConsultationSummary[]> {
    const tasks = await this.views.summaries(
      repo,
      actor,
      rows.map((r) => r.task),
    );
    const refs = rows.flatMap(({ sr }) => [
      extensionOf(sr, EXT.requesterOrganization)?.valueReference?.reference,
      sr.performer?.[0]?.reference,
      ...participantsOf(sr).flatMap((p) => [p.practitioner, p.organization]),
    ]);
    const names = await readVisible(this.ctx.systemRepository(repo.tenant), [...new Set(refs.filter((x): x is string => !!x))]);
    const named = (ref: string | undefined) => namedRef(names, ref);
    return rows.map(({ sr }, i) => ({
      ...tasks[i],
      id: sr.id as string,
      kind: kindOf(sr) as Kind,
      mode: modeOf(sr),
      serviceRequest: sr,
      from: named(extensionOf(sr, EXT.requesterOrganization)?.valueReference?.reference),
      to: named(sr.performer?.[0]?.reference),
      reason: sr.reasonCode?.[0]?.text,
      specialties: (sr.orderDetail ?? []).map((d) => d.text ?? '').filter(Boolean),
      requestedTime: extensionOf(sr, EXT.requestedTime)?.valueDateTime,
      ...(participantsOf(sr).length && sr.occurrenceDateTime ? { scheduledTime: sr.occurrenceDateTime } : {}),
      createdAt: sr.authoredOn,
      participants: participantsOf(sr).map((p) => ({
        ...(named(p.practitioner) as Named),
        ...(p.organization ? { organization: named(p.organization) } : {}),
        role: p.role,
      })),
    }));
  }

  /**
   * Consultations the caller takes part in: `outgoing` asked by them or their institution, `incoming` addressed to
   * their centre, `expert` those they are invited to (while open: afterwards their access has ended); default all three.
   */
  async list(
    repo: Repository,
    actor: Actor,
    q: { view?: 'incoming' | 'outgoing' | 'expert'; state?: string; open?: boolean; count: number },
  ): Promise<ConsultationSummary[]> {
    const scope = await worklistScope(repo, actor);
    const mine = [...scope.subtree, ...(scope.me ? [scope.me] : [])];
    const base = { workflows: [WORKFLOW], ...(q.state ? { states: [q.state] } : {}), includeClosed: !q.open, count: q.count };
    const rows: Awaited<ReturnType<typeof findTasks>> = [];
    if (q.view !== 'expert') {
      rows.push(
        ...(await findTasks(repo, {
          ...base,
          ...(q.view === 'incoming' ? { owners: mine } : q.view === 'outgoing' ? { requesters: mine } : { owners: mine, requesters: mine }),
        })),
      );
    }
    if (scope.me && (q.view === 'expert' || !q.view)) {
      const teams = await findResources<CareTeam>(repo, 'CareTeam', `participant=${scope.me}&status=active`, q.count);
      const focuses = teams.flatMap((team) => {
        const id = team.identifier?.find((x) => x.system === CARE_TEAM_ID_SYSTEM)?.value;
        return id ? [`ServiceRequest/${id}`] : [];
      });
      if (focuses.length) rows.push(...(await findTasks(repo, { ...base, focuses })));
    }
    const unique = [...new Map(rows.map((r) => [r.row.task_id, r])).values()]
      .sort((a, b) => String(b.row.started_at).localeCompare(String(a.row.started_at)))
      .slice(0, q.count);
    const srs = await readVisible(
      repo,
      unique.map((r) => r.row.focus).filter((x): x is string => !!x),
    );
    const pairs = unique.flatMap((r) => {
      const sr = r.row.focus ? (srs.get(r.row.focus) as ServiceRequest | undefined) : undefined;
      return sr && kindOf(sr) ? [{ sr, task: r.task }] : [];
    });
    return this.summaries(repo, actor, pairs);
  }

  async detail(repo: Repository, actor: Actor, id: string) {
    const { sr, task, party } = await this.open(repo, actor, id);
    const [summary] = await this.summaries(repo, actor, [{ sr, task }]);
    const attachmentRefs = (sr.supportingInfo ?? []).map((s) => s.reference).filter((x): x is string => !!x);
    const visible = await readVisible(repo, attachmentRefs);
    const { opinions, conclusion } = await documentsOf(repo, id);
    const people = await readVisible(
      this.ctx.systemRepository(repo.tenant),
      [
        ...new Set(
          [...opinions, ...(conclusion ? [conclusion] : [])].flatMap((ci) => [
            ci.assessor?.reference,
            extensionOf(ci, EXT.enteredBy)?.valueReference?.reference,
          ]),
        ),
      ].filter((x): x is string => !!x),
    );
    const named = (ref: string | undefined): Named => namedRef(people, ref) ?? { reference: '' };
    const roles = new Map(participantsOf(sr).map((p) => [p.practitioner, p.role]));
    const view = (ci: ClinicalImpression): OpinionView => {
      const enteredBy = extensionOf(ci, EXT.enteredBy)?.valueReference?.reference;
      return {
        id: ci.id as string,
        practitioner: named(ci.assessor?.reference),
        ...(roles.get(ci.assessor?.reference ?? '') ? { role: roles.get(ci.assessor?.reference ?? '') } : {}),
        text: ci.summary ?? '',
        ...(ci.date ? { date: ci.date } : {}),
        ...(enteredBy ? { enteredBy: named(enteredBy) } : {}),
      };
    };
    const score = outputsOf(task, 'evaluation-score')[0]?.valueInteger;
    const comment = outputsOf(task, 'evaluation-comment')[0]?.valueString;
    const charges = await chargesOf(repo, [id]);
    const team = await careTeamOf(repo, id);
    return {
      ...summary,
      question: sr.note?.[0]?.text,
      me: party,
      history: await this.views.history(task.id as string, repo.tenant),
      attachments: attachmentRefs.map((reference) => ({ reference, resource: visible.get(reference) ?? null })),
      opinions: opinions.map(view),
      conclusion: conclusion ? { ...view(conclusion), recommendation: conclusion.note?.[0]?.text } : null,
      evaluation: score ? { score, ...(comment ? { comment } : {}), at: task.executionPeriod?.end } : null,
      charges: charges.map((c) => ({
        id: c.id as string,
        code: c.code?.coding?.[0]?.code,
        display: c.code?.text,
        quantity: c.quantity?.value ?? 1,
        amount: c.priceOverride?.value ?? 0,
        currency: c.priceOverride?.currency ?? 'CNY',
        priceVersion: c.definitionUri?.[0]?.split('|')[1],
      })),
      feesTotal: charges.reduce((sum, c) => sum + (c.priceOverride?.value ?? 0), 0),
      access: { open: team?.status === 'active', ...(team ? { careTeam: `CareTeam/${team.id}` } : {}) },
    };
  }
}
