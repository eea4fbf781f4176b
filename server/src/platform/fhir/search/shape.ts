/** `_summary` and `_elements`: return only part of each resource, marked SUBSETTED as FHIR requires. */
import type { Resource } from '@medplum/fhirtypes';
import { loadDefinitions } from '../definitions.js';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

function keep(resource: Resource, allowed: (key: string) => boolean): Resource {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(resource)) if (k === 'resourceType' || k === 'id' || k === 'meta' || allowed(k)) out[k] = v;
  const meta = { ...((out.meta as object) ?? {}) } as { tag?: unknown[] };
  meta.tag = [...(meta.tag ?? []), SUBSETTED];
  out.meta = meta;
  return out as unknown as Resource;
}

export function shapeResource(resource: Resource, summary?: string, elements?: string[]): Resource {
  const defs = loadDefinitions();
  if (elements?.length) {
    const wanted = new Set(elements.map((e) => e.replace(/^[A-Z][A-Za-z]+\./, '').split('.')[0]));
    return keep(
      resource,
      (k) => wanted.has(k.replace(/^_/, '')) || [...wanted].some((w) => k.startsWith(w) && /^[A-Z]/.test(k.slice(w.length))),
    );
  }
  switch (summary) {
    case 'true': {
      const summaryElements = defs.summaryElements.get(resource.resourceType) ?? new Set<string>();
      return keep(resource, (k) => [...summaryElements].some((s) => k === s || (k.startsWith(s) && /^[A-Z]/.test(k.slice(s.length)))));
    }
    case 'text':
      return keep(resource, (k) => k === 'text');
    case 'data':
      return keep(resource, (k) => k !== 'text');
    default:
      return resource;
  }
}
