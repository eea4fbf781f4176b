/**
 * The record-store lookups this module uses (platform/fhir/lookup.ts), and the institution above another.
 */
import type { Reference, Resource } from '@medplum/fhirtypes';
import type { Repository } from '../../platform/fhir/repository.js';
import { readRef } from '../../platform/fhir/lookup.js';

export { findResources as find, nameOf, readRef, refParts } from '../../platform/fhir/lookup.js';

/** The institution above `organization` in the partOf tree (village clinic → township centre), if any. */
export async function parentOrganization(repo: Repository, organization: string | undefined): Promise<string | undefined> {
  const org = await readRef<{ resourceType: 'Organization'; partOf?: Reference } & Resource>(repo, organization, 'Organization');
  return org?.partOf?.reference;
}
