/**
 * Detection: every committed Observation and DiagnosticReport (FHIR, HL7 v2 ORU, a reading centre, any module)
 * is judged against the catalogue; a critical one raises an alert — Flag, Communication and Task in one
 * transaction, escalation planned in the same transaction — and an urgent notification to the responsible doctor.
 *
 * Idempotent: the alert's identifier is derived from the result and the item and looked up under an advisory lock,
 * so a second delivery of the event, a corrected version of the result or a re-sent HL7 message finds the alert
 * instead of raising another; the notification has a dedup key, so a delivery that died after the commit sends it
 * once on the retry.
 *
 * Corrections (correct.ts): a new version of a result that is no longer critical for an item (value within limits,
 * finding removed, result entered-in-error) withdraws that item's open alert and tells the doctor; an acknowledged
 * alert stays acknowledged and the doctor is told the value was corrected; a value still critical but changed updates
 * the alert. A result critical again after its alert was withdrawn raises a new alert (key `<key>/again-<n>`).
 */
import { randomUUID } from 'node:crypto';
import type {
  Communication,
  DiagnosticReport,
  Extension,
  Flag,
  Observation,
  Patient,
  Reference,
  Task,
  TaskInput,
} from '@medplum/fhirtypes';
import { durationMs } from '../../platform/clock.js';
import type { Repository } from '../../platform/fhir/repository.js';
import type { ResourceEvent } from '../../platform/events/types.js';
import { SYSTEM_ACTOR } from '../../platform/workflow/actor.js';
import { unitText, type MeasurementItem } from './catalogue.js';
import type { CriticalValueDeps } from './deps.js';
import { correctStillCritical, correctToNotCritical, isWithdrawn, lockAlert, sendNotice, type CorrectionNotice } from './correct.js';
import {
  evaluateResult,
  isConfirmed,
  reportedValueText,
  resultTimeOf,
  type CriticalFinding,
  type Evaluation,
  type EvaluationProblem,
} from './evaluate.js';
import { findResources, nameOf, readRef, refParts } from './fhir.js';
import {
  alertKey,
  alertLink,
  alertTaskId,
  COMMUNICATION_CATEGORY,
  CRITICAL_VALUE_SYSTEM,
  EXTENSION_URL,
  extension,
  FLAG_CATEGORY,
  input,
  ITEM_SYSTEM,
  NOTIFICATION_CATEGORY,
  slot,
  TASK_CODE,
} from './model.js';
import { acknowledgeWithin, WORKFLOW_ID, workflowInForce, workflowVersion, type CriticalValueWorkflow } from './policy.js';
import { findResponsible, type Responsible } from './recipients.js';

const workflowVersionOf = (deps: CriticalValueDeps, task: Task): CriticalValueWorkflow =>
  workflowVersion(deps.definitions, slot(task.input, 'workflow-version')?.valueString);

const UCUM = 'http://unitsofmeasure.org';
const AUTHOR_TYPES = ['Organization', 'Practitioner', 'PractitionerRole', 'Device'];
/** A result in one of these statuses no longer says anything: its alerts are withdrawn. */
const VOIDED = new Set(['entered-in-error', 'cancelled']);

export interface RaisedAlert {
  taskId: string;
  created: boolean;
  item: string;
}

/** The Chinese (then English) text of the notification and the Communication payload. */
export function alertText(finding: CriticalFinding, patientName: string | undefined, minutes: number): string {
  const who = patientName ?? '患者';
  const item = finding.item;
  const what =
    finding.kind === 'measurement'
      ? `${item.name} ${finding.valueText}（危急界限 ${finding.limitText}）`
      : `${item.name}（${item.nameEn}）`;
  const en = finding.kind === 'measurement' ? `${item.nameEn} ${finding.valueText} (critical limit ${finding.limitText})` : item.nameEn;
  return `危急值：${who} ${what}，请立即处理，并于${minutes}分钟内回读确认。Critical value: ${en}; act now and acknowledge with read-back within ${minutes} minutes.`;
}

function itemQuantity(value: number | undefined, item: MeasurementItem) {
  if (value === undefined) return undefined;
  const shown = unitText(item);
  return { value, system: UCUM, code: item.unit, ...(shown ? { unit: shown } : {}) };
}

/** The lab or institution that produced the result (the Flag's author). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the author fits Flag.author, Communication.sender and Task.requester
function authorOf(result: Observation | DiagnosticReport): Reference<any> | undefined {
  const performers = result.performer ?? [];
  const ranked = [...performers].sort(
    (a, b) => (refParts(a)?.type === 'Organization' ? -1 : 0) - (refParts(b)?.type === 'Organization' ? -1 : 0),
  );
  const found = ranked.find((p) => AUTHOR_TYPES.includes(refParts(p)?.type ?? ''));
  return found ? { reference: found.reference, ...(found.display ? { display: found.display } : {}) } : undefined;
}

/** Judges the resource an event names and raises an alert per critical finding. */
export async function onResultEvent(deps: CriticalValueDeps, repo: Repository, event: ResourceEvent): Promise<RaisedAlert[]> {
  const result = await readRef<Observation | DiagnosticReport>(repo, `${event.resourceType}/${event.id}`);
  if (!result || refParts(result.subject)?.type !== 'Patient') return [];
  const voided = VOIDED.has(result.status ?? '');
  if (!voided && !isConfirmed(result)) return [];
  const evaluation: Evaluation = voided
    ? { resultDate: event.occurredAt, findings: [], problems: [] }
    : evaluateResult(result, deps.catalogue, event.occurredAt);
  // A new version of a result that had alerts: those of items no longer critical are withdrawn (whatever its age).
  if (event.action === 'update') await correctAlerts(deps, repo, result, evaluation, voided, event.occurredAt);
  if (!evaluation.findings.length && !evaluation.problems.length) return [];
  const now = deps.clock.now();
  const window = workflowInForce(deps.definitions, now).alertWindow;
  const released = result.issued ?? resultTimeOf(result);
  if (window && released && now.getTime() - Date.parse(released) > durationMs(window)) {
    deps.log(
      `critical values: ${event.resourceType}/${event.id} is critical but dated ${released}, older than ${window}: history, no alert`,
    );
    return [];
  }
  const responsible = await findResponsible(repo, result);
  for (const problem of evaluation.problems) await reportProblem(deps, repo, result, problem, responsible);
  const raised: RaisedAlert[] = [];
  // The patient's name is read once for all the findings of the result.
  const patientName = evaluation.findings.length ? nameOf(await readRef<Patient>(repo, result.subject, ['Patient'])) : undefined;
  for (const finding of evaluation.findings) {
    raised.push(await raise(deps, repo, result, finding, evaluation.version!, responsible, patientName));
  }
  return raised;
}

/** The alerts of a result whose item is no longer critical in its new version (a value not judged keeps its alert). */
async function correctAlerts(
  deps: CriticalValueDeps,
  repo: Repository,
  result: Observation | DiagnosticReport,
  evaluation: Evaluation,
  voided: boolean,
  receivedAt: string,
): Promise<void> {
  const resultRef = `${result.resourceType}/${result.id}`;
  // The only query when the result has no alert.
  const tasks = await findResources<Task>(repo, 'Task', `code=${TASK_CODE}&focus=${resultRef}&status=requested,completed`, 100);
  let patientName: Promise<string | undefined> | undefined;
  for (const task of tasks) {
    const item = slot(task.input, 'item')?.valueCoding?.code;
    if (!item || evaluation.findings.some((f) => f.item.id === item) || evaluation.problems.some((p) => p.item.id === item)) continue;
    const value = voided
      ? `结果已作废（${result.status}）Result ${result.status}`
      : (reportedValueText(result, deps.catalogue, receivedAt, item) ?? '未再报告 no longer reported');
    // Read once for all the alerts of the result, and only when one is corrected.
    patientName ??= readRef<Patient>(repo, result.subject, ['Patient']).then(nameOf);
    await correctToNotCritical(deps, repo, task, await patientName, {
      resultRef,
      ...(result.meta?.versionId ? { resultVersion: result.meta.versionId } : {}),
      value,
      stillCritical: false,
    });
  }
}

/** The Flag's critical-value details of a finding (value, limit, direction) — also rewritten when a correction changes the value. */
function valueDetails(finding: CriticalFinding): Extension[] {
  const measurement = finding.kind === 'measurement' ? (finding.item as MeasurementItem) : undefined;
  return [
    ...(finding.value ? [extension('value', { valueQuantity: finding.value })] : []),
    ...(measurement ? [extension('valueInCatalogueUnit', { valueQuantity: itemQuantity(finding.valueInItemUnit, measurement) })] : []),
    ...(measurement ? [extension('limit', { valueQuantity: itemQuantity(finding.limit, measurement) })] : []),
    ...(finding.direction ? [extension('direction', { valueCode: finding.direction })] : []),
    extension('limitText', { valueString: finding.limitText }),
  ];
}

/** The Task inputs that describe a finding's value. */
function valueInputs(finding: CriticalFinding): TaskInput[] {
  return [
    ...(finding.value ? [input('value', { valueQuantity: finding.value })] : []),
    input('value-text', { valueString: finding.valueText }),
    input('limit', { valueString: finding.limitText }),
    ...(finding.direction ? [input('direction', { valueCode: finding.direction })] : []),
  ];
}

/** A value that could not be judged (unit not recognised) is told to the responsible doctor, not dropped. */
async function reportProblem(
  deps: CriticalValueDeps,
  repo: Repository,
  result: Observation | DiagnosticReport,
  problem: EvaluationProblem,
  responsible: Responsible | undefined,
): Promise<void> {
  const ref = `${result.resourceType}/${result.id}`;
  deps.log(`critical values: ${ref} ${problem.message}`);
  if (!responsible) return;
  await deps.notifier.send({
    tenant: repo.tenant,
    recipient: responsible.recipient,
    category: 'critical-value-unit',
    priority: 'urgent',
    title: `无法判断是否危急：${problem.item.name} 单位不识别 · Unit not recognised`,
    body: problem.message,
    focus: ref,
    patient: result.subject?.reference,
    dedupKey: `critical-value-unit:${alertKey(ref, problem.item.id)}`,
  });
}

async function raise(
  deps: CriticalValueDeps,
  repo: Repository,
  result: Observation | DiagnosticReport,
  finding: CriticalFinding,
  catalogueVersion: string,
  responsible: Responsible | undefined,
  patientName: string | undefined,
): Promise<RaisedAlert> {
  const resultRef = `${result.resourceType}/${result.id}`;
  const base = alertKey(resultRef, finding.item.id);
  const outcome = await repo.withTransaction(async (tx): Promise<{ task: Task; created: boolean; notice?: CorrectionNotice }> => {
    // Two deliveries of the same event at once (two processes): the second waits here, then finds the first's alert.
    await lockAlert(tx, base);
    const now = deps.clock.now();
    const workflow = workflowInForce(deps.definitions, now);
    // The alert of this result and item; a withdrawn one stays as it was, and a result critical again raises a new one.
    let key = base;
    for (let n = 1; ; n++) {
      const existing = await readRef<Task>(tx, `Task/${alertTaskId(tx.tenant, key)}`, ['Task']);
      if (!existing) break;
      if (!isWithdrawn(existing)) {
        // Same alert; a corrected value that is still critical but different is shown and told (once per value).
        const version = workflowVersionOf(deps, existing);
        const minutes = Math.round(durationMs(acknowledgeWithin(version)) / 60_000);
        const notice = await correctStillCritical(
          deps,
          tx,
          existing,
          {
            resultRef,
            ...(result.meta?.versionId ? { resultVersion: result.meta.versionId } : {}),
            value: finding.valueText,
            stillCritical: true,
          },
          {
            inputs: valueInputs(finding),
            flagDetails: valueDetails(finding),
            flagText: `危急值 ${finding.item.name} ${finding.valueText}`,
            description: alertText(finding, patientName, minutes),
          },
          patientName,
        );
        return { task: existing, created: false, ...(notice ? { notice } : {}) };
      }
      key = `${base}/again-${n}`;
    }
    const taskId = alertTaskId(tx.tenant, key);
    const minutes = Math.round(durationMs(acknowledgeWithin(workflow)) / 60_000);
    const at = now.toISOString();
    const text = alertText(finding, patientName, minutes);
    const [flagId, communicationId] = [randomUUID(), randomUUID()];
    const item = finding.item;
    const itemCoding = { system: ITEM_SYSTEM, code: item.id, display: item.name };
    const author = authorOf(result);
    const encounter = refParts(result.encounter)?.type === 'Encounter' ? { reference: result.encounter!.reference } : undefined;
    const subject = { reference: result.subject!.reference!, ...(patientName ? { display: patientName } : {}) };
    const owner = responsible
      ? { reference: responsible.recipient, ...(responsible.display ? { display: responsible.display } : {}) }
      : undefined;
    const flag: Flag = {
      resourceType: 'Flag',
      identifier: [{ system: CRITICAL_VALUE_SYSTEM, value: key }],
      extension: [
        {
          url: EXTENSION_URL,
          extension: [
            extension('item', { valueCoding: itemCoding }),
            ...valueDetails(finding),
            extension('catalogueVersion', { valueString: catalogueVersion }),
            extension('result', { valueReference: { reference: resultRef } }),
            extension('task', { valueReference: { reference: `Task/${taskId}` } }),
          ],
        },
      ],
      status: 'active',
      category: [
        {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: item.category === 'laboratory' ? 'lab' : 'clinical' },
            FLAG_CATEGORY,
          ],
        },
      ],
      code: { coding: [itemCoding, ...item.codes.slice(0, 1)], text: `危急值 ${item.name} ${finding.valueText}` },
      subject,
      period: { start: at },
      ...(encounter ? { encounter } : {}),
      ...(author ? { author } : {}),
    };
    const communication: Communication = {
      resourceType: 'Communication',
      identifier: [{ system: CRITICAL_VALUE_SYSTEM, value: `${key}/notification` }],
      ...(responsible?.serviceRequest ? { basedOn: [{ reference: responsible.serviceRequest }] } : {}),
      status: responsible ? 'completed' : 'not-done',
      ...(responsible ? {} : { statusReason: { text: '未找到负责医生或机构 No responsible doctor or institution found' } }),
      category: [{ coding: [COMMUNICATION_CATEGORY] }],
      priority: 'stat',
      subject,
      ...(encounter ? { encounter } : {}),
      about: [{ reference: resultRef }, { reference: `Task/${taskId}` }, { reference: `Flag/${flagId}` }],
      sent: at,
      ...(owner ? { recipient: [owner] } : {}),
      ...(author ? { sender: author } : {}),
      payload: [{ contentString: text }],
    };
    if (!owner && !author)
      throw new Error(`No responsible doctor, institution or performing lab for ${resultRef}: the alert has nobody to go to`);
    const inputs: TaskInput[] = [
      input('item', { valueCoding: itemCoding }),
      ...valueInputs(finding),
      input('catalogue-version', { valueString: catalogueVersion }),
      input('workflow-version', { valueString: workflow.version }),
      ...(resultTimeOf(result) ? [input('result-time', { valueDateTime: resultTimeOf(result) })] : []),
      ...(result.issued ? [input('released', { valueInstant: result.issued })] : []),
      input('flag', { valueReference: { reference: `Flag/${flagId}` } }),
      input('notification', { valueReference: { reference: `Communication/${communicationId}` } }),
      ...(responsible ? [input('responsible-source', { valueCode: responsible.source })] : []),
      ...(responsible?.institution ? [input('responsible-organization', { valueReference: { reference: responsible.institution } })] : []),
      input('escalation-level', { valueInteger: 0 }),
    ];
    // The acknowledgement Task runs on the platform workflow engine (state, due time, Provenance, worklists).
    const started = await deps.engine.start(tx, SYSTEM_ACTOR, {
      workflow: WORKFLOW_ID,
      id: taskId,
      focus: resultRef,
      for: subject.reference,
      owner: owner?.reference ?? author!.reference!,
      ...(author?.reference ? { requester: author.reference } : {}),
      ...(refParts(author)?.type === 'Organization' ? { requesterOrganization: author!.reference } : {}),
      description: text,
      priority: 'stat',
      input: inputs,
      ...(responsible?.serviceRequest ? { basedOn: [responsible.serviceRequest] } : {}),
    });
    const created = started.task;
    // One instant for detection and notification: the engine's start time of the Task.
    if (created.authoredOn) {
      flag.period = { start: created.authoredOn };
      communication.sent = created.authoredOn;
    }
    await tx.create(flag, { assignedId: flagId });
    await tx.create(communication, { assignedId: communicationId });
    await deps.timer.plan(tx.tenant, taskId, now, workflow, tx.db);
    return { task: created, created: true };
  });
  const task = outcome.task;
  if (outcome.notice) await sendNotice(deps, repo, outcome.notice);
  if (task.status !== 'requested') {
    // Acknowledged: told when it was raised (and of any correction above).
  } else if (task.owner?.reference) {
    await deps.notifier.send({
      tenant: repo.tenant,
      recipient: task.owner.reference,
      category: NOTIFICATION_CATEGORY,
      priority: 'stat',
      title: `危急值 · ${patientName ?? ''} ${finding.item.name} ${finding.kind === 'measurement' ? finding.valueText : ''}`
        .replace(/\s+/g, ' ')
        .trim(),
      body: task.description ?? '',
      link: alertLink(task.id!),
      focus: `Task/${task.id}`,
      patient: result.subject?.reference,
      dedupKey: `critical-value:${task.id}`,
    });
  } else {
    deps.log(`critical values: no responsible doctor or institution for ${resultRef}; alert Task/${task.id} has no owner`);
  }
  return { taskId: task.id!, created: outcome.created, item: finding.item.id };
}
