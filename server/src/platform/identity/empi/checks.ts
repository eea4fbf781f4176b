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

/**
 * Resource check on Person: golden records are derived from the linked Patient records by the resident index and
 * served read-only, so a Person sent by a client (REST, transaction, bulk import) is refused with a clear reason.
 */
export function refusePersonWrites(): OperationOutcomeIssue[] {
  return [
    {
      severity: 'error',
      code: 'business-rule',
      details: {
        text: 'Person resources are the resident index’s golden records (主索引): they are built from linked Patient records and cannot be written; write the Patient, or use Patient/$merge',
      },
      expression: ['Person'],
    },
  ];
}
