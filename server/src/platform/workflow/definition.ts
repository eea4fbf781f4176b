/**
 * Workflows as data (docs/workflow.md): states, transitions with who may make them, due times and escalation chains,
 * versioned with an effective date. A definition is validated when it is registered, so a mistake in a rule file stops
 * the server at start with a message naming the file's workflow, version and the faulty part, not a task at 3 a.m.
 */
import { durationMs } from '../clock.js';

export type TaskStatus =
  | 'draft'
  | 'requested'
  | 'received'
  | 'accepted'
  | 'rejected'
  | 'ready'
  | 'cancelled'
  | 'in-progress'
  | 'on-hold'
  | 'failed'
  | 'completed'
  | 'entered-in-error';

export const TASK_STATUSES: readonly TaskStatus[] = [
  'draft',
  'requested',
  'received',
  'accepted',
  'rejected',
  'ready',
  'cancelled',
  'in-progress',
  'on-hold',
  'failed',
  'completed',
  'entered-in-error',
];

export type TaskPriority = 'routine' | 'urgent' | 'asap' | 'stat';
export const TASK_PRIORITIES: readonly TaskPriority[] = ['routine', 'urgent', 'asap', 'stat'];

export interface Text {
  zh: string;
  en: string;
}

/**
 * An ISO 8601 duration, or one per Task.priority with a `default` (e.g. review within 24 h, 2 h when urgent).
 * Months and years are not allowed: their length varies.
 */
export type Timing = string | ({ default: string } & Partial<Record<TaskPriority, string>>);

/** Who is notified or escalated to (resolved at the time of sending, from the Task and the registries). */
export type Target =
  /** Task.requester (the person who asked) — or, failing that, the requester's institution. */
  | { party: 'requester' }
  /** Task.owner: an Organization (its inbox: everyone working there) or a Practitioner. */
  | { party: 'owner' }
  /** The top of the Organization.partOf tree above the owner: the medical community's office (医共体办公室). */
  | { party: 'community' }
  /**
   * Practitioners holding a PractitionerRole with this code at the owner's / requester's institution; with `climb`, the
   * nearest institution up the partOf tree that has one. Nobody found: that institution's inbox.
   */
  | { practitionerRole: string; at: 'owner' | 'requester'; climb?: boolean }
  /** A fixed recipient: 'Organization/x', 'Practitioner/x'. */
  | { recipient: string };

export interface EscalationLevel {
  /** Measured from the moment the task entered the state. */
  after: Timing;
  to: Target;
}

export interface StateDefinition {
  /** Task.status while in this state. */
  status: TaskStatus;
  /** Task.businessStatus: the state's code is its key in `states`. */
  display: Text;
  /** Time allowed in this state, from entry (Task.restriction.period.end). */
  due?: Timing;
  /** Levels in order of time; each fires once if the task is still in the same state entry. */
  escalation?: EscalationLevel[];
  /** No transition leaves a final state; due times and escalations stop. */
  final?: boolean;
  /** Notified on entering the state (besides the transition's own list). */
  notify?: Target[];
}

export type Party = 'owner' | 'requester' | 'any';

export interface TransitionDefinition {
  action: string;
  display: Text;
  from: string[];
  to: string;
  by: { roles?: string[]; party?: Party };
  /** Fields the caller must give: 'reason', 'note', 'output' or 'owner'. */
  requires?: RequiredField[];
  notify?: Target[];
}

export type RequiredField = 'reason' | 'note' | 'output' | 'owner';
const REQUIRED_FIELDS: readonly RequiredField[] = ['reason', 'note', 'output', 'owner'];

export interface WorkflowDefinition {
  id: string;
  version: string;
  /** First day (YYYY-MM-DD) the version is in force; tasks started earlier keep the version they started with. */
  effective: string;
  title: Text;
  /** Notification category of this workflow's messages (default 'task'). */
  category?: string;
  initial: string;
  states: Record<string, StateDefinition>;
  transitions: TransitionDefinition[];
}

export const WORKFLOW_CANONICAL_BASE = 'https://yiwang.cn/fhir/workflow/';

export const canonicalOf = (def: Pick<WorkflowDefinition, 'id' | 'version'>): string =>
  `${WORKFLOW_CANONICAL_BASE}${def.id}|${def.version}`;

export function parseCanonical(canonical: string | undefined): { id: string; version: string } | undefined {
  if (!canonical?.startsWith(WORKFLOW_CANONICAL_BASE)) return undefined;
  const [id, version] = canonical.slice(WORKFLOW_CANONICAL_BASE.length).split('|');
  return id && version ? { id, version } : undefined;
}

/** The duration of a timing for a task of this priority, in milliseconds. */
export function timingMs(timing: Timing, priority: TaskPriority = 'routine'): number {
  if (typeof timing === 'string') return durationMs(timing);
  return durationMs(timing[priority] ?? timing.default);
}

const ID = /^[a-z][a-z0-9-]{0,63}$/;

/** Throws an Error naming the workflow and the faulty part; returns the definition when it is sound. */
export function validateDefinition(def: WorkflowDefinition): WorkflowDefinition {
  const where = `workflow '${def?.id ?? '?'}' version '${def?.version ?? '?'}'`;
  const fail = (what: string): never => {
    throw new Error(`Invalid ${where}: ${what}`);
  };
  if (!def || typeof def !== 'object') fail('the definition must be an object');
  if (typeof def.id !== 'string' || !ID.test(def.id)) fail("'id' must be lower-case letters, digits and '-'");
  if (typeof def.version !== 'string' || !/^[A-Za-z0-9.\-_]{1,32}$/.test(def.version))
    fail("'version' must be a short token such as '1' or '2026-12'");
  if (typeof def.effective !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(def.effective) || Number.isNaN(Date.parse(def.effective))) {
    fail(`'effective' must be a date YYYY-MM-DD (got '${String(def.effective)}')`);
  }
  checkText(def.title, 'title', fail);
  const states = def.states && typeof def.states === 'object' ? def.states : fail("'states' must be an object of states");
  const names = Object.keys(states);
  if (!names.length) fail('no states');
  for (const name of names) if (!ID.test(name)) fail(`state name '${name}' must be lower-case letters, digits and '-'`);
  if (!states[def.initial]) fail(`initial state '${def.initial}' is not among the states (${names.join(', ')})`);
  const checkTiming = (t: Timing, at: string) => {
    const list =
      typeof t === 'string'
        ? [t]
        : t && typeof t === 'object' && typeof t.default === 'string'
          ? Object.entries(t)
          : fail(`${at} must be a duration or { default, urgent?, … }`);
    for (const entry of list) {
      const [key, value] = Array.isArray(entry) ? entry : ['', entry];
      if (key && key !== 'default' && !TASK_PRIORITIES.includes(key as TaskPriority)) fail(`${at} has unknown priority '${key}'`);
      try {
        if (durationMs(value as string) <= 0) fail(`${at} must be longer than zero`);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('Invalid')) throw err;
        fail(`${at}: '${String(value)}' is not an ISO 8601 duration such as PT15M or P1D (no months or years)`);
      }
    }
  };
  for (const [name, s] of Object.entries(states)) {
    const at = `state '${name}'`;
    if (!TASK_STATUSES.includes(s.status)) fail(`${at} has unknown Task.status '${String(s.status)}'`);
    checkText(s.display, `${at}.display`, fail);
    if (s.due !== undefined) checkTiming(s.due, `${at}.due`);
    if (s.escalation !== undefined) {
      if (!Array.isArray(s.escalation)) fail(`${at}.escalation must be a list`);
      if (s.final && s.escalation.length) fail(`${at} is final and cannot escalate`);
      let previous = -1;
      s.escalation.forEach((level, i) => {
        checkTiming(level.after, `${at}.escalation[${i}].after`);
        checkTarget(level.to, `${at}.escalation[${i}].to`, fail);
        const ms = timingMs(level.after);
        if (ms <= previous) fail(`${at}.escalation[${i}] must come later than the level before it`);
        previous = ms;
      });
    }
    (s.notify ?? []).forEach((t, i) => checkTarget(t, `${at}.notify[${i}]`, fail));
  }
  if (!Array.isArray(def.transitions)) fail("'transitions' must be a list");
  const seen = new Set<string>();
  const graph = new Map<string, Set<string>>();
  def.transitions.forEach((t, i) => {
    const at = `transition ${i} ('${t?.action ?? '?'}')`;
    if (typeof t.action !== 'string' || !ID.test(t.action)) fail(`${at}: 'action' must be lower-case letters, digits and '-'`);
    checkText(t.display, `${at}.display`, fail);
    if (!Array.isArray(t.from) || !t.from.length) fail(`${at}: 'from' must list at least one state`);
    for (const f of t.from) {
      if (!states[f]) fail(`${at} starts from unknown state '${f}'`);
      if (states[f].final) fail(`${at} leaves final state '${f}'`);
      if (seen.has(`${t.action}\u0000${f}`)) fail(`${at}: action '${t.action}' is defined twice from state '${f}'`);
      seen.add(`${t.action}\u0000${f}`);
      const next = graph.get(f) ?? new Set<string>();
      next.add(t.to);
      graph.set(f, next);
    }
    if (!states[t.to]) fail(`${at} leads to unknown state '${t.to}'`);
    if (!t.by || typeof t.by !== 'object') fail(`${at}: 'by' must say who may act ({ roles?, party? })`);
    if (t.by.roles !== undefined && (!Array.isArray(t.by.roles) || !t.by.roles.length))
      fail(`${at}: 'by.roles' must list at least one role`);
    if (t.by.party !== undefined && !['owner', 'requester', 'any'].includes(t.by.party))
      fail(`${at}: unknown party '${String(t.by.party)}'`);
    for (const r of t.requires ?? [])
      if (!REQUIRED_FIELDS.includes(r)) fail(`${at} requires unknown field '${String(r)}' (${REQUIRED_FIELDS.join(', ')})`);
    (t.notify ?? []).forEach((target, j) => checkTarget(target, `${at}.notify[${j}]`, fail));
  });
  // Every state must be reachable from the initial one: an unreachable state is a typo or a forgotten transition.
  const reached = new Set([def.initial]);
  const queue = [def.initial];
  while (queue.length) {
    for (const next of graph.get(queue.shift() as string) ?? []) {
      if (!reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  const unreachable = names.filter((n) => !reached.has(n));
  if (unreachable.length) fail(`state(s) ${unreachable.map((n) => `'${n}'`).join(', ')} cannot be reached from '${def.initial}'`);
  for (const name of names) {
    if (!states[name].final && !graph.has(name)) fail(`state '${name}' is not final but no transition leaves it`);
  }
  return def;
}

function checkText(t: Text | undefined, at: string, fail: (what: string) => never): void {
  if (!t || typeof t.zh !== 'string' || typeof t.en !== 'string' || !t.zh || !t.en) fail(`${at} needs { zh, en } texts`);
}

function checkTarget(t: Target, at: string, fail: (what: string) => never): void {
  if (!t || typeof t !== 'object') fail(`${at} must be a target object`);
  if ('party' in t) {
    if (!['requester', 'owner', 'community'].includes(t.party)) fail(`${at}: unknown party '${String(t.party)}'`);
  } else if ('practitionerRole' in t) {
    if (typeof t.practitionerRole !== 'string' || !t.practitionerRole) fail(`${at}: 'practitionerRole' must be a role code`);
    if (t.at !== 'owner' && t.at !== 'requester') fail(`${at}: 'at' must be 'owner' or 'requester'`);
  } else if ('recipient' in t) {
    if (!/^(Organization|Practitioner)\/[A-Za-z0-9\-.]{1,64}$/.test(t.recipient))
      fail(`${at}: recipient must be 'Organization/<id>' or 'Practitioner/<id>'`);
  } else {
    fail(`${at} must have 'party', 'practitionerRole' or 'recipient'`);
  }
}

/** The versions of every workflow; picks the one in force on a date, or the exact one a task started with. */
export class WorkflowRegistry {
  private readonly versions = new Map<string, WorkflowDefinition[]>();

  add(def: WorkflowDefinition): WorkflowDefinition {
    validateDefinition(def);
    const list = (this.versions.get(def.id) ?? []).filter((d) => d.version !== def.version);
    list.push(def);
    list.sort((a, b) => a.effective.localeCompare(b.effective));
    this.versions.set(def.id, list);
    return def;
  }

  /** The latest version whose effective date has come by `at` (dates compared in China time, UTC+8). */
  inForce(id: string, at: Date): WorkflowDefinition | undefined {
    const day = chinaDate(at);
    const list = (this.versions.get(id) ?? []).filter((d) => d.effective <= day);
    return list[list.length - 1];
  }

  get(id: string, version: string): WorkflowDefinition | undefined {
    return this.versions.get(id)?.find((d) => d.version === version);
  }

  /** Every workflow's version in force on `at`. */
  allInForce(at: Date): WorkflowDefinition[] {
    return [...this.versions.keys()].map((id) => this.inForce(id, at)).filter((d): d is WorkflowDefinition => !!d);
  }
}

/** The calendar date in China (UTC+8): a rule effective on 12-01 applies from midnight Beijing time. */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
