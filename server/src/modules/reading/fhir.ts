/** Searches and reads through the given repository (so the caller's access policy applies): platform/fhir/lookup.ts. */
import type { Resource } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { readRef } from '../../platform/fhir/lookup.js';

export { findResources } from '../../platform/fhir/lookup.js';

/** Reads 'Type/id'; undefined when missing, deleted or not visible to the repository's caller. */
export const readOptional = <T extends Resource>(repo: Repository, ref: string | undefined): Promise<T | undefined> =>
  readRef<T>(repo, ref);
