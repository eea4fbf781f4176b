/** Small helpers to build test data through the public API. */
import type { TestClient } from './db.js';

/** Creates resources in one transaction bundle; returns their ids in order. */
export async function createAll(c: TestClient, resources: any[]): Promise<string[]> {
  const res = await c.request('POST', '', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource, i) => ({
      fullUrl: resource.fullUrl ?? `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resource: { ...resource, fullUrl: undefined },
      request: { method: 'POST', url: resource.resourceType },
    })),
  });
  if (res.statusCode !== 200) throw new Error(`transaction failed: ${res.body}`);
  return res.json().entry.map((e: any) => /([A-Za-z]+)\/([^/]+)\/_history/.exec(e.response.location)![2]);
}

export function ids(bundle: any): string[] {
  return (bundle.entry ?? []).filter((e: any) => e.search?.mode === 'match').map((e: any) => e.resource.id);
}

export function relative(url: string): string {
  return url.replace('http://yiwang.test/fhir/R4/', '');
}
