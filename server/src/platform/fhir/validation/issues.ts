/**
 * OperationOutcome issue builders, shaped exactly like @medplum/core's createStructureIssue,
 * createConstraintIssue and createProcessingIssue so issues from both validators can be compared field by field.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

type IssueType = OperationOutcomeIssue['code'];

export function issue(code: IssueType, path: string, text: string, diagnostics?: string): OperationOutcomeIssue {
  const result: OperationOutcomeIssue = { severity: 'error', code, details: { text }, expression: [path] };
  if (diagnostics !== undefined) {
    result.diagnostics = diagnostics;
  }
  return result;
}

export function structureIssue(path: string, text: string): OperationOutcomeIssue {
  return issue('structure', path, text);
}

export function additionalPropertyIssue(path: string, key: string): OperationOutcomeIssue {
  return issue('structure', `${path}.${key}`, `Invalid additional property "${key}"`);
}
