/**
 * The hook through which access control is compiled into every query of the store.
 * The platform's access module implements it per caller; the store only asks for SQL conditions.
 */
import type { Resource } from '@medplum/fhirtypes';
import { forbidden } from './outcomes.js';
import type { SqlParams } from './sql.js';

/** What a write check may ask the store: queries in the caller's tenant and transaction. */
export interface WriteCheckContext {
  tenant: string;
  query<T>(sql: string, params: unknown[]): Promise<T[]>;
}

/** The RESTful interactions access is decided on (SMART scope letters c r u d s). */
export type AccessInteraction = 'read' | 'search' | 'create' | 'update' | 'delete';

export interface AccessFilter {
  /**
   * Rejects (FhirError 403) an interaction the caller may never make on this type (missing SMART scope, role
   * without access to personal data). Row-level limits are in `readCondition` and `checkWrite`.
   */
  checkInteraction?(resourceType: string, interaction: AccessInteraction): void;
  /**
   * A SQL condition on `alias` (a row of the resource table) limiting what the caller may read; null = everything,
   * 'false' = nothing of this type. Contract: a row in the compartment of a Patient the caller may read is readable
   * unless its type answers 'false' ($everything relies on it).
   */
  readCondition(resourceType: string, alias: string, params: SqlParams): string | null;
  /** Rejects (FhirError 403) a write the caller may not make; runs inside the write's transaction. */
  checkWrite(store: WriteCheckContext, resource: Resource, interaction: 'create' | 'update' | 'delete'): Promise<void>;
  /** True when nothing limits the caller (the platform itself, administrators): needed for bulk operations. */
  unrestricted?: boolean;
}

/** Full access, for the system itself (migrations, imports run by the operator, tests of the store). */
export const systemAccess: AccessFilter = {
  readCondition: () => null,
  checkWrite: async () => undefined,
  unrestricted: true,
};

/** No access at all: for requests without a caller (public routes such as the CapabilityStatement). */
export const noAccess: AccessFilter = {
  readCondition: () => 'false',
  checkWrite: async () => {
    throw forbidden('Sign in first');
  },
  checkInteraction: () => {
    throw forbidden('Sign in first');
  },
};
