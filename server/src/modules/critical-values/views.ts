/**
 * What the web app and the statistics read: an alert's summary (from its Task), its full chain (result → detection
 * → notification → escalations → acknowledgement with read-back), the lists (open, overdue, mine) and the timeliness
 * indicator 危急值通报及时率. All reads go through the repository given — the caller's, so their access applies.
 */
import type { Communication, Patient, Provenance, Task } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { findResources, nameOf } from './fhir.js';
import {
  ACK_EXTENSION_URL,
  alertLink,
  CORRECTION_EXTENSION_URL,
  CRITICAL_VALUE_SYSTEM,
  escalationLevel,
  INPUT_SYSTEM,
  slot,
  TASK_CODE,
  WITHDRAWN_STATE,
} from './model.js';
import { STATE_SYSTEM } from '../../platform/workflow/fhir.js';
import { acknowledgeWithin, type CriticalValueWorkflow } from './policy.js';
import { durationMs } from '../../platform/clock.js';
import { median } from '../../platform/statistics.js';

export interface RefView {
  reference: string;
  display?: string;
}

export interface AlertSummary {
  taskId: string;
  /** Page of the alert in the web app. */
  link: string;
  /**
   * open: awaiting acknowledgement; acknowledged; withdrawn: the result was corrected and is no longer critical (the
   * alert's record stays); closed: cancelled otherwise or entered in error.
   */
  state: 'open' | 'acknowledged' | 'withdrawn' | 'closed';
  taskStatus: string;
  businessStatus?: { code: string; display?: string };
  patient?: RefView;
  item: { id: string; name?: string };
  /** As reported, e.g. '7.1 mmol/L', or the finding's name. */
  value: string;
  /** The limit crossed, e.g. '>6.2 mmol/L'. */
  limit?: string;
  direction?: 'low' | 'high';
  catalogueVersion?: string;
  workflowVersion?: string;
  result?: string;
  flag?: string;
  owner?: RefView;
  responsibleSource?: string;
  institution?: string;
  resultAt?: string;
  releasedAt?: string;
  detectedAt?: string;
  notifiedAt?: string;
  dueAt?: string;
  overdue: boolean;
  escalationLevel: number;
  acknowledgedAt?: string;
  acknowledgedBy?: RefView;
  readBack?: string;
  action?: string;
  late?: boolean;
  minutesToAcknowledge?: number;
  /** Withdrawn: when and why (结果已更正). */
  withdrawnAt?: string;
  withdrawnReason?: string;
  /** The latest corrected value the doctor was told of after the alert closed (withdrawn or acknowledged). */
  correctedValue?: string;
  /** How many corrections of the result the doctor was told of. */
  corrections: number;
}

const refView = (r: { reference?: string; display?: string } | undefined): RefView | undefined =>
  r?.reference
    ? { reference: r.reference, ...(r.display ? { display: r.display } : {}) }
    : r?.display
      ? { reference: '', display: r.display }
      : undefined;

const minutesBetween = (a: string | undefined, b: string | undefined): number | undefined =>
  a && b ? Math.round(((Date.parse(b) - Date.parse(a)) / 60_000) * 10) / 10 : undefined;

export function summarise(task: Task, now: Date): AlertSummary {
  const out = task.output;
  const bs = task.businessStatus?.coding?.find((c) => c.system === STATE_SYSTEM);
  const state: AlertSummary['state'] =
    task.status === 'completed'
      ? 'acknowledged'
      : task.status === 'requested'
        ? 'open'
        : task.status === 'cancelled' && bs?.code === WITHDRAWN_STATE
          ? 'withdrawn'
          : 'closed';
  // After acknowledgement the engine drops restriction; the due time it had is kept in the output.
  const dueAt = task.restriction?.period?.end ?? slot(task.output, 'due')?.valueDateTime;
  const item = slot(task.input, 'item')?.valueCoding;
  const acknowledgedAt = slot(out, 'acknowledged-at')?.valueDateTime;
  const notifiedAt = task.authoredOn;
  return {
    taskId: task.id!,
    link: alertLink(task.id!),
    state,
    taskStatus: task.status,
    ...(bs?.code ? { businessStatus: { code: bs.code, ...(bs.display ? { display: bs.display } : {}) } } : {}),
    patient: refView(task.for),
    item: { id: item?.code ?? 'unknown', ...(item?.display ? { name: item.display } : {}) },
    value: slot(task.input, 'value-text')?.valueString ?? '',
    limit: slot(task.input, 'limit')?.valueString,
    direction: slot(task.input, 'direction')?.valueCode as AlertSummary['direction'],
    catalogueVersion: slot(task.input, 'catalogue-version')?.valueString,
    workflowVersion: slot(task.input, 'workflow-version')?.valueString,
    result: task.focus?.reference,
    flag: slot(task.input, 'flag')?.valueReference?.reference,
    owner: refView(task.owner),
    responsibleSource: slot(task.input, 'responsible-source')?.valueCode,
    institution: slot(task.input, 'responsible-organization')?.valueReference?.reference,
    resultAt: slot(task.input, 'result-time')?.valueDateTime,
    releasedAt: slot(task.input, 'released')?.valueInstant,
    detectedAt: task.authoredOn,
    notifiedAt,
    dueAt,
    // Due at 08:15 escalates at 08:15: from that instant it is overdue (an acknowledgement at 08:15 still counts as in time).
    overdue: state === 'open' && !!dueAt && now.getTime() >= Date.parse(dueAt),
    escalationLevel: escalationLevel(task),
    acknowledgedAt,
    acknowledgedBy: refView(slot(out, 'acknowledged-by')?.valueReference),
    readBack: slot(out, 'read-back')?.valueString,
    action: slot(out, 'action')?.valueString,
    late: slot(out, 'late')?.valueBoolean,
    minutesToAcknowledge: minutesBetween(notifiedAt, acknowledgedAt),
    ...(state === 'withdrawn'
      ? {
          ...(task.executionPeriod?.end ? { withdrawnAt: task.executionPeriod.end } : {}),
          ...(task.statusReason?.text ? { withdrawnReason: task.statusReason.text } : {}),
        }
      : {}),
    ...(slot(out, 'corrected-value')?.valueString ? { correctedValue: slot(out, 'corrected-value')!.valueString } : {}),
    corrections: (out ?? []).filter((o) => o.type.coding?.some((c) => c.system === INPUT_SYSTEM && c.code === 'correction-notice')).length,
  };
}

export interface ChainEvent {
  at: string;
  kind: 'result' | 'released' | 'detected' | 'notified' | 'escalated' | 'acknowledged' | 'corrected' | 'withdrawn';
  text: string;
  reference?: string;
  recipients?: RefView[];
  level?: number;
}

export interface AlertChain extends AlertSummary {
  events: ChainEvent[];
}

/** The full chain of one alert, in time order. */
export async function chainOf(repo: Repository, task: Task, now: Date, workflow: CriticalValueWorkflow | undefined): Promise<AlertChain> {
  const summary = summarise(task, now);
  const events: ChainEvent[] = [];
  if (summary.resultAt)
    events.push({ at: summary.resultAt, kind: 'result', text: '检验/检查结果时间 Result time', reference: summary.result });
  if (summary.releasedAt)
    events.push({ at: summary.releasedAt, kind: 'released', text: '结果发布 Result released', reference: summary.result });
  if (summary.detectedAt)
    events.push({
      at: summary.detectedAt,
      kind: 'detected',
      text: `识别为危急值 Detected as critical (${summary.item.name ?? summary.item.id} ${summary.value}, ${summary.limit ?? ''})`.trim(),
    });
  const notification = slot(task.input, 'notification')?.valueReference?.reference;
  const notices = (task.output ?? [])
    .filter((o) => o.type.coding?.some((c) => c.system === INPUT_SYSTEM && c.code === 'correction-notice'))
    .map((o) => o.valueReference?.reference?.replace(/^Communication\//, ''))
    .filter((id): id is string => !!id);
  const levels = workflow?.escalation.map((e) => e.level) ?? [1, 2, 3];
  const ids = levels.map((l) => `${CRITICAL_VALUE_SYSTEM}|${task.id}/escalation-${l}`);
  const communications: Communication[] = [];
  if (notification) {
    const [, id] = notification.split('/');
    try {
      communications.push((await repo.read('Communication', id!)) as Communication);
    } catch {
      // Not visible to this caller: the chain shows what they may see.
    }
  }
  communications.push(...(await findResources<Communication>(repo, 'Communication', `identifier=${ids.join(',')}`, 20)));
  const corrections = notices.length ? await findResources<Communication>(repo, 'Communication', `_id=${notices.join(',')}`, 50) : [];
  for (const c of corrections) {
    const ext = c.extension?.find((e) => e.url === CORRECTION_EXTENSION_URL)?.extension ?? [];
    const outcome = ext.find((e) => e.url === 'outcome')?.valueCode;
    const value = ext.find((e) => e.url === 'value')?.valueString ?? '';
    const previous = ext.find((e) => e.url === 'previousValue')?.valueString ?? '';
    events.push({
      at: c.sent ?? '',
      kind: outcome === 'withdrawn' ? 'withdrawn' : 'corrected',
      text:
        outcome === 'withdrawn'
          ? `已撤回：结果已更正为 ${value}，不再属于危急值 Withdrawn: result corrected to ${value}, no longer critical`
          : `结果已更正 Result corrected: ${previous} → ${value}${
              ext.find((e) => e.url === 'stillCritical')?.valueBoolean
                ? '（仍为危急值 still critical）'
                : '（不再属于危急值 no longer critical）'
            }; 已通知医生 doctor told`,
      reference: `Communication/${c.id}`,
      recipients: (c.recipient ?? []).map((r) => refView(r)!).filter(Boolean),
    });
  }
  for (const c of communications) {
    const level = c.extension?.find((e) => e.url.endsWith('critical-value-escalation-level'))?.valueInteger;
    const recipients = (c.recipient ?? []).map((r) => refView(r)!).filter(Boolean);
    events.push({
      at: c.sent ?? '',
      kind: level ? 'escalated' : 'notified',
      text: level
        ? `第${level}级上报 Escalation level ${level}${c.status === 'not-done' ? '（未找到上报对象 no recipient found）' : ''}`
        : c.status === 'not-done'
          ? '未能通知：未找到负责医生 Not notified: no responsible doctor found'
          : '已通知负责医生 Responsible doctor notified',
      reference: `Communication/${c.id}`,
      recipients,
      ...(level ? { level } : {}),
    });
  }
  const provenances = await findResources<Provenance>(repo, 'Provenance', `target=Task/${task.id}`, 20);
  // The engine's own Provenances (start, acknowledge) are there too; the read-back is in the module's.
  for (const p of provenances.filter((x) => x.extension?.some((e) => e.url === ACK_EXTENSION_URL))) {
    const ext = p.extension?.find((e) => e.url === ACK_EXTENSION_URL)?.extension ?? [];
    const readBack = ext.find((e) => e.url === 'readBack')?.valueString;
    const late = ext.find((e) => e.url === 'late')?.valueBoolean;
    events.push({
      at: p.recorded,
      kind: 'acknowledged',
      text: `回读确认${late ? '（超时）' : ''} Acknowledged${late ? ' late' : ''}: “${readBack ?? ''}”`,
      reference: `Provenance/${p.id}`,
      recipients: (p.agent ?? []).map((a) => refView(a.who)!).filter(Boolean),
    });
  }
  events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  return { ...summary, events };
}

const ORDER: ChainEvent['kind'][] = ['result', 'released', 'detected', 'notified', 'escalated', 'acknowledged', 'corrected', 'withdrawn'];

/** Fills in the residents' names, read through `repo` (the caller's: a name they may not see stays a reference). */
export async function withPatientNames<T extends { patient?: RefView }>(repo: Repository, items: T[]): Promise<T[]> {
  const ids = [...new Set(items.map((i) => i.patient?.reference?.replace(/^Patient\//, '')).filter((id): id is string => !!id))];
  if (!ids.length) return items;
  const patients = await findResources<Patient>(repo, 'Patient', `_id=${ids.join(',')}`, ids.length);
  const names = new Map(patients.map((p) => [`Patient/${p.id}`, nameOf(p)]));
  return items.map((i) => {
    const name = i.patient?.reference ? names.get(i.patient.reference) : undefined;
    return name && i.patient ? { ...i, patient: { ...i.patient, display: name } } : i;
  });
}

/** Critical-value Tasks detected in [from, to), newest first (the caller's access applies). */
export async function alertTasks(
  repo: Repository,
  query: { from?: string; to?: string; status?: string; owner?: string },
  limit = 1000,
): Promise<Task[]> {
  const parts = [`code=${TASK_CODE}`];
  if (query.status) parts.push(`status=${query.status}`);
  if (query.from) parts.push(`authored-on=ge${encodeURIComponent(query.from)}`);
  if (query.to) parts.push(`authored-on=lt${encodeURIComponent(query.to)}`);
  if (query.owner) parts.push(`owner=${query.owner}`);
  const tasks = await findResources<Task>(repo, 'Task', parts.join('&'), limit);
  return tasks.sort((a, b) => (b.authoredOn ?? '').localeCompare(a.authoredOn ?? ''));
}

/** Tasks escalated to any of `recipients` (their escalation Communications). */
export async function escalatedTo(repo: Repository, recipients: string[]): Promise<string[]> {
  if (!recipients.length) return [];
  const comms = await findResources<Communication>(
    repo,
    'Communication',
    `category=urn:yiwang:communication-category|critical-value-escalation&recipient=${recipients.join(',')}`,
    500,
  );
  const ids = new Set<string>();
  for (const c of comms) for (const a of c.about ?? []) if (a.reference?.startsWith('Task/')) ids.add(a.reference.slice(5));
  return [...ids];
}

export interface TimelinessIndicator {
  /** 危急值通报及时率 */
  name: string;
  from?: string;
  to?: string;
  organization?: string;
  /** Critical values acknowledged within the limit. */
  numerator: number;
  /** The critical values detected in the period, withdrawn ones excluded. */
  denominator: number;
  /** numerator / denominator (null without any critical value). */
  rate: number | null;
  acknowledged: number;
  late: number;
  open: number;
  overdue: number;
  /**
   * Alerts detected in the period and withdrawn because the result was corrected (no longer critical): not critical
   * values, so outside the denominator; counted here so the laboratories' corrections stay visible.
   */
  withdrawn: number;
  /** Median minutes from notification to acknowledgement, over the acknowledged ones. */
  medianMinutesToAcknowledge: number | null;
  /** Notified within the notify limit of the result's release (where the release time is known). */
  notifiedWithinLimit: { count: number; known: number; rate: number | null };
  limits: { acknowledgeWithin: string; notifyWithin: string; workflowVersion: string };
}

/**
 * The indicator over the given alerts. An alert counts as timely when it was acknowledged no later than its due
 * time (the acknowledge limit of the workflow version that governed it); open alerts count in the denominator only;
 * alerts withdrawn because the result was corrected are not critical values: outside the denominator, counted apart.
 */
export function timeliness(
  tasks: Task[],
  now: Date,
  workflows: readonly CriticalValueWorkflow[],
  current: CriticalValueWorkflow,
  scope: { from?: string; to?: string; organization?: string },
): TimelinessIndicator {
  const counted = tasks.filter((t) => t.status === 'requested' || t.status === 'completed');
  const summaries = counted.map((t) => summarise(t, now));
  const acknowledged = summaries.filter((s) => s.state === 'acknowledged');
  const timely = acknowledged.filter((s) => s.late === false);
  let known = 0;
  let within = 0;
  for (const s of summaries) {
    if (!s.releasedAt || !s.notifiedAt) continue;
    known++;
    const w = workflows.find((x) => x.version === s.workflowVersion) ?? current;
    if (Date.parse(s.notifiedAt) - Date.parse(s.releasedAt) <= durationMs(w.notifyWithin)) within++;
  }
  const rate = (n: number, d: number) => (d ? Math.round((n / d) * 10000) / 10000 : null);
  return {
    name: '危急值通报及时率 Critical value timeliness',
    ...scope,
    numerator: timely.length,
    denominator: summaries.length,
    rate: rate(timely.length, summaries.length),
    acknowledged: acknowledged.length,
    late: acknowledged.length - timely.length,
    open: summaries.filter((s) => s.state === 'open').length,
    overdue: summaries.filter((s) => s.overdue).length,
    withdrawn: tasks.filter((t) => summarise(t, now).state === 'withdrawn').length,
    medianMinutesToAcknowledge: median(acknowledged.map((s) => s.minutesToAcknowledge!).filter((m) => m !== undefined)),
    notifiedWithinLimit: { count: within, known, rate: rate(within, known) },
    limits: { acknowledgeWithin: acknowledgeWithin(current), notifyWithin: current.notifyWithin, workflowVersion: current.version },
  };
}
