/**
 * How a critical value is written in FHIR (docs/critical-values.md; others rely on it):
 *   Flag           on the patient, status active until acknowledged (then inactive), category critical-value,
 *                  code = the catalogue item, extension critical-value (value, limit, direction, catalogue version,
 *                  the result, the task), author = the performing lab / institution
 *   Communication  to the responsible doctor, status completed when sent, about = [result, Task], payload in Chinese;
 *                  one more per escalation level (category critical-value-escalation)
 *   Task           the acknowledgement, run by the platform workflow engine (workflow 'critical-value'): focus = the
 *                  result, for = patient, owner = the doctor, status requested → completed, businessStatus notified →
 *                  acknowledged, restriction.period.end = due time, escalation-level extension, input = facts,
 *                  output = read-back after acknowledgement; its id is derived from the result and the item
 *   Provenance     of the acknowledgement: who, when, read-back, late or not
 * A corrected result that is no longer critical withdraws an open alert (Task cancelled, state 'withdrawn', Flag
 * inactive); every correction the doctor is told of is a Communication (category critical-value-correction) named in
 * the Task's output 'correction-notice' (correct.ts).
 * Flag and Communications carry an identifier in CRITICAL_VALUE_SYSTEM derived from the result and the item, and the
 * Task's id is derived from the same key, so a second delivery of the same event finds the alert instead of raising
 * another.
 */
import { createHash } from 'node:crypto';
import type { CodeableConcept, Coding, Extension, Task, TaskInput } from '@medplum/fhirtypes';
import { WORKFLOW_CANONICAL_BASE } from '../../platform/workflow/definition.js';
import { ESCALATION_EXTENSION, WORKFLOW_SYSTEM } from '../../platform/workflow/fhir.js';

export const CRITICAL_VALUE_SYSTEM = 'urn:yiwang:critical-value';
export const ITEM_SYSTEM = 'urn:yiwang:critical-value-item';
export const FLAG_CATEGORY: Coding = { system: 'urn:yiwang:flag-category', code: 'critical-value', display: '危急值 Critical value' };
export const COMMUNICATION_CATEGORY: Coding = {
  system: 'urn:yiwang:communication-category',
  code: 'critical-value',
  display: '危急值通知 Critical value notification',
};
export const ESCALATION_CATEGORY: Coding = {
  system: 'urn:yiwang:communication-category',
  code: 'critical-value-escalation',
  display: '危急值升级 Critical value escalation',
};
export const CORRECTION_CATEGORY: Coding = {
  system: 'urn:yiwang:communication-category',
  code: 'critical-value-correction',
  display: '危急值结果更正 Critical value result corrected',
};
/** On a correction Communication: outcome (withdrawn, value-updated, corrected-after-acknowledgement), value, stillCritical. */
export const CORRECTION_EXTENSION_URL = 'https://yiwang.cn/fhir/StructureDefinition/critical-value-correction';
/** Notification category of a correction notice (urgent, not the stat alarm of a new critical value). */
export const CORRECTION_NOTIFICATION_CATEGORY = 'critical-value-correction';
/** The workflow state of an alert withdrawn because its result was corrected (Task status cancelled). */
export const WITHDRAWN_STATE = 'withdrawn';
export const INPUT_SYSTEM = 'urn:yiwang:critical-value-input';
/** Task.code of the alerts (the engine's workflow code): `Task?code=${TASK_CODE}`. */
export const TASK_CODE = `${WORKFLOW_SYSTEM}|critical-value`;
export const EXTENSION_URL = 'https://yiwang.cn/fhir/StructureDefinition/critical-value';
export const ACK_EXTENSION_URL = 'https://yiwang.cn/fhir/StructureDefinition/critical-value-acknowledgement';

/** Notification category and the web page that shows an alert. */
export const NOTIFICATION_CATEGORY = 'critical-value';
export const alertLink = (taskId: string): string => `/critical-values/${taskId}`;

/** The identifier value of an alert: one per result and item. */
export const alertKey = (resultRef: string, itemId: string): string => `${resultRef}/${itemId}`;

/** The Task id of an alert: a UUID-shaped digest of tenant and key, so the same alert always has the same Task. */
export function alertTaskId(tenant: string, key: string): string {
  const h = createHash('sha256').update(`critical-value|${tenant}|${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A Task of the critical-value workflow (any version). */
export const isAlertTask = (task: Task): boolean => !!task.instantiatesCanonical?.startsWith(`${WORKFLOW_CANONICAL_BASE}critical-value|`);

export function input(code: string, value: Omit<TaskInput, 'type'>): TaskInput {
  return { type: { coding: [{ system: INPUT_SYSTEM, code }] }, ...value } as TaskInput;
}

/** A Task.input or Task.output entry by its type code. */
export function slot<T extends { type: CodeableConcept }>(list: readonly T[] | undefined, code: string): T | undefined {
  return list?.find((i) => i.type.coding?.some((c) => c.system === INPUT_SYSTEM && c.code === code));
}

export function extension(url: string, value: Omit<Extension, 'url'>): Extension {
  return { url, ...value } as Extension;
}

/**
 * The escalation level an alert reached (0: none). Kept in Task.input: the engine's escalation extension (also kept up
 * to date, for its worklists) is reset by every transition, acknowledgement included.
 */
export function escalationLevel(task: Task): number {
  return (
    slot(task.input, 'escalation-level')?.valueInteger ?? task.extension?.find((e) => e.url === ESCALATION_EXTENSION)?.valueInteger ?? 0
  );
}
