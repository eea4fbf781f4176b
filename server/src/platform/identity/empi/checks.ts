/** Resident ID numbers (GB 11643) on Patient writes: a wrong one is refused with what is wrong and where. */
import type { OperationOutcomeIssue, Patient, Resource } from '@medplum/fhirtypes';
import { validateIdNumber } from '../id-number.js';
import { RESIDENT_ID_SYSTEM } from './person.js';

export function checkResidentIdNumbers(resource: Resource): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  (resource as Patient).identifier?.forEach((identifier, i) => {
    if (identifier.system !== RESIDENT_ID_SYSTEM || identifier.value === undefined) return;
    const result = validateIdNumber(identifier.value);
    if (!result.valid) {
      issues.push({
        severity: 'error',
        code: 'value',
        details: { text: `Invalid resident ID number (居民身份证号): ${result.message} — ${result.messageZh}` },
        expression: [`Patient.identifier[${i}].value`],
      });
    }
  });
  return issues;
}
