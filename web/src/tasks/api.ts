/**
 * Worklists of the workflow engine (server/src/platform/workflow, docs/workflow.md): GET /api/tasks?view=…,
 * GET /api/tasks/:id, POST /api/tasks/:id/transition.
 */
import { api } from '../api/client';
import { query } from '../api/fhir';
import type { Reference, Task } from '../api/types';

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

export interface WorkItem {
  task: Task;
  /** What the task is about, summarised by the server (the referral, the critical value …). */
  focus?: { reference?: string; type?: string; display?: string; summary?: string; link?: string } | string;
  patient?: { reference?: string; display?: string; name?: string } | string;
  workflow?: { id: string; title?: Text } | string;
  state?: { code: string; display?: Text } | string;
  due?: string;
  overdue?: boolean;
  escalationLevel?: number;
  allowedActions?: (AllowedAction | string)[];
  link?: string;
}

export interface Worklist {
  items: WorkItem[];
  counts: Record<View, number>;
}

export interface HistoryEntry {
  at?: string;
  when?: string;
  action?: string;
  from?: string;
  to?: string;
  by?: string | Reference | { display?: string; reference?: string; username?: string };
  reason?: string;
  note?: string;
  display?: Text;
}

export interface TaskDetail extends WorkItem {
  history?: HistoryEntry[];
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

/** The state code of a task (businessStatus carries the workflow state; status as fallback). */
export function stateOf(item: WorkItem): { code: string; display?: Text } {
  if (item.state) return typeof item.state === 'string' ? { code: item.state } : item.state;
  const c = item.task.businessStatus?.coding?.[0];
  const text = item.task.businessStatus?.text ?? c?.display;
  return { code: c?.code ?? item.task.status, ...(text ? { display: { zh: text, en: text } } : {}) };
}

export function patientOf(item: WorkItem): { id?: string; name?: string } {
  const p = item.patient;
  const ref = typeof p === 'string' ? p : (p?.reference ?? item.task.for?.reference);
  const name = typeof p === 'string' ? undefined : (p?.display ?? p?.name ?? item.task.for?.display);
  return { id: ref?.startsWith('Patient/') ? ref.slice(8) : undefined, name };
}

export function focusText(item: WorkItem): string {
  const f = item.focus;
  if (typeof f === 'string') return f;
  return f?.summary ?? f?.display ?? item.task.description ?? item.task.code?.text ?? item.task.focus?.display ?? '—';
}

/** The app page of the matter: the server's link, else by the kind of the focus. */
export function linkOf(item: WorkItem): string {
  if (item.link) return item.link;
  if (typeof item.focus === 'object' && item.focus?.link) return item.focus.link;
  return `/tasks/${item.task.id}`;
}
