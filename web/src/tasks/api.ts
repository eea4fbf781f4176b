/**
 * Worklists of the workflow engine (server/src/platform/workflow, docs/workflow.md): GET /api/tasks?view=…,
 * GET /api/tasks/:id, POST /api/tasks/:id/transition.
 */
import { api } from '../api/client';
import { query } from '../api/fhir';
import type { Task } from '../api/types';

export type View = 'mine' | 'institution' | 'overdue' | 'requested';
export const VIEWS: readonly View[] = ['mine', 'institution', 'overdue', 'requested'];

export interface Text {
  zh: string;
  en: string;
}

/** An action the caller may take now, with the fields it needs ('reason', 'note', 'output', 'owner'). */
export interface AllowedAction {
  action: string;
  display?: Text;
  to?: string;
  requires?: string[];
}

/** One row of a worklist (server/src/platform/workflow/routes.ts TaskSummary). */
export interface WorkItem {
  task: Task;
  workflow: { id: string; version: string; title: Text };
  state: { code: string; display: Text; final: boolean };
  /** What the task is about (a referral's ServiceRequest, a result …) with a one-line summary. */
  focus?: { reference: string; summary: string };
  patient?: { reference: string; display: string };
  due?: string;
  overdue: boolean;
  escalationLevel: number;
  allowedActions: AllowedAction[];
}

export interface Worklist {
  items: WorkItem[];
  counts: Record<View, number>;
}

/** One step of a task's history (its Provenance): who did what, when and why. */
export interface HistoryEntry {
  at: string;
  action: string;
  display: string;
  who?: string;
  whoDisplay?: string;
  reason?: string;
}

export interface TaskDetail extends WorkItem {
  history: HistoryEntry[];
}

export interface TaskFilter {
  workflow?: string;
  state?: string;
}

export function worklist(view: View, filter: TaskFilter = {}): Promise<Worklist> {
  return api(`/api/tasks?${query({ view, workflow: filter.workflow, state: filter.state })}`);
}

export function taskDetail(id: string): Promise<TaskDetail> {
  return api(`/api/tasks/${encodeURIComponent(id)}`);
}

export interface TransitionInput {
  action: string;
  reason?: string;
  note?: string;
}

export function transition(id: string, input: TransitionInput): Promise<unknown> {
  return api(`/api/tasks/${encodeURIComponent(id)}/transition`, { method: 'POST', body: input });
}

export const actionOf = (a: AllowedAction | string): AllowedAction => (typeof a === 'string' ? { action: a } : a);

export function patientOf(item: WorkItem): { id?: string; name?: string } {
  const ref = item.patient?.reference ?? item.task.for?.reference;
  const name = item.patient?.display || item.task.for?.display || undefined;
  return { id: ref?.startsWith('Patient/') ? ref.slice(8) : undefined, name };
}

export function focusText(item: WorkItem): string {
  return item.task.description || item.focus?.summary || item.task.code?.text || item.workflow.title.zh;
}

/** Workflows whose task is a referral (its focus is the referral's ServiceRequest). */
export const REFERRAL_WORKFLOWS = new Set(['up-referral', 'down-referral', 'external-referral']);

/** Page of the matter: a critical value's alert page, a referral's page, else the task's own page. */
export function linkOf(item: WorkItem): string {
  if (item.workflow.id === 'critical-value') return `/critical-values/${item.task.id}`;
  const focus = item.focus?.reference;
  if (REFERRAL_WORKFLOWS.has(item.workflow.id) && focus?.startsWith('ServiceRequest/')) return `/referrals/${focus.slice(15)}`;
  return `/tasks/${item.task.id}`;
}

/** The referral a task belongs to (a follow-up after a down-referral has the referral as its focus). */
export function referralOf(item: WorkItem): string | undefined {
  const focus = item.focus?.reference;
  return focus?.startsWith('ServiceRequest/') && (REFERRAL_WORKFLOWS.has(item.workflow.id) || item.workflow.id === 'referral-follow-up')
    ? focus.slice(15)
    : undefined;
}
