/**
 * Worklists (我的待办 / 本机构 / 超时 / 我发起的): open tasks from the engine's index joined with the Task rows under the
 * caller's access condition, so a user only ever lists tasks of residents in their scope.
 */
import type { Task } from '@medplum/fhirtypes';
import type { Repository } from '../fhir/repository.js';
import { SqlParams } from '../fhir/sql.js';
import { resolveScope } from '../access/filter.js';
import type { Actor } from './actor.js';
import { ROW_COLUMNS, type WorkflowTaskRow } from './store.js';

export type WorklistView = 'mine' | 'institution' | 'overdue' | 'requested';
export const WORKLIST_VIEWS: readonly WorklistView[] = ['mine', 'institution', 'overdue', 'requested'];

export interface WorklistFilter {
  workflow?: string;
  state?: string;
  patient?: string;
  count?: number;
}

export interface WorklistScope {
  me?: string;
  organization?: string;
  /** The caller's institution and every one below it. */
  subtree: string[];
}

export async function worklistScope(repo: Repository, actor: Actor): Promise<WorklistScope> {
  const scope = await resolveScope(repo.db, { tenant: repo.tenant, roles: actor.roles, organizationId: actor.organizationId });
  return {
    me: actor.practitionerId ? `Practitioner/${actor.practitionerId}` : undefined,
    organization: actor.organizationId ? `Organization/${actor.organizationId}` : undefined,
    subtree: scope.organizationRefs,
  };
}

/** SQL on `w` (workflow_task) for a view; without an institution, "institution" and "overdue" cover every visible task. */
function viewCondition(view: WorklistView, scope: WorklistScope, params: SqlParams, now: string): string {
  // Parameters are added only when used: an unused one has no type PostgreSQL could infer.
  const mine = () => `w.owner = ANY(${params.add([scope.me, scope.organization].filter(Boolean))}::text[])`;
  const institution = () => (scope.organization ? `w.owner = ANY(${params.add(scope.subtree)}::text[])` : 'true');
  const requested = () =>
    `(w.requester = ANY(${params.add([scope.me].filter(Boolean))}::text[])${
      scope.organization ? ` OR w.requester_org = ANY(${params.add(scope.subtree)}::text[])` : ''
    })`;
  switch (view) {
    case 'mine':
      return mine();
    case 'institution':
      return institution();
    case 'requested':
      return requested();
    case 'overdue':
      return `w.due_at < ${params.add(now)}::timestamptz AND (${institution()} OR ${requested()})`;
  }
}

export interface WorklistRow extends WorkflowTaskRow {
  content: string;
}

export async function listTasks(
  repo: Repository,
  scope: WorklistScope,
  view: WorklistView,
  filter: WorklistFilter,
  now: Date,
): Promise<{ task: Task; row: WorkflowTaskRow }[]> {
  const params = new SqlParams([repo.tenant]);
  const conditions = ['w.tenant = $1', 'NOT w.final', viewCondition(view, scope, params, now.toISOString())];
  if (filter.workflow) conditions.push(`w.workflow = ${params.add(filter.workflow)}`);
  if (filter.state) conditions.push(`w.state = ${params.add(filter.state)}`);
  if (filter.patient) conditions.push(`w.patient = ${params.add(filter.patient)}`);
  return selectTasks(
    repo,
    params,
    conditions,
    'w.due_at ASC NULLS LAST, w.entered_at ASC, w.task_id',
    Math.min(Math.max(filter.count ?? 50, 1), 200),
  );
}

const TASK_COLUMNS = ROW_COLUMNS.split(', ')
  .map((c) => `w.${c}`)
  .join(', ');

/** Index rows matching `conditions` joined with their Task, under the caller's access condition. */
async function selectTasks(
  repo: Repository,
  params: SqlParams,
  conditions: string[],
  orderBy: string,
  limit: number,
): Promise<{ task: Task; row: WorkflowTaskRow }[]> {
  const access = repo.access.readCondition('Task', 'r', params);
  const rows = await repo.query<WorklistRow>(
    `SELECT ${TASK_COLUMNS}, r.content
       FROM workflow_task w JOIN "Task" r ON r.tenant = w.tenant AND r.id = w.task_id AND NOT r.deleted
      WHERE ${[...conditions, ...(access ? [`(${access})`] : [])].join(' AND ')}
      ORDER BY ${orderBy}
      LIMIT ${params.add(limit)}`,
    params.values,
  );
  return rows.map(({ content, ...row }) => ({ task: JSON.parse(content) as Task, row }));
}

/** Open tasks per view, for the badges. */
export async function countTasks(
  repo: Repository,
  scope: WorklistScope,
  now: Date,
  filter: WorklistFilter = {},
): Promise<Record<WorklistView, number>> {
  const params = new SqlParams([repo.tenant]);
  const extra: string[] = [];
  if (filter.workflow) extra.push(`w.workflow = ${params.add(filter.workflow)}`);
  const access = repo.access.readCondition('Task', 'r', params);
  if (access) extra.push(`(${access})`);
  const counts = WORKLIST_VIEWS.map((v) => `count(*) FILTER (WHERE ${viewCondition(v, scope, params, now.toISOString())}) AS "${v}"`);
  const rows = await repo.query<Record<WorklistView, string | number>>(
    `SELECT ${counts.join(', ')}
       FROM workflow_task w JOIN "Task" r ON r.tenant = w.tenant AND r.id = w.task_id AND NOT r.deleted
      WHERE w.tenant = $1 AND NOT w.final${extra.length ? ` AND ${extra.join(' AND ')}` : ''}`,
    params.values,
  );
  const r = rows[0];
  return {
    mine: Number(r?.mine ?? 0),
    institution: Number(r?.institution ?? 0),
    overdue: Number(r?.overdue ?? 0),
    requested: Number(r?.requested ?? 0),
  };
}

export interface TaskQuery {
  workflows: string[];
  /** Owned by one of these ('Organization/x', 'Practitioner/x'). */
  owners?: string[];
  /** Asked for by one of these people or institutions. */
  requesters?: string[];
  states?: string[];
  /** Include tasks in a final state (default: open ones only). */
  includeClosed?: boolean;
  startedFrom?: Date;
  startedBefore?: Date;
  focus?: string;
  /** Focused on one of these (one query for many foci). */
  focuses?: string[];
  count?: number;
}

/** Tasks of some workflows, open or closed, newest first, under the caller's access condition. */
export async function findTasks(repo: Repository, q: TaskQuery): Promise<{ task: Task; row: WorkflowTaskRow }[]> {
  const params = new SqlParams([repo.tenant, q.workflows]);
  const conditions = ['w.tenant = $1', 'w.workflow = ANY($2::text[])'];
  if (!q.includeClosed) conditions.push('NOT w.final');
  // Owned by one of `owners` or asked for by one of `requesters` (either list alone narrows to it).
  const parties: string[] = [];
  if (q.owners) parties.push(`w.owner = ANY(${params.add(q.owners)}::text[])`);
  if (q.requesters) {
    const p = params.add(q.requesters);
    parties.push(`w.requester = ANY(${p}::text[]) OR w.requester_org = ANY(${p}::text[])`);
  }
  if (parties.length) conditions.push(`(${parties.join(' OR ')})`);
  if (q.states?.length) conditions.push(`w.state = ANY(${params.add(q.states)}::text[])`);
  if (q.startedFrom) conditions.push(`w.started_at >= ${params.add(q.startedFrom.toISOString())}::timestamptz`);
  if (q.startedBefore) conditions.push(`w.started_at < ${params.add(q.startedBefore.toISOString())}::timestamptz`);
  if (q.focus) conditions.push(`w.focus = ${params.add(q.focus)}`);
  if (q.focuses) conditions.push(`w.focus = ANY(${params.add(q.focuses)}::text[])`);
  return selectTasks(repo, params, conditions, 'w.started_at DESC, w.task_id', Math.min(Math.max(q.count ?? 50, 1), 10_000));
}

export interface TransitionRecord {
  taskId: string;
  seq: number;
  action: string;
  from: string | null;
  to: string;
  actor: string | null;
  actorOrg: string | null;
  reason: string | null;
  at: string;
}

/** The engine's transition log of some tasks (the caller must already have been allowed to see those tasks). */
export async function transitionsOf(repo: Repository, taskIds: string[]): Promise<TransitionRecord[]> {
  if (!taskIds.length) return [];
  const rows = await repo.query<{
    task_id: string;
    seq: number;
    action: string;
    from_state: string | null;
    to_state: string;
    actor: string | null;
    actor_org: string | null;
    reason: string | null;
    at: string | Date;
  }>(
    `SELECT task_id, seq, action, from_state, to_state, actor, actor_org, reason, at FROM workflow_transition
      WHERE tenant = $1 AND task_id = ANY($2::text[]) ORDER BY task_id, seq`,
    [repo.tenant, taskIds],
  );
  return rows.map((r) => ({
    taskId: r.task_id,
    seq: r.seq,
    action: r.action,
    from: r.from_state,
    to: r.to_state,
    actor: r.actor,
    actorOrg: r.actor_org,
    reason: r.reason,
    at: new Date(r.at).toISOString(),
  }));
}
