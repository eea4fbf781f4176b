/**
 * The hook through which access control is compiled into every query of the store.
 * The platform's access module implements it per caller; the store only asks for SQL conditions.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { SqlParams } from './sql.js';

/** What a write check may ask the store: queries in the caller's tenant and transaction. */
export interface WriteCheckContext {
  tenant: string;
  query<T>(sql: string, params: unknown[]): Promise<T[]>;
}

export interface AccessFilter {
  /** A SQL condition on `alias` (a row of the resource table) limiting what the caller may read; null = everything. */
  readCondition(resourceType: string, alias: string, params: SqlParams): string | null;
  /** Rejects (FhirError 403) a write the caller may not make; runs inside the write's transaction. */
  checkWrite(store: WriteCheckContext, resource: Resource, interaction: 'create' | 'update' | 'delete'): Promise<void>;
}

/** Full access, for the system itself (migrations, imports run by the operator, tests of the store). */
export const systemAccess: AccessFilter = {
  readCondition: () => null,
  checkWrite: async () => undefined,
};
