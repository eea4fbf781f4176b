/**
 * The reference implementation: @medplum/core's validateResource, normalised for comparisons (tests, bench)
 * and used as a fallback for schemas with profile features the compiler does not handle.
 *
 * medplum throws an OperationOutcomeError when a resource has errors (and returns only warnings otherwise),
 * throws plain errors on some malformed input, and may mutate its input (primitive-extension merging), so the
 * input is cloned first.
 */
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { loadDefinitions } from '../definitions.js';

export interface ReferenceResult {
  /** Issues of severity error (from the OperationOutcomeError medplum throws). */
  errors: OperationOutcomeIssue[];
  /** Any other exception medplum threw (it is not an OperationOutcomeError). */
  exception?: unknown;
}

export function validateResourceReference(resource: unknown, clone = true): ReferenceResult {
  loadDefinitions();
  try {
    const input = clone && resource !== undefined ? structuredClone(resource) : resource;
    validateResource(input as Resource);
    return { errors: [] };
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      return { errors: (err.outcome.issue ?? []).filter((i) => i.severity === 'error') };
    }
    return { errors: [], exception: err };
  }
}
