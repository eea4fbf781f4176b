/**
 * What exactly is signed: one version of one resource, in a canonical form (RFC 8785 JSON Canonicalization
 * Scheme, via `canonicalize`), without `meta` (server bookkeeping that changes without the content changing).
 * The version reference is part of the signed text, so a signature cannot be moved to another resource.
 */
import type { Resource } from '@medplum/fhirtypes';
import canonicalize from 'canonicalize';

export const SIGNATURE_DOCUMENT_VERSION = 'yiwang-sig-v1';

export function signedDocument(resource: Resource): string {
  const { meta, ...content } = resource;
  const ref = `${resource.resourceType}/${resource.id}/_history/${meta?.versionId ?? ''}`;
  return `${SIGNATURE_DOCUMENT_VERSION}\n${ref}\n${canonicalize(content) ?? ''}`;
}
