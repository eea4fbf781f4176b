/**
 * The engine's index rows (migration 0010_workflow.sql), always written in the transaction of the Task write they
 * describe. Reads for users join the Task row with the caller's access condition (worklist.ts).
 */
import type { Repository } from '../fhir/repository.js';

export interface WorkflowTaskRow {
  task_id: string;
  workflow: string;
  version: string;
  state: string;
  entry: number;
  entered_at: string | Date;
  due_at: string | Date | null;
  final: boolean;
  priority: string;
  owner: string | null;
  requester: string | null;
  requester_org: string | null;
  patient: string | null;
  focus: string | null;
  escalation_level: number;
  started_at: string | Date;
}

export const ROW_COLUMNS =
  'task_id, workflow, version, state, entry, entered_at, due_at, final, priority, owner, requester, requester_org, patient, focus, escalation_level, started_at';

export async function lockRow(tx: Repository, taskId: string): Promise<WorkflowTaskRow | undefined> {
  const rows = await tx.query<WorkflowTaskRow>(`SELECT ${ROW_COLUMNS} FROM workflow_task WHERE tenant = $1 AND task_id = $2 FOR UPDATE`, [
    tx.tenant,
    taskId,
  ]);
  return rows[0];
}

export async function insertRow(
  tx: Repository,
  r: Omit<WorkflowTaskRow, 'entered_at' | 'due_at' | 'started_at'> & { entered_at: string; due_at: string | null; started_at: string },
): Promise<void> {
  await tx.query(
    `INSERT INTO workflow_task (tenant, ${ROW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
    [
      tx.tenant,
      r.task_id,
      r.workflow,
      r.version,
      r.state,
      r.entry,
      r.entered_at,
      r.due_at,
      r.final,
      r.priority,
      r.owner,
      r.requester,
      r.requester_org,
      r.patient,
      r.focus,
      r.escalation_level,
      r.started_at,
    ],
  );
}

export async function moveRow(
  tx: Repository,
  taskId: string,
  change: { state: string; entry: number; enteredAt: string; dueAt: string | null; final: boolean; owner: string | null },
): Promise<void> {
  await tx.query(
    `UPDATE workflow_task SET state = $3, entry = $4, entered_at = $5, due_at = $6, final = $7, owner = $8, escalation_level = 0
      WHERE tenant = $1 AND task_id = $2`,
    [tx.tenant, taskId, change.state, change.entry, change.enteredAt, change.dueAt, change.final, change.owner],
  );
}

export async function setEscalationLevel(tx: Repository, taskId: string, level: number): Promise<void> {
  await tx.query('UPDATE workflow_task SET escalation_level = $3 WHERE tenant = $1 AND task_id = $2', [tx.tenant, taskId, level]);
}

export interface TransitionLogEntry {
  taskId: string;
  workflow: string;
  action: string;
  from: string | null;
  to: string;
  actor?: string;
  actorOrg?: string;
  reason?: string;
  at: string;
}

export async function logTransition(tx: Repository, e: TransitionLogEntry): Promise<void> {
  await tx.query(
    `INSERT INTO workflow_transition (tenant, task_id, seq, workflow, action, from_state, to_state, actor, actor_org, reason, at)
     SELECT $1, $2, coalesce(max(seq), 0) + 1, $3, $4, $5, $6, $7, $8, $9, $10 FROM workflow_transition WHERE tenant = $1 AND task_id = $2`,
    [tx.tenant, e.taskId, e.workflow, e.action, e.from, e.to, e.actor ?? null, e.actorOrg ?? null, e.reason ?? null, e.at],
  );
}
