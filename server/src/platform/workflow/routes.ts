/**
 * Tasks over HTTP (docs/workflow.md). Every route needs a token (global guard); every read and write goes through the
 * caller's repository, so access is compiled into the query, and every access to residents' tasks is audited.
 *
 *   GET  /api/workflows                         definitions in force (states, transitions, due times)
 *   GET  /api/tasks?view=&workflow=&state=&patient=&count=
 *                                               { items: [...], counts: { mine, institution, overdue, requested } }
 *   GET  /api/tasks/:id                         task, workflow, state, due, overdue, escalation level, history, allowed actions
 *   POST /api/tasks/:id/transition              { action, reason?, note?, owner?, output? } (If-Match: the version seen)
 *
 * Errors are FHIR OperationOutcomes with the HTTP status that fits (400 bad input, 403, 404, 409).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Patient, Provenance, Resource, Task, TaskOutput } from '@medplum/fhirtypes';
import { principalOf } from '../auth/guard.js';
import { sendOutcome, toFhirError } from '../fhir/http.js';
import { refParts } from '../fhir/lookup.js';
import { badRequest } from '../fhir/outcomes.js';
import { getTableModel, type TableModel } from '../fhir/schema.js';
import { SqlParams } from '../fhir/sql.js';
import type { ModuleContext } from '../module.js';
import type { Repository } from '../fhir/repository.js';
import { actorOf, organizationChain, type Actor } from './actor.js';
import type { AllowedAction, TransitionInput, WorkflowEngine } from './engine.js';
import { ESCALATION_EXTENSION, stateOf } from './fhir.js';
import { countTasks, listTasks, WORKLIST_VIEWS, worklistScope, type WorklistView } from './worklist.js';

export interface TaskSummary {
  task: Task;
  workflow: { id: string; version: string; title: { zh: string; en: string } };
  state: { code: string; display: { zh: string; en: string }; final: boolean };
  focus?: { reference: string; summary: string };
  patient?: { reference: string; display: string };
  due?: string;
  overdue: boolean;
  escalationLevel: number;
  allowedActions: AllowedAction[];
}

export interface HistoryEntry {
  at: string;
  action: string;
  display: string;
  who?: string;
  whoDisplay?: string;
  onBehalfOf?: string;
  reason?: string;
  taskVersion?: string;
  provenance: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

export function patientDisplay(p: Patient | undefined): string {
  const name = p?.name?.[0];
  if (!name) return p?.id ? `Patient/${p.id}` : '';
  return name.text ?? `${name.family ?? ''}${(name.given ?? []).join('')}`;
}

function summaryOf(r: Resource | undefined): string {
  if (!r) return '';
  const x = r as { code?: { text?: string; coding?: { display?: string }[] }; description?: string };
  return x.code?.text ?? x.code?.coding?.[0]?.display ?? x.description ?? r.resourceType;
}

/** Reads resources by reference through the caller's repository, one query per type (invisible ones are simply absent). */
export async function readVisible(repo: Repository, refs: string[]): Promise<Map<string, Resource>> {
  const byType = new Map<string, { model: TableModel; ids: Set<string> }>();
  for (const ref of refs) {
    const parts = refParts(ref);
    const model = parts && getTableModel(parts.type);
    if (!parts || !model) continue;
    if (!byType.has(parts.type)) byType.set(parts.type, { model, ids: new Set() });
    byType.get(parts.type)?.ids.add(parts.id);
  }
  const out = new Map<string, Resource>();
  for (const [type, { model, ids }] of byType) {
    const params = new SqlParams([repo.tenant, [...ids]]);
    const access = repo.access.readCondition(type, 'r', params);
    const rows = await repo.query<{ id: string; content: string }>(
      `SELECT r.id, r.content FROM ${model.table} r WHERE r.tenant = $1 AND r.id = ANY($2::text[]) AND NOT r.deleted${access ? ` AND (${access})` : ''}`,
      params.values,
    );
    for (const row of rows) out.set(`${type}/${row.id}`, JSON.parse(row.content) as Resource);
  }
  return out;
}

export class TaskViews {
  constructor(
    private readonly engine: WorkflowEngine,
    private readonly ctx: ModuleContext,
  ) {}

  /** `actorChain`: the actor's `organizationChain`, when the caller already has it (read here otherwise). */
  async summaries(repo: Repository, actor: Actor, tasks: Task[], actorChain?: string[]): Promise<TaskSummary[]> {
    const chain = actorChain ?? (await organizationChain(repo.db, repo.tenant, actor.organizationId));
    const related = await readVisible(repo, [
      ...new Set(tasks.flatMap((t) => [t.focus?.reference, t.for?.reference].filter((x): x is string => !!x))),
    ]);
    const now = this.ctx.clock.now();
    const out: TaskSummary[] = [];
    for (const task of tasks) {
      const def = this.engine.definitionOf(task);
      const code = stateOf(task) ?? def.initial;
      const s = def.states[code];
      const focus = task.focus?.reference;
      const patient = task.for?.reference;
      out.push({
        task,
        workflow: { id: def.id, version: def.version, title: def.title },
        state: { code, display: s?.display ?? { zh: code, en: code }, final: !!s?.final },
        ...(focus ? { focus: { reference: focus, summary: summaryOf(related.get(focus)) } } : {}),
        ...(patient ? { patient: { reference: patient, display: patientDisplay(related.get(patient) as Patient | undefined) } } : {}),
        ...(task.restriction?.period?.end ? { due: task.restriction.period.end } : {}),
        overdue: this.engine.overdue(task, now),
        escalationLevel: task.extension?.find((e) => e.url === ESCALATION_EXTENSION)?.valueInteger ?? 0,
        allowedActions: await this.engine.allowedActions(repo, actor, task, chain),
      });
    }
    return out;
  }

  /** The Provenance chain of a task, oldest first (read with platform rights once the caller may see the task). */
  async history(taskId: string, tenant: string): Promise<HistoryEntry[]> {
    const system = this.ctx.systemRepository(tenant);
    const rows = await system.query<{ content: string }>(
      `SELECT content FROM "Provenance" WHERE tenant = $1 AND NOT deleted AND p_target && $2::text[]`,
      [tenant, [`Task/${taskId}`]],
    );
    return rows
      .map((r) => JSON.parse(r.content) as Provenance)
      .sort((a, b) => (a.recorded ?? '').localeCompare(b.recorded ?? '') || versionOf(a) - versionOf(b))
      .map((p) => {
        const agent = p.agent?.[0];
        const coding = p.activity?.coding?.[0];
        return {
          at: p.recorded as string,
          action: coding?.code ?? '',
          display: coding?.display ?? '',
          ...(agent?.who?.reference ? { who: agent.who.reference } : {}),
          ...(agent?.who?.display ? { whoDisplay: agent.who.display } : {}),
          ...(agent?.onBehalfOf?.reference ? { onBehalfOf: agent.onBehalfOf.reference } : {}),
          ...(p.reason?.[0]?.text ? { reason: p.reason[0].text } : {}),
          ...(p.target?.[0]?.reference ? { taskVersion: /_history\/(\d+)$/.exec(p.target[0].reference)?.[1] } : {}),
          provenance: `Provenance/${p.id}`,
        };
      });
  }

  async detail(repo: Repository, actor: Actor, task: Task, actorChain?: string[]) {
    const [summary] = await this.summaries(repo, actor, [task], actorChain);
    return { ...summary, history: await this.history(task.id as string, repo.tenant) };
  }
}

function versionOf(p: Provenance): number {
  return Number(/_history\/(\d+)$/.exec(p.target?.[0]?.reference ?? '')?.[1] ?? 0);
}

/** Parses a transition request body; throws 400 naming the field. */
export function transitionInputOf(body: unknown, ifMatch?: string): { action?: string; input: TransitionInput } {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || Array.isArray(b)) throw badRequest('The body must be a JSON object');
  for (const f of ['action', 'reason', 'note', 'owner'] as const) {
    if (b[f] !== undefined && typeof b[f] !== 'string') throw badRequest(`'${f}' must be text`, f);
  }
  if (b.output !== undefined && !Array.isArray(b.output)) throw badRequest("'output' must be a list of Task.output elements", 'output');
  return {
    action: str(b.action),
    input: {
      reason: str(b.reason),
      note: str(b.note),
      owner: str(b.owner),
      ...(b.output ? { output: b.output as TaskOutput[] } : {}),
      ...(ifMatch ? { ifMatch } : {}),
    },
  };
}

export const ifMatchOf = (request: FastifyRequest): string | undefined => {
  const v = request.headers['if-match'];
  return typeof v === 'string' && v ? v : undefined;
};

export async function registerWorkflowRoutes(app: FastifyInstance, ctx: ModuleContext, engine: WorkflowEngine): Promise<void> {
  const views = new TaskViews(engine, ctx);
  await app.register(async (scope) => {
    scope.setErrorHandler((err, request, reply: FastifyReply) => sendOutcome(reply, toFhirError(err, request)));

    scope.get('/api/workflows', async () => ({
      items: engine.registry.allInForce(ctx.clock.now()),
    }));

    scope.get('/api/tasks', async (request) => {
      const q = request.query as Record<string, unknown>;
      const view = (str(q.view) ?? 'mine') as WorklistView;
      if (!WORKLIST_VIEWS.includes(view)) throw badRequest(`'view' must be one of ${WORKLIST_VIEWS.join(', ')}`, 'view');
      const count = q.count === undefined ? 50 : Number(q.count);
      if (!Number.isInteger(count) || count < 1 || count > 200) throw badRequest("'count' must be 1–200", 'count');
      const patient = str(q.patient);
      if (patient && !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient)) throw badRequest("'patient' must be 'Patient/<id>'", 'patient');
      const repo = await ctx.repositoryFor(request);
      const actor = actorOf(principalOf(request));
      const scopeRefs = await worklistScope(repo, actor);
      const now = ctx.clock.now();
      const filter = { workflow: str(q.workflow), state: str(q.state), patient, count };
      const rows = await listTasks(repo, scopeRefs, view, filter, now);
      const items = await views.summaries(
        repo,
        actor,
        rows.map((r) => r.task),
      );
      if (items.length) {
        ctx.auditAccess(request, {
          action: 'read',
          resources: items.map((i) => `Task/${i.task.id}`),
          patients: [...new Set(items.map((i) => i.task.for?.reference).filter((x): x is string => !!x))],
          detail: `worklist ${view}`,
        });
      }
      return { items, counts: await countTasks(repo, scopeRefs, now, { workflow: filter.workflow }) };
    });

    scope.get('/api/tasks/:id', async (request) => {
      const { id } = request.params as { id: string };
      const repo = await ctx.repositoryFor(request);
      const task = (await repo.read('Task', id)) as Task;
      ctx.auditAccess(request, { action: 'read', resources: [`Task/${id}`], patients: task.for?.reference ? [task.for.reference] : [] });
      return views.detail(repo, actorOf(principalOf(request)), task);
    });

    scope.post('/api/tasks/:id/transition', async (request) => {
      const { id } = request.params as { id: string };
      const { action, input } = transitionInputOf(request.body, ifMatchOf(request));
      if (!action) throw badRequest("'action' is required (操作不能为空)", 'action');
      const repo = await ctx.repositoryFor(request);
      const actor = actorOf(principalOf(request));
      // The actor's institutions once for the rules of the step and the actions offered after it.
      const chain = await organizationChain(repo.db, repo.tenant, actor.organizationId);
      const result = await engine.transition(repo, actor, id, action, input, chain);
      ctx.auditAccess(request, {
        action: 'update',
        resources: [`Task/${id}`, `Provenance/${result.provenance.id}`],
        patients: result.task.for?.reference ? [result.task.for.reference] : [],
        detail: `workflow ${action}: ${result.from} → ${result.to}`,
      });
      return views.detail(repo, actor, result.task, chain);
    });
  });
}
