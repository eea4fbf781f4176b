/**
 * The hook through which access control is compiled into every query of the store.
 * The platform's access module implements it per caller; the store only asks for SQL conditions.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { SqlParams } from './sql.js';

export interface AccessFilter {
  /** A SQL condition on `alias` (a row of the resource table) limiting what the caller may read; null = everything. */
  readCondition(resourceType: string, alias: string, params: SqlParams): string | null;
  /** Throws a FhirError when the caller may not write this resource. */
  assertCanWrite(resource: Resource, interaction: 'create' | 'update' | 'delete'): void;
}

/** Full access, for the system itself (migrations, imports run by the operator, tests of the store). */
export const systemAccess: AccessFilter = {
  readCondition: () => null,
  assertCanWrite: () => undefined,
};
