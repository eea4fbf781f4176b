/**
 * The workflow (task) engine (docs/workflow.md): workflows are data (definition.ts); a running workflow is a FHIR Task
 * whose status/businessStatus carry the state, with a Provenance for every step. The engine enforces who may make which
 * transition from which state, computes due times, schedules escalations as durable jobs (keyed by task and state entry,
 * so a restart neither loses nor doubles one), and notifies the parties.
 *
 * Every step is one transaction: the Task write (If-Match on the version read: a concurrent step gets 409), its
 * Provenance, the engine's index row, the timed jobs and the stored notifications. Live push and outbound delivery of
 * the notifications follow the commit.
 */
import type { FastifyInstance } from 'fastify';
import type { Provenance, Task, TaskInput, TaskOutput } from '@medplum/fhirtypes';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import type { Notification, Notifier } from '../notify/notifier.js';
import type { Scheduler, ScheduledJob } from '../scheduler/scheduler.js';
import type { ModuleContext } from '../module.js';
import type { Repository } from '../fhir/repository.js';
import { badRequest, conflict, FhirError, forbidden, notFound } from '../fhir/outcomes.js';
import { organizationChain, SYSTEM_ACTOR, type Actor } from './actor.js';
import {
  canonicalOf,
  parseCanonical,
  timingMs,
  WorkflowRegistry,
  type Target,
  type TaskPriority,
  type TransitionDefinition,
  type WorkflowDefinition,
} from './definition.js';
import {
  businessStatus,
  ESCALATION_EXTENSION,
  escalationLevelOf,
  noteOf,
  provenanceFor,
  REQUESTER_ORGANIZATION_EXTENSION,
  requesterOrganizationOf,
  stateOf,
  withExtension,
  workflowCode,
} from './fhir.js';
import { insertRow, lockRow, logTransition, moveRow, setEscalationLevel } from './store.js';
import { resolveTargets, type TaskParties } from './targets.js';
import { registerWorkflowRoutes } from './routes.js';

export interface WorkflowEngineDeps {
  db: Database;
  clock: Clock;
  scheduler: Scheduler;
  notifier: Notifier;
  log?: (message: string, err?: unknown) => void;
}

export interface StartInput {
  /** Workflow id; the version in force at the clock's time is used. */
  workflow: string;
  /** What the task is about (e.g. 'ServiceRequest/x', 'Flag/y'). */
  focus?: string;
  /** The resident ('Patient/x'). */
  for: string;
  /** Who must act: 'Organization/x' (an institution's queue) or 'Practitioner/x'. */
  owner: string;
  /** Who asked: 'Practitioner/x' (default: the actor) or 'Organization/x'. */
  requester?: string;
  /** The institution the requester acted for (default: the actor's). */
  requesterOrganization?: string;
  description?: string;
  priority?: TaskPriority;
  input?: TaskInput[];
  basedOn?: string[];
  partOf?: string;
  /** An id chosen by the caller (e.g. inside a transaction that references the task). */
  id?: string;
}

export interface TransitionInput {
  reason?: string;
  note?: string;
  output?: TaskOutput[];
  /** New owner ('Organization/x' or 'Practitioner/x'), e.g. forwarding to a department. */
  owner?: string;
  /** The Task version the caller saw (If-Match); a different current version answers 409. */
  ifMatch?: string;
}

export interface StepResult {
  task: Task;
  provenance: Provenance;
  from?: string;
  to: string;
  notifications: Notification[];
}

/** Runs inside a transition's transaction, after the Task is written: modules add their own writes (e.g. a follow-up task). */
export type TransitionHook = (event: {
  repo: Repository;
  actor: Actor;
  task: Task;
  action: string;
  from: string;
  to: string;
  input: TransitionInput;
  definition: WorkflowDefinition;
}) => Promise<void>;

export interface DefineOptions {
  /** The web app's page for a task of this workflow (default /tasks/<id>). */
  link?: (task: Task) => string;
}

export interface AllowedAction {
  action: string;
  display: { zh: string; en: string };
  to: string;
  requires: string[];
}

const JOB_ESCALATE = 'workflow.escalate';
const JOB_DUE = 'workflow.due';
const jobPrefix = (taskId: string) => `wf:${taskId}:`;

const REF = /^(Organization|Practitioner|PractitionerRole|Patient)\/[A-Za-z0-9\-.]{1,64}$/;

export class WorkflowEngine {
  readonly registry = new WorkflowRegistry();
  private readonly hooks = new Map<string, TransitionHook[]>();
  private readonly links = new Map<string, (task: Task) => string>();

  constructor(readonly deps: WorkflowEngineDeps) {}

  async register(app: FastifyInstance, ctx: ModuleContext): Promise<void> {
    this.deps.scheduler.handle(JOB_ESCALATE, (job, jc) => this.escalate(jc.repository, job));
    this.deps.scheduler.handle(JOB_DUE, (job, jc) => this.remindDue(jc.repository, job));
    await registerWorkflowRoutes(app, ctx, this);
  }

  /** Registers a workflow version (validated: throws on an unsound definition). */
  define(def: WorkflowDefinition, options: DefineOptions = {}): WorkflowDefinition {
    this.registry.add(def);
    if (options.link) this.links.set(def.id, options.link);
    return def;
  }

  /** Code run inside every transition of a workflow, in its transaction. */
  onTransition(workflow: string, hook: TransitionHook): void {
    this.hooks.set(workflow, [...(this.hooks.get(workflow) ?? []), hook]);
  }

  /** The version a task runs under (the one it started with). */
  definitionOf(task: Task): WorkflowDefinition {
    const ref = parseCanonical(task.instantiatesCanonical);
    const def = ref && this.registry.get(ref.id, ref.version);
    if (!def)
      throw new FhirError(409, [
        {
          severity: 'error',
          code: 'not-supported',
          details: {
            text: `Task/${task.id} does not run a known workflow version (${task.instantiatesCanonical ?? 'none'}) — 未知的流程版本`,
          },
        },
      ]);
    return def;
  }

  linkFor(task: Task, def: WorkflowDefinition): string {
    return this.links.get(def.id)?.(task) ?? `/tasks/${task.id}`;
  }

  /** Starts a workflow: the Task, its first Provenance, its index row and timed jobs, all in `repo`'s transaction. */
  async start(repo: Repository, actor: Actor, input: StartInput): Promise<StepResult> {
    const now = this.deps.clock.now();
    const def = this.registry.inForce(input.workflow, now);
    if (!def) throw badRequest(`No version of workflow '${input.workflow}' is in force (流程未定义或未生效)`, 'workflow');
    const priority = input.priority ?? 'routine';
    if (!['routine', 'urgent', 'asap', 'stat'].includes(priority))
      throw badRequest(`Unknown priority '${priority}' (routine | urgent | asap | stat)`, 'priority');
    if (!/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(input.for)) throw badRequest("'for' must be 'Patient/<id>'", 'for');
    if (!REF.test(input.owner)) throw badRequest("'owner' must be 'Organization/<id>' or 'Practitioner/<id>'", 'owner');
    const requester = input.requester ?? (actor.practitionerId ? `Practitioner/${actor.practitionerId}` : undefined);
    const requesterOrganization =
      input.requesterOrganization ?? (actor.organizationId ? `Organization/${actor.organizationId}` : undefined);
    const state = def.states[def.initial];
    const at = now.toISOString();
    const due = state.due ? new Date(now.getTime() + timingMs(state.due, priority)).toISOString() : undefined;
    const task: Task = {
      resourceType: 'Task',
      ...(input.id ? { id: input.id } : {}),
      extension: [
        { url: ESCALATION_EXTENSION, valueInteger: 0 },
        ...(requesterOrganization ? [{ url: REQUESTER_ORGANIZATION_EXTENSION, valueReference: { reference: requesterOrganization } }] : []),
      ],
      instantiatesCanonical: canonicalOf(def),
      ...(input.basedOn?.length ? { basedOn: input.basedOn.map((reference) => ({ reference })) } : {}),
      ...(input.partOf ? { partOf: [{ reference: input.partOf }] } : {}),
      status: state.status,
      businessStatus: businessStatus(def.initial, state),
      intent: 'order',
      priority,
      code: workflowCode(def),
      ...(input.description ? { description: input.description } : {}),
      ...(input.focus ? { focus: { reference: input.focus } } : {}),
      for: { reference: input.for },
      executionPeriod: { start: at, ...(state.final ? { end: at } : {}) },
      authoredOn: at,
      lastModified: at,
      ...(requester ? { requester: { reference: requester } } : {}),
      owner: { reference: input.owner },
      ...(due ? { restriction: { period: { end: due } } } : {}),
      ...(input.input?.length ? { input: input.input } : {}),
    };
    const { result, notifications } = await this.inTransaction(repo, async (tx, outbox) => {
      const written = input.id ? ((await tx.update('Task', input.id, task)).resource as Task) : ((await tx.create(task)).resource as Task);
      const provenance = (
        await tx.create(provenanceFor({ task: written, actor, action: 'start', actionDisplay: `${def.title.zh}：发起 (start)`, at }))
      ).resource as Provenance;
      await insertRow(tx, {
        task_id: written.id as string,
        workflow: def.id,
        version: def.version,
        state: def.initial,
        entry: 0,
        entered_at: at,
        due_at: due ?? null,
        final: !!state.final,
        priority,
        owner: input.owner,
        requester: requester ?? null,
        requester_org: requesterOrganization ?? null,
        patient: input.for,
        focus: input.focus ?? null,
        escalation_level: 0,
        started_at: at,
      });
      await logTransition(tx, {
        taskId: written.id as string,
        workflow: def.id,
        action: 'start',
        from: null,
        to: def.initial,
        actor: actor.practitionerId ? `Practitioner/${actor.practitionerId}` : `user:${actor.userId}`,
        actorOrg: actor.organizationId,
        at,
      });
      await this.scheduleState(tx, written, def, def.initial, 0, now, priority);
      await this.notifyTargets(tx, outbox, written, def, state.notify ?? [], {
        title: `${def.title.zh}：${state.display.zh}`,
        body: input.description,
        dedupKey: `wf:${written.id}:0:enter`,
        exclude: actor,
      });
      return { task: written, provenance, to: def.initial };
    });
    return { ...result, notifications };
  }

  /** The transitions `actor` may make now on `task` (empty for a final state). */
  async allowedActions(q: Repository, actor: Actor, task: Task, chain?: string[]): Promise<AllowedAction[]> {
    const def = this.definitionOf(task);
    const state = stateOf(task);
    if (!state || def.states[state]?.final) return [];
    const actorChain = chain ?? (await organizationChain(q.db, q.tenant, actor.organizationId));
    return def.transitions
      .filter((t) => t.from.includes(state) && !this.refusal(t, actor, task, actorChain))
      .map((t) => ({ action: t.action, display: t.display, to: t.to, requires: t.requires ?? [] }));
  }

  /** Why `actor` may not make transition `t` on `task` (role, then institution), or undefined when they may. */
  private refusal(t: TransitionDefinition, actor: Actor, task: Task, actorChain: string[]): string | undefined {
    if (t.by.roles && !t.by.roles.some((r) => actor.roles.includes(r))) {
      return `Action '${t.action}' needs one of the roles ${t.by.roles.join(', ')} (您的角色不能执行“${t.display.zh}”)`;
    }
    const party = t.by.party ?? 'any';
    if (party === 'any') return undefined;
    const me = actor.practitionerId ? `Practitioner/${actor.practitionerId}` : undefined;
    const institution = party === 'owner' ? task.owner?.reference : requesterOrganizationOf(task);
    const person = party === 'owner' ? task.owner?.reference : task.requester?.reference;
    if (me && person === me) return undefined;
    if (institution?.startsWith('Organization/') && actorChain.includes(institution)) return undefined;
    return party === 'owner'
      ? `Only the receiving party (${task.owner?.reference ?? '?'}) or an institution below it may '${t.action}' (只有接收方机构可以“${t.display.zh}”)`
      : `Only the requesting party (${institution ?? task.requester?.reference ?? '?'}) may '${t.action}' (只有发起方可以“${t.display.zh}”)`;
  }

  /**
   * Makes a transition. Refusals: 404 task not visible to the caller, 400 unknown action or a required field missing,
   * 409 not allowed from the current state or the task changed meanwhile, 403 wrong role or institution.
   */
  async transition(
    repo: Repository,
    actor: Actor,
    taskId: string,
    action: string,
    input: TransitionInput = {},
    /** The actor's `organizationChain`, when the caller already has it (read here otherwise). */
    chain?: string[],
  ): Promise<StepResult> {
    // Visible to the caller? (The caller's repository compiles their access into the read: 404 otherwise.)
    const seen = (await repo.read('Task', taskId)) as Task;
    const def = this.definitionOf(seen);
    if (!def.transitions.some((t) => t.action === action)) {
      const known = [...new Set(def.transitions.map((t) => t.action))].join(', ');
      throw badRequest(`Unknown action '${action}' for workflow '${def.id}' (未知操作); actions: ${known}`, 'action');
    }
    const actorChain = chain ?? (await organizationChain(repo.db, repo.tenant, actor.organizationId));
    const { result, notifications } = await this.inTransaction(repo, async (tx, outbox) => {
      const row = await lockRow(tx, taskId);
      if (!row) throw notFound(`Task/${taskId} is not a workflow task (不是流程任务)`);
      const current = (await tx.read('Task', taskId)) as Task;
      const expected = input.ifMatch?.replace(/^W\//, '').replace(/"/g, '');
      if (expected !== undefined && expected !== current.meta?.versionId) {
        throw conflict(
          `Task/${taskId} changed meanwhile (now version ${current.meta?.versionId}, you saw ${expected}); reload and retry — 任务已被他人处理，请刷新`,
        );
      }
      const from = row.state;
      const t = def.transitions.find((x) => x.action === action && x.from.includes(from));
      if (!t) {
        const st = def.states[from];
        throw conflict(`Action '${action}' is not allowed in state '${from}' (当前状态“${st?.display.zh ?? from}”不能执行此操作)`);
      }
      const refused = this.refusal(t, actor, current, actorChain);
      if (refused) throw forbidden(refused);
      for (const field of t.requires ?? []) {
        const value = input[field];
        const missing = value === undefined || (typeof value === 'string' && !value.trim()) || (Array.isArray(value) && !value.length);
        if (missing)
          throw badRequest(`'${field}' is required for '${t.action}' (“${t.display.zh}”需要填写${FIELD_ZH[field] ?? field})`, field);
      }
      if (input.owner !== undefined) {
        // Handing a task to someone else is a rule of its own: only transitions that ask for a new owner may do it.
        if (!t.requires?.includes('owner'))
          throw badRequest(`'${t.action}' does not hand the task over: leave 'owner' out (此操作不能更改接收方)`, 'owner');
        if (!REF.test(input.owner)) throw badRequest("'owner' must be 'Organization/<id>' or 'Practitioner/<id>'", 'owner');
      }
      const now = this.deps.clock.now();
      const at = now.toISOString();
      const to = def.states[t.to];
      const priority = (current.priority ?? 'routine') as TaskPriority;
      const due = to.due ? new Date(now.getTime() + timingMs(to.due, priority)).toISOString() : undefined;
      const notes = [...(current.note ?? [])];
      if (input.note?.trim()) notes.push(noteOf(actor, input.note.trim(), at));
      if (input.reason?.trim()) notes.push(noteOf(actor, `${t.display.zh}原因 (reason): ${input.reason.trim()}`, at));
      const { restriction: _old, ...rest } = current;
      const next: Task = {
        ...rest,
        status: to.status,
        businessStatus: businessStatus(t.to, to),
        ...(to.status === 'rejected' || to.status === 'cancelled' || to.status === 'failed'
          ? { statusReason: { text: input.reason?.trim() || t.display.zh } }
          : {}),
        lastModified: at,
        extension: withExtension(current.extension, { url: ESCALATION_EXTENSION, valueInteger: 0 }),
        executionPeriod: { ...(current.executionPeriod ?? { start: at }), ...(to.final ? { end: at } : {}) },
        ...(input.owner ? { owner: { reference: input.owner } } : {}),
        ...(due ? { restriction: { period: { end: due } } } : {}),
        ...(notes.length ? { note: notes } : {}),
        ...(input.output?.length ? { output: [...(current.output ?? []), ...input.output] } : {}),
      };
      let written: Task;
      try {
        written = (await tx.update('Task', taskId, next, { ifMatch: current.meta?.versionId })).resource as Task;
      } catch (err) {
        if (err instanceof FhirError && err.status === 412)
          throw conflict(`Task/${taskId} changed meanwhile; reload and retry (任务已被他人处理，请刷新)`);
        throw err;
      }
      const provenance = (
        await tx.create(
          provenanceFor({
            task: written,
            actor,
            action,
            actionDisplay: `${t.display.zh} (${t.display.en})`,
            at,
            reason: input.reason?.trim() || undefined,
          }),
        )
      ).resource as Provenance;
      const entry = row.entry + 1;
      await moveRow(tx, taskId, {
        state: t.to,
        entry,
        enteredAt: at,
        dueAt: due ?? null,
        final: !!to.final,
        owner: written.owner?.reference ?? null,
      });
      await logTransition(tx, {
        taskId,
        workflow: def.id,
        action,
        from,
        to: t.to,
        actor: actor.practitionerId ? `Practitioner/${actor.practitionerId}` : `user:${actor.userId}`,
        actorOrg: actor.organizationId,
        reason: input.reason?.trim() || undefined,
        at,
      });
      await this.deps.scheduler.cancel(tx.tenant, jobPrefix(taskId), tx.db);
      await this.scheduleState(tx, written, def, t.to, entry, now, priority);
      await this.notifyTargets(tx, outbox, written, def, [...(t.notify ?? []), ...(to.notify ?? [])], {
        title: `${def.title.zh}：${t.display.zh}`,
        body: input.reason?.trim() ? `原因 (reason)：${input.reason.trim()}` : (written.description ?? ''),
        dedupKey: `wf:${taskId}:${entry}:enter`,
        exclude: actor,
      });
      for (const hook of this.hooks.get(def.id) ?? [])
        await hook({ repo: tx, actor, task: written, action, from, to: t.to, input, definition: def });
      return { task: written, provenance, from, to: t.to };
    });
    return { ...result, notifications };
  }

  /** Timed jobs of a state entry: its due reminder and each escalation level (keys make scheduling idempotent). */
  private async scheduleState(
    tx: Repository,
    task: Task,
    def: WorkflowDefinition,
    state: string,
    entry: number,
    from: Date,
    priority: TaskPriority,
  ): Promise<void> {
    const s = def.states[state];
    if (s.final) return;
    const base = { taskId: task.id, entry };
    if (s.due) {
      await this.deps.scheduler.schedule(
        {
          tenant: tx.tenant,
          key: `${jobPrefix(task.id as string)}${entry}:due`,
          kind: JOB_DUE,
          runAt: new Date(from.getTime() + timingMs(s.due, priority)),
          payload: base,
        },
        tx.db,
      );
    }
    for (const [i, level] of (s.escalation ?? []).entries()) {
      await this.deps.scheduler.schedule(
        {
          tenant: tx.tenant,
          key: `${jobPrefix(task.id as string)}${entry}:esc:${i + 1}`,
          kind: JOB_ESCALATE,
          runAt: new Date(from.getTime() + timingMs(level.after, priority)),
          payload: { ...base, level: i + 1 },
        },
        tx.db,
      );
    }
  }

  /** Escalation job: only if the task is still in the state entry that scheduled it and below this level. */
  private async escalate(repo: Repository, job: ScheduledJob): Promise<void> {
    const { taskId, entry, level } = job.payload as { taskId: string; entry: number; level: number };
    const { notifications } = await this.inTransaction(repo, async (tx, outbox) => {
      const row = await lockRow(tx, taskId);
      if (!row || row.final || row.entry !== entry || row.escalation_level >= level) return undefined;
      const current = (await tx.read('Task', taskId)) as Task;
      const def = this.definitionOf(current);
      const state = def.states[row.state];
      const step = state.escalation?.[level - 1];
      if (!step) return undefined;
      const at = this.deps.clock.now().toISOString();
      const written = (
        await tx.update(
          'Task',
          taskId,
          { ...current, lastModified: at, extension: withExtension(current.extension, { url: ESCALATION_EXTENSION, valueInteger: level }) },
          { ifMatch: current.meta?.versionId },
        )
      ).resource as Task;
      const reason = `超时未处理，升级至第 ${level} 级 (not handled in time: escalation level ${level})`;
      await tx.create(
        provenanceFor({ task: written, actor: SYSTEM_ACTOR, action: 'escalate', actionDisplay: '超时升级 (escalate)', at, reason }),
      );
      await setEscalationLevel(tx, taskId, level);
      await logTransition(tx, {
        taskId,
        workflow: def.id,
        action: 'escalate',
        from: row.state,
        to: row.state,
        actor: 'system',
        reason,
        at,
      });
      await this.notifyTargets(tx, outbox, written, def, [step.to], {
        title: `【升级 Escalation ${level}】${def.title.zh}：${state.display.zh}，已超时`,
        body: written.description ?? '',
        dedupKey: `wf:${taskId}:${entry}:esc:${level}`,
        priority: 'urgent',
        category: 'escalation',
      });
      // The next level, if any (already scheduled at state entry; the key makes this a no-op then).
      const nextLevel = state.escalation?.[level];
      if (nextLevel) {
        await this.deps.scheduler.schedule(
          {
            tenant: tx.tenant,
            key: `${jobPrefix(taskId)}${entry}:esc:${level + 1}`,
            kind: JOB_ESCALATE,
            runAt: new Date(new Date(row.entered_at).getTime() + timingMs(nextLevel.after, row.priority as TaskPriority)),
            payload: { taskId, entry, level: level + 1 },
          },
          tx.db,
        );
      }
      return written;
    });
    void notifications;
  }

  /** Due-time reminder to the owner when the task is still waiting in the same state entry. */
  private async remindDue(repo: Repository, job: ScheduledJob): Promise<void> {
    const { taskId, entry } = job.payload as { taskId: string; entry: number };
    await this.inTransaction(repo, async (tx, outbox) => {
      const row = await lockRow(tx, taskId);
      if (!row || row.final || row.entry !== entry) return;
      const task = (await tx.read('Task', taskId)) as Task;
      const def = this.definitionOf(task);
      await this.notifyTargets(tx, outbox, task, def, [{ party: 'owner' }], {
        title: `【已超时 Overdue】${def.title.zh}：${def.states[row.state].display.zh}`,
        body: task.description ?? '',
        dedupKey: `wf:${taskId}:${entry}:due`,
      });
    });
  }

  private async notifyTargets(
    tx: Repository,
    outbox: Notification[],
    task: Task,
    def: WorkflowDefinition,
    targets: readonly Target[],
    message: { title: string; body?: string; dedupKey: string; exclude?: Actor; priority?: Notification['priority']; category?: string },
  ): Promise<void> {
    if (!targets.length) return;
    const parties: TaskParties = {
      tenant: tx.tenant,
      owner: task.owner?.reference,
      requester: task.requester?.reference,
      requesterOrganization: requesterOrganizationOf(task),
    };
    const skip = message.exclude?.practitionerId ? `Practitioner/${message.exclude.practitionerId}` : undefined;
    for (const recipient of await resolveTargets(tx.db, targets, parties)) {
      if (recipient === skip) continue;
      const taskPriority = task.priority === 'routine' || !task.priority ? 'routine' : task.priority;
      outbox.push(
        await this.deps.notifier.send(
          {
            tenant: tx.tenant,
            recipient,
            category: message.category ?? def.category ?? 'task',
            priority: message.priority ?? taskPriority,
            title: message.title,
            body: message.body ?? '',
            link: this.linkFor(task, def),
            focus: `Task/${task.id}`,
            patient: task.for?.reference,
            dedupKey: `${message.dedupKey}:${recipient}`,
          },
          tx.db,
        ),
      );
    }
  }

  /**
   * Runs `fn` in one transaction whose engine steps (start, transition) send their notifications only after the commit:
   * modules that write their own resources together with a workflow step use it (e.g. a ServiceRequest and its Task).
   */
  async transaction<T>(repo: Repository, fn: (tx: Repository) => Promise<T>): Promise<T> {
    return (await this.inTransaction(repo, (tx) => fn(tx))).result;
  }

  /** Outboxes of the transactions the engine opened, by their connection: nested steps add to the outermost one. */
  private readonly outboxes = new WeakMap<object, Notification[]>();

  /**
   * Runs `fn` in one transaction of `repo` and, after the commit, pushes and sends the notifications it stored. Inside
   * a transaction the engine opened (`transaction`, or a hook of a transition), the outermost one sends them. Inside
   * some other caller's transaction they stay stored (the inbox has them) but are not pushed: use `transaction`.
   */
  private async inTransaction<T>(
    repo: Repository,
    fn: (tx: Repository, outbox: Notification[]) => Promise<T>,
  ): Promise<{ result: T; notifications: Notification[] }> {
    const mine: Notification[] = [];
    const enclosing = this.outboxes.get(repo.db);
    if (enclosing || !('transaction' in repo.db)) {
      const result = await repo.withTransaction((tx) => fn(tx, mine));
      enclosing?.push(...mine);
      if (!enclosing && mine.length)
        this.deps.log?.(
          `${mine.length} workflow notification(s) stored inside a foreign transaction: not pushed live (use WorkflowEngine.transaction)`,
        );
      return { result, notifications: mine };
    }
    const all: Notification[] = [];
    const result = await repo.withTransaction((tx) => {
      this.outboxes.set(tx.db, all);
      return fn(tx, mine);
    });
    for (const n of [...mine, ...all]) {
      await this.deps.notifier.dispatch(n).catch((err: unknown) => this.deps.log?.(`notification ${n.id} dispatch failed`, err));
    }
    return { result, notifications: [...mine, ...all] };
  }

  /** Due time of a task in force now (restriction.period.end), and whether it has passed. */
  overdue(task: Task, now: Date = this.deps.clock.now()): boolean {
    const due = task.restriction?.period?.end;
    if (!due) return false;
    const state = stateOf(task);
    const final = state ? this.definitionOf(task).states[state]?.final : true;
    return !final && Date.parse(due) < now.getTime();
  }

  escalationLevel(task: Task): number {
    return escalationLevelOf(task);
  }
}

const FIELD_ZH: Record<string, string> = { reason: '原因', note: '备注', output: '结果', owner: '接收方' };
