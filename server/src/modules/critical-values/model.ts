/**
 * How a critical value is written in FHIR (docs/critical-values.md; others rely on it):
 *   Flag           on the patient, status active until acknowledged (then inactive), category critical-value,
 *                  code = the catalogue item, extension critical-value (value, limit, direction, catalogue version,
 *                  the result, the task), author = the performing lab / institution
 *   Communication  to the responsible doctor, status completed when sent, about = [result, Task], payload in Chinese;
 *                  one more per escalation level (category critical-value-escalation)
 *   Task           the acknowledgement: code critical-value, focus = the result, for = patient, owner = the doctor,
 *                  status requested → completed, businessStatus notified / escalated-N / acknowledged,
 *                  restriction.period.end = due time, input = facts, output = read-back after acknowledgement
 *   Provenance     of the acknowledgement: who, when, read-back, late or not
 * Every resource carries an identifier in CRITICAL_VALUE_SYSTEM derived from the result and the item, so a second
 * delivery of the same event finds the alert instead of raising another.
 */
import type { CodeableConcept, Coding, Extension, Task, TaskInput } from '@medplum/fhirtypes';

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
export const INPUT_SYSTEM = 'urn:yiwang:critical-value-input';
export const BUSINESS_STATUS_SYSTEM = 'urn:yiwang:workflow:critical-value';
export const EXTENSION_URL = 'https://yiwang.cn/fhir/StructureDefinition/critical-value';
export const ACK_EXTENSION_URL = 'https://yiwang.cn/fhir/StructureDefinition/critical-value-acknowledgement';

/** Notification category and the web page that shows an alert. */
export const NOTIFICATION_CATEGORY = 'critical-value';
export const alertLink = (taskId: string): string => `/critical-values/${taskId}`;

/** The identifier value of an alert: one per result and item. */
export const alertKey = (resultRef: string, itemId: string): string => `${resultRef}/${itemId}`;

export function businessStatus(code: string, display: string): CodeableConcept {
  return { coding: [{ system: BUSINESS_STATUS_SYSTEM, code, display }], text: display };
}

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

/** The escalation level a task has reached (0: none); kept in Task.input, since businessStatus moves on at acknowledgement. */
export function escalationLevel(task: Task): number {
  const level = slot(task.input, 'escalation-level')?.valueInteger;
  if (level !== undefined) return level;
  const code = task.businessStatus?.coding?.find((c) => c.system === BUSINESS_STATUS_SYSTEM)?.code ?? '';
  const m = /^escalated-(\d+)$/.exec(code);
  return m ? Number(m[1]) : 0;
}
