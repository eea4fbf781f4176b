/**
 * Referrals: create (ServiceRequest + workflow Task in one transaction), list, read with history and attachments, act.
 * Every read and write goes through the caller's repository; the workflow engine enforces who may do what.
 */
import type { ServiceRequest, Task } from '@medplum/fhirtypes';
import { namedRef } from '../../platform/fhir/lookup.js';
import { badRequest, notFound } from '../../platform/fhir/outcomes.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { ModuleContext } from '../../platform/module.js';
import type { Actor } from '../../platform/workflow/actor.js';
import type { StepResult, TransitionInput, WorkflowEngine } from '../../platform/workflow/engine.js';
import { readVisible, TaskViews, type TaskSummary } from '../../platform/workflow/routes.js';
import { findTasks, worklistScope } from '../../platform/workflow/worklist.js';
import { checkReferral } from './validate.js';
import {
  buildServiceRequest,
  directionOf,
  EXT,
  extensionValue,
  FOLLOW_UP_WORKFLOW,
  REFERRAL_WORKFLOWS,
  WORKFLOW_OF,
  type Direction,
  type ReferralInput,
} from './model.js';

export interface ReferralSummary extends TaskSummary {
  id: string;
  direction: Direction;
  serviceRequest: ServiceRequest;
  from?: { reference: string; display?: string };
  to?: { reference: string; display?: string };
  department?: { reference: string; display?: string };
  urgency: string;
  reason?: string;
  diagnosis: { code?: string; display?: string }[];
  createdAt?: string;
}

export class ReferralService {
  readonly views: TaskViews;

  constructor(
    private readonly ctx: ModuleContext,
    private readonly engine: WorkflowEngine,
  ) {
    this.views = new TaskViews(engine, ctx);
  }

  /** Creates the ServiceRequest and starts the direction's workflow on it, in one transaction. */
  async create(repo: Repository, actor: Actor, input: ReferralInput): Promise<{ serviceRequest: ServiceRequest; step: StepResult }> {
    const system = this.ctx.systemRepository(repo.tenant);
    const { requesterOrganization } = await checkReferral(repo, system, actor, input);
    const at = this.ctx.clock.now().toISOString();
    const requester = actor.practitionerId ? `Practitioner/${actor.practitionerId}` : undefined;
    // One transaction for both; the engine sends the notifications after the commit.
    return this.engine.transaction(repo, async (tx) => {
      const serviceRequest = (
        await tx.create(buildServiceRequest(input, { requester, requesterDisplay: actor.display, requesterOrganization }, at))
      ).resource as ServiceRequest;
      const step = await this.engine.start(tx, actor, {
        workflow: WORKFLOW_OF[input.direction],
        focus: `ServiceRequest/${serviceRequest.id}`,
        for: input.patient,
        owner: input.to,
        requesterOrganization,
        description: `${input.reason}；诊断：${input.diagnosis.map((d) => `${d.display} (${d.code})`).join('，')}`,
        priority: input.urgency,
      });
      return { serviceRequest, step };
    });
  }

  /** The referral's Task (the workflow instance whose focus is the ServiceRequest); 404 when not visible. */
  async taskOf(repo: Repository, serviceRequestId: string): Promise<{ sr: ServiceRequest; task: Task }> {
    const sr = (await repo.read('ServiceRequest', serviceRequestId)) as ServiceRequest;
    if (!directionOf(sr)) throw notFound(`ServiceRequest/${serviceRequestId} is not a referral (不是转诊单)`);
    const [found] = await findTasks(repo, {
      workflows: REFERRAL_WORKFLOWS,
      focus: `ServiceRequest/${serviceRequestId}`,
      includeClosed: true,
      count: 1,
    });
    if (!found) throw notFound(`The referral ServiceRequest/${serviceRequestId} has no workflow task (转诊任务不存在)`);
    return { sr, task: found.task };
  }

  async summaries(repo: Repository, actor: Actor, rows: { sr: ServiceRequest; task: Task }[]): Promise<ReferralSummary[]> {
    const tasks = await this.views.summaries(
      repo,
      actor,
      rows.map((r) => r.task),
    );
    const orgRefs = rows.flatMap(({ sr }) => [
      extensionValue(sr, EXT.requesterOrganization)?.valueReference?.reference,
      ...(sr.performer ?? []).map((p) => p.reference),
    ]);
    const orgs = await readVisible(this.ctx.systemRepository(repo.tenant), [
      ...new Set(orgRefs.filter((x): x is string => !!x && x.startsWith('Organization/'))),
    ]);
    return rows.map(({ sr }, i) => ({
      ...tasks[i],
      id: sr.id as string,
      direction: directionOf(sr) as Direction,
      serviceRequest: sr,
      from: namedRef(orgs, extensionValue(sr, EXT.requesterOrganization)?.valueReference?.reference),
      to: namedRef(orgs, sr.performer?.[0]?.reference),
      ...(sr.performer?.[1] ? { department: namedRef(orgs, sr.performer[1].reference) } : {}),
      urgency: sr.priority ?? 'routine',
      reason: extensionValue(sr, EXT.reason)?.valueString,
      diagnosis: (sr.reasonCode ?? []).map((c) => ({ code: c.coding?.[0]?.code, display: c.coding?.[0]?.display ?? c.text })),
      createdAt: sr.authoredOn,
    }));
  }

  async list(
    repo: Repository,
    actor: Actor,
    q: { direction?: Direction; view?: 'incoming' | 'outgoing'; state?: string; open?: boolean; count?: number },
  ): Promise<ReferralSummary[]> {
    const scope = await worklistScope(repo, actor);
    const subtree = scope.subtree;
    const people = scope.me ? [scope.me] : [];
    const rows = await findTasks(repo, {
      workflows: q.direction ? [WORKFLOW_OF[q.direction]] : REFERRAL_WORKFLOWS,
      ...(q.view === 'incoming' ? { owners: [...subtree, ...people] } : {}),
      ...(q.view === 'outgoing' ? { requesters: [...subtree, ...people] } : {}),
      ...(q.state ? { states: [q.state] } : {}),
      includeClosed: !q.open,
      count: q.count ?? 50,
    });
    const srs = await readVisible(
      repo,
      rows.map((r) => r.row.focus).filter((x): x is string => !!x),
    );
    const pairs = rows.flatMap((r) => {
      const sr = r.row.focus ? (srs.get(r.row.focus) as ServiceRequest | undefined) : undefined;
      return sr ? [{ sr, task: r.task }] : [];
    });
    return this.summaries(repo, actor, pairs);
  }

  async detail(repo: Repository, actor: Actor, id: string) {
    const { sr, task } = await this.taskOf(repo, id);
    const [summary] = await this.summaries(repo, actor, [{ sr, task }]);
    const refs = (sr.supportingInfo ?? []).map((s) => s.reference).filter((x): x is string => !!x);
    const visible = await readVisible(repo, refs);
    const followUps = await findTasks(repo, {
      workflows: [FOLLOW_UP_WORKFLOW],
      focus: `ServiceRequest/${id}`,
      includeClosed: true,
      count: 10,
    });
    return {
      ...summary,
      history: await this.views.history(task.id as string, repo.tenant),
      attachments: refs.map((reference) => ({ reference, resource: visible.get(reference) ?? null })),
      followUpTasks: await this.views.summaries(
        repo,
        actor,
        followUps.map((f) => f.task),
      ),
    };
  }

  async act(repo: Repository, actor: Actor, id: string, action: string, input: TransitionInput): Promise<StepResult> {
    if (!/^[a-z][a-z-]{0,40}$/.test(action)) throw badRequest(`Unknown action '${action}' (未知操作)`, 'action');
    const { task } = await this.taskOf(repo, id);
    return this.engine.transition(repo, actor, task.id as string, action, input);
  }
}

/**
 * On a down-referral's acceptance, the township's follow-up task: same transaction, owned by the accepting
 * institution, asked for by the county doctor who referred down, described by the follow-up plan.
 */
export function registerFollowUp(engine: WorkflowEngine): void {
  engine.onTransition(WORKFLOW_OF.down, async ({ repo, actor, task, action }) => {
    if (action !== 'accept') return;
    const srRef = task.focus?.reference as string;
    const sr = (await repo.read('ServiceRequest', srRef.slice('ServiceRequest/'.length))) as ServiceRequest;
    const plan = extensionValue(sr, EXT.followUpPlan)?.valueString ?? '按下转随访计划随访 (follow up per plan)';
    await engine.start(repo, actor, {
      workflow: FOLLOW_UP_WORKFLOW,
      focus: srRef,
      for: task.for?.reference as string,
      owner: task.owner?.reference as string,
      requester: task.requester?.reference,
      requesterOrganization: task.extension?.find((e) => e.url.endsWith('task-requester-organization'))?.valueReference?.reference,
      description: plan,
      priority: task.priority === 'urgent' ? 'urgent' : 'routine',
      partOf: `Task/${task.id}`,
    });
  });
}
