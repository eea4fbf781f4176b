/**
 * Errors that already are FHIR OperationOutcomes, with the HTTP status they answer.
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly issues: OperationOutcomeIssue[],
  ) {
    super(issues.map((i) => i.details?.text ?? i.diagnostics ?? i.code).join('; '));
  }

  get outcome(): OperationOutcome {
    return { resourceType: 'OperationOutcome', issue: this.issues };
  }
}

function issue(code: OperationOutcomeIssue['code'], text: string, expression?: string): OperationOutcomeIssue {
  return { severity: 'error', code, details: { text }, ...(expression ? { expression: [expression] } : {}) };
}

export const badRequest = (text: string, expression?: string): FhirError => new FhirError(400, [issue('invalid', text, expression)]);
export const notSupported = (text: string, expression?: string): FhirError =>
  new FhirError(400, [issue('not-supported', text, expression)]);
export const forbidden = (text: string): FhirError => new FhirError(403, [issue('forbidden', text)]);
export const notFound = (text: string): FhirError => new FhirError(404, [issue('not-found', text)]);
export const gone = (text: string): FhirError => new FhirError(410, [issue('deleted', text)]);
export const conflict = (text: string): FhirError => new FhirError(409, [issue('conflict', text)]);
export const preconditionFailed = (text: string): FhirError => new FhirError(412, [issue('conflict', text)]);
export const unprocessable = (text: string, expression?: string): FhirError => new FhirError(422, [issue('processing', text, expression)]);
export const invalidResource = (issues: OperationOutcomeIssue[]): FhirError => new FhirError(400, issues);

export function informational(text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', details: { text } }] };
}

export function warningOutcome(texts: string[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: texts.map((text) => ({ severity: 'warning', code: 'processing', details: { text } })),
  };
}
