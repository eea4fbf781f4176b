/**
 * Stored resources are sent as the text they were stored as: a read or a search page needs no
 * JSON.parse and JSON.stringify of every resource, which was most of the cost of large answers
 * such as `$everything`.
 */
import type { Bundle } from '@medplum/fhirtypes';

export class RawJson {
  constructor(readonly text: string) {}

  parse<T>(): T {
    return JSON.parse(this.text) as T;
  }
}

export function entryText(
  baseUrl: string,
  resourceType: string,
  id: string,
  content: string,
  mode: 'match' | 'include' | 'outcome',
): string {
  const fullUrl = mode === 'outcome' ? '' : `"fullUrl":${JSON.stringify(`${baseUrl}/${resourceType}/${id}`)},`;
  return `{${fullUrl}"resource":${content},"search":{"mode":"${mode}"}}`;
}

/** A Bundle whose entries are already serialised. */
export function bundleText(head: Omit<Bundle, 'entry'>, entries: string[]): RawJson {
  const json = JSON.stringify(head);
  if (!entries.length) return new RawJson(json);
  return new RawJson(`${json.slice(0, -1)},"entry":[${entries.join(',')}]}`);
}

const REFERENCE_RE = /"reference":"([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})"/g;

/** Every literal relative reference ('Type/id') in a stored resource, found without parsing it. */
export function referencesIn(content: string, into: Map<string, Set<string>>): void {
  for (const m of content.matchAll(REFERENCE_RE)) {
    const set = into.get(m[1]) ?? new Set<string>();
    set.add(m[2]);
    into.set(m[1], set);
  }
}
