/**
 * Corrections (结果更正): the laboratory or a reading centre sends a new version of a result that raised an alert
 * (Observation status corrected/amended, a DiagnosticReport amended, or the result entered-in-error).
 *
 * - No longer critical for the item, alert open → the alert is withdrawn in one transaction: the workflow engine moves
 *   the Task to 'withdrawn' (cancelled, final) as the system actor, the Flag becomes inactive (period ended, why in
 *   its extension), a Communication tells the doctor the value was corrected (new value), the escalation jobs are
 *   cancelled (and would find the Task final anyway); then an urgent notification.
 * - Alert already acknowledged → it stays acknowledged (its history is complete); the doctor is told that the value
 *   they acknowledged was corrected (Communication + notification), the Task output and the Flag record the new value.
 * - Still critical with another value, alert open → the same alert shows the new value (Task input, Flag extension,
 *   the read-back now expects it) and the doctor is told.
 *
 * Every notice is a Communication (category critical-value-correction, identifier `<taskId>/correction-<n>`) named in
 * the Task's output 'correction-notice'; a value already told (output 'corrected-value', else the alert's value) is not
 * told again, so a second delivery of the same event or a re-sent message notifies once.
 */
import { randomUUID } from 'node:crypto';
import type { Communication, Extension, Flag, Task, TaskInput, TaskOutput } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { SYSTEM_ACTOR } from '../../platform/workflow/actor.js';
import type { TransitionHook } from '../../platform/workflow/engine.js';
import { forbidden } from '../../platform/fhir/outcomes.js';
import { stateOf } from '../../platform/workflow/fhir.js';
import type { CriticalValueDeps } from './deps.js';
import { refParts } from './fhir.js';
import {
  alertKey,
  alertLink,
  CORRECTION_CATEGORY,
  CORRECTION_EXTENSION_URL,
  CORRECTION_NOTIFICATION_CATEGORY,
  CRITICAL_VALUE_SYSTEM,
  EXTENSION_URL,
  extension,
  input,
  INPUT_SYSTEM,
  slot,
  WITHDRAWN_STATE,
} from './model.js';

export type CorrectionOutcome = 'withdrawn' | 'value-updated' | 'corrected-after-acknowledgement';

export interface CorrectionNotice {
  taskId: string;
  outcome: CorrectionOutcome;
  recipient?: string;
  patient?: string;
  title: string;
  body: string;
  dedupKey: string;
}

export interface Correction {
  /** 'Observation/x' */
  resultRef: string;
  resultVersion?: string;
  /** What the result says now: '4.5 mmol/L', '未再报告该发现 finding no longer reported', … */
  value: string;
  stillCritical: boolean;
}

/**
 * 'withdraw' is made by detection only (it writes the Flag, the Communication and the notice around the step): the
 * engine's generic route refuses it, even to a caller with the system role.
 */
export function withdrawalHook(): TransitionHook {
  return async ({ actor, action }) => {
    if (action === 'withdraw' && actor.userId !== SYSTEM_ACTOR.userId) {
      throw forbidden('A critical value alert is withdrawn only when its result is corrected (危急值仅在结果更正后由系统撤回)');
    }
  };
}

/** The alert was withdrawn because its result was corrected. */
export const isWithdrawn = (task: Task): boolean => task.status === 'cancelled' && stateOf(task) === WITHDRAWN_STATE;

/** The value the doctor was last told of: the latest correction recorded after the alert closed, else the alert's value. */
export function lastToldValue(task: Task): string | undefined {
  return slot(task.output, 'corrected-value')?.valueString ?? slot(task.input, 'value-text')?.valueString;
}

/** Serialises everything done to the alerts of one result and item (the key without the re-raise suffix). */
export async function lockAlert(tx: Repository, key: string): Promise<void> {
  await tx.query('SELECT count(pg_advisory_xact_lock(hashtextextended($1, 0))) AS n', [`critical-value|${tx.tenant}|${key}`]);
}

const hasCode = (list: { type: { coding?: { system?: string; code?: string }[] } }[] | undefined, code: string) =>
  (list ?? []).filter((i) => i.type.coding?.some((c) => c.system === INPUT_SYSTEM && c.code === code)).length;

const without = <T extends { type: { coding?: { system?: string; code?: string }[] } }>(list: T[] | undefined, codes: string[]): T[] =>
  (list ?? []).filter((i) => !i.type.coding?.some((c) => c.system === INPUT_SYSTEM && codes.includes(c.code ?? '')));

/** Replaces sub-extensions of the Flag's critical-value extension. */
function withFlagDetails(flag: Flag, replace: Extension[]): Extension[] {
  const names = new Set(replace.map((e) => e.url));
  return [
    ...(flag.extension ?? []).filter((e) => e.url !== EXTENSION_URL),
    {
      url: EXTENSION_URL,
      extension: [...(flag.extension?.find((e) => e.url === EXTENSION_URL)?.extension ?? []).filter((e) => !names.has(e.url)), ...replace],
    },
  ];
}

function correctionText(task: Task, c: Correction, outcome: CorrectionOutcome, patientName: string | undefined): string {
  const who = patientName ?? task.for?.display ?? '患者';
  const item = slot(task.input, 'item')?.valueCoding?.display ?? '';
  const before = lastToldValue(task) ?? '';
  if (outcome === 'withdrawn') {
    return `危急值已撤回：${who} ${item} ${before} 经检验/检查科室更正为 ${c.value}，不再属于危急值，无需回读确认。Critical value withdrawn: the result (${before}) was corrected to ${c.value} and is no longer critical; no acknowledgement needed.`;
  }
  if (outcome === 'value-updated') {
    return `危急值结果已更正：${who} ${item} ${before} → ${c.value}，仍为危急值，请按新值处理，并回读确认新值。Critical value corrected from ${before} to ${c.value}, still critical: act on it and read back the new value.`;
  }
  return `您已确认的危急值结果已更正：${who} ${item} ${before} → ${c.value}，${c.stillCritical ? '仍为危急值' : '不再属于危急值'}，请复核已采取的处置。The critical value you acknowledged was corrected from ${before} to ${c.value} and is ${c.stillCritical ? 'still' : 'no longer'} critical; review what was done.`;
}

/** The Communication of a correction, its id, the Task outputs that name it and the notice to send after the commit. */
function correctionRecord(
  deps: CriticalValueDeps,
  task: Task,
  c: Correction,
  outcome: CorrectionOutcome,
  patientName: string | undefined,
): { id: string; communication: Communication; outputs: TaskOutput[]; notice: CorrectionNotice } {
  const id = randomUUID();
  const n = hasCode(task.output, 'correction-notice') + 1;
  const text = correctionText(task, c, outcome, patientName);
  const owner = task.owner?.reference ? task.owner : undefined;
  const flagRef = slot(task.input, 'flag')?.valueReference?.reference;
  const resultVersionRef = c.resultVersion ? `${c.resultRef}/_history/${c.resultVersion}` : c.resultRef;
  const communication: Communication = {
    resourceType: 'Communication',
    identifier: [{ system: CRITICAL_VALUE_SYSTEM, value: `${task.id}/correction-${n}` }],
    ...(task.basedOn ? { basedOn: task.basedOn } : {}),
    status: owner ? 'completed' : 'not-done',
    ...(owner ? {} : { statusReason: { text: '未找到负责医生或机构 No responsible doctor or institution found' } }),
    category: [{ coding: [CORRECTION_CATEGORY] }],
    priority: outcome === 'value-updated' ? 'stat' : 'urgent',
    subject: task.for as Communication['subject'],
    about: [{ reference: c.resultRef }, { reference: `Task/${task.id}` }, ...(flagRef ? [{ reference: flagRef }] : [])],
    sent: deps.clock.now().toISOString(),
    ...(owner ? { recipient: [{ reference: owner.reference, ...(owner.display ? { display: owner.display } : {}) }] } : {}),
    payload: [{ contentString: text }],
    extension: [
      {
        url: CORRECTION_EXTENSION_URL,
        extension: [
          extension('outcome', { valueCode: outcome }),
          extension('previousValue', { valueString: lastToldValue(task) ?? '' }),
          extension('value', { valueString: c.value }),
          extension('stillCritical', { valueBoolean: c.stillCritical }),
          extension('result', { valueReference: { reference: resultVersionRef } }),
        ],
      },
    ],
  };
  const titles: Record<CorrectionOutcome, string> = {
    withdrawn: `危急值已撤回（结果已更正为 ${c.value}）`,
    'value-updated': `危急值结果已更正为 ${c.value}，仍为危急值`,
    'corrected-after-acknowledgement': `已确认的危急值结果已更正为 ${c.value}`,
  };
  return {
    id,
    communication,
    outputs: [input('correction-notice', { valueReference: { reference: `Communication/${id}` } }) as TaskOutput],
    notice: {
      taskId: task.id!,
      outcome,
      ...(owner?.reference ? { recipient: owner.reference } : {}),
      ...(task.for?.reference ? { patient: task.for.reference } : {}),
      title: `${titles[outcome]} · ${patientName ?? ''} ${slot(task.input, 'item')?.valueCoding?.display ?? ''}`
        .replace(/\s+/g, ' ')
        .trim(),
      body: text,
      dedupKey: `critical-value:${task.id}:correction-${n}`,
    },
  };
}

async function updateFlag(tx: Repository, task: Task, change: (flag: Flag) => Flag): Promise<void> {
  const flagId = refParts(slot(task.input, 'flag')?.valueReference?.reference)?.id;
  if (!flagId) return;
  const flag = (await tx.read('Flag', flagId)) as Flag;
  await tx.update('Flag', flagId, change(flag), { ifMatch: flag.meta?.versionId });
}

/**
 * A result no longer critical for the alert's item (`found`: its alert as searched, re-read under the lock): withdraws the alert when it is open, tells the doctor when it was
 * acknowledged. Runs in its own transaction (under the alert's lock); the notification is sent after the commit.
 */
export async function correctToNotCritical(
  deps: CriticalValueDeps,
  repo: Repository,
  found: Task,
  patientName: string | undefined,
  c: Correction,
): Promise<CorrectionNotice | undefined> {
  const taskId = found.id!;
  const item = slot(found.input, 'item')?.valueCoding?.code ?? 'unknown';
  const notice = await repo.withTransaction(async (tx) => {
    await lockAlert(tx, alertKey(c.resultRef, item));
    const task = (await tx.read('Task', taskId)) as Task;
    const now = deps.clock.now().toISOString();
    if (task.status === 'requested') {
      const record = correctionRecord(deps, task, c, 'withdrawn', patientName);
      const reason = `结果已更正为 ${c.value}，不再属于危急值 Result corrected to ${c.value}: no longer critical`;
      // The engine writes the state, its Provenance and worklist row, and cancels its own due reminder.
      await deps.engine.transition(tx, SYSTEM_ACTOR, taskId, 'withdraw', {
        reason,
        output: [...record.outputs, input('corrected-value', { valueString: c.value }) as TaskOutput],
      });
      await tx.create(record.communication, { assignedId: record.id });
      await updateFlag(tx, task, (flag) => ({
        ...flag,
        status: 'inactive',
        period: { ...flag.period, end: now },
        extension: withFlagDetails(flag, [
          extension('withdrawn', { valueString: reason }),
          extension('correctedValue', { valueString: c.value }),
          extension('correctedResult', { valueReference: { reference: c.resultRef } }),
        ]),
      }));
      // The escalation jobs would find the Task final and do nothing; they are cancelled as well.
      await deps.timer.stop(tx.tenant, taskId, tx.db);
      return record.notice;
    }
    if (task.status === 'completed') return noticeAfterAcknowledgement(deps, tx, task, c, patientName);
    return undefined;
  });
  if (notice) await sendNotice(deps, repo, notice);
  return notice;
}

/** An acknowledged alert stays acknowledged; the doctor is told the value they acknowledged was corrected (once per value). */
async function noticeAfterAcknowledgement(
  deps: CriticalValueDeps,
  tx: Repository,
  task: Task,
  c: Correction,
  patientName: string | undefined,
): Promise<CorrectionNotice | undefined> {
  if (lastToldValue(task) === c.value) return undefined;
  const record = correctionRecord(deps, task, c, 'corrected-after-acknowledgement', patientName);
  await tx.update(
    'Task',
    task.id!,
    {
      ...task,
      output: [
        ...without(task.output, ['corrected-value']),
        ...record.outputs,
        input('corrected-value', { valueString: c.value }) as TaskOutput,
      ],
    },
    { ifMatch: task.meta?.versionId },
  );
  await tx.create(record.communication, { assignedId: record.id });
  await updateFlag(tx, task, (flag) => ({
    ...flag,
    extension: withFlagDetails(flag, [
      extension('correctedValue', { valueString: c.value }),
      extension('correctedResult', { valueReference: { reference: c.resultRef } }),
    ]),
  }));
  return record.notice;
}

export interface Revision {
  /** The alert's Task inputs for the new value (value, value-text, limit, direction). */
  inputs: TaskInput[];
  /** The Flag's critical-value sub-extensions for the new value (value, valueInCatalogueUnit, limit, direction, limitText). */
  flagDetails: Extension[];
  /** The Flag's code text and the Task's description with the new value. */
  flagText: string;
  description: string;
}

/**
 * A corrected result still critical for the item (inside the alert's transaction, under its lock): when the value
 * changed, an open alert shows the new one (the read-back then expects it); an acknowledged one records it. Once per value.
 */
export async function correctStillCritical(
  deps: CriticalValueDeps,
  tx: Repository,
  task: Task,
  c: Correction,
  revision: Revision,
  patientName: string | undefined,
): Promise<CorrectionNotice | undefined> {
  if (lastToldValue(task) === c.value) return undefined;
  if (task.status === 'completed') return noticeAfterAcknowledgement(deps, tx, task, c, patientName);
  if (task.status !== 'requested') return undefined;
  const record = correctionRecord(deps, task, c, 'value-updated', patientName);
  const replaced = revision.inputs.flatMap((i) => i.type.coding?.map((x) => x.code ?? '') ?? []);
  await tx.update(
    'Task',
    task.id!,
    {
      ...task,
      description: revision.description,
      input: [...without(task.input, [...replaced, 'direction']), ...revision.inputs],
      output: [...(task.output ?? []), ...record.outputs],
    },
    { ifMatch: task.meta?.versionId },
  );
  await tx.create(record.communication, { assignedId: record.id });
  await updateFlag(tx, task, (flag) => ({
    ...flag,
    code: { ...flag.code, text: revision.flagText },
    extension: withFlagDetails(flag, [
      ...revision.flagDetails,
      extension('correctedResult', { valueReference: { reference: c.resultRef } }),
    ]),
  }));
  return record.notice;
}

/** The notification of a correction, after the commit (dedup key per correction: a retried delivery sends it once). */
export async function sendNotice(deps: CriticalValueDeps, repo: Repository, notice: CorrectionNotice): Promise<void> {
  if (!notice.recipient) return;
  await deps.notifier.send({
    tenant: repo.tenant,
    recipient: notice.recipient,
    category: CORRECTION_NOTIFICATION_CATEGORY,
    priority: notice.outcome === 'value-updated' ? 'stat' : 'urgent',
    title: notice.title,
    body: notice.body,
    link: alertLink(notice.taskId),
    focus: `Task/${notice.taskId}`,
    ...(notice.patient ? { patient: notice.patient } : {}),
    dedupKey: notice.dedupKey,
  });
}
