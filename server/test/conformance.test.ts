/**
 * Conformance against data written by others: every official R4 example that is valid R4 round-trips
 * through the API and is found again by each of its own search values; the Synthea patient bundles
 * load as transactions with the right counts per type and come back whole through $everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '@medplum/fhirtypes';
import { loadDefinitions } from '../src/platform/fhir/definitions.js';
import { extractSearchValues } from '../src/platform/fhir/extract.js';
import { FhirError } from '../src/platform/fhir/outcomes.js';
import { getTableModel } from '../src/platform/fhir/schema.js';
import { validateIncoming } from '../src/platform/fhir/validate.js';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';
import { DERIVED_TYPES } from './helpers/derived.js';
import { hasSharedData, readJsonDir } from './helpers/shared-data.js';
import { PROTECTED_TYPES } from '../src/platform/protect/index.js';

afterAll(closeApps);

function withoutMeta(r: any): any {
  const { meta: _meta, ...rest } = r;
  return rest;
}

const escapeValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/\$/g, '\\$');

/** One query that must match the resource: one clause per search parameter that has a value. */
function selfQuery(resource: Resource): [string, string][] {
  const model = getTableModel(resource.resourceType)!;
  const row = extractSearchValues(resource, model);
  const q: [string, string][] = [['_id', resource.id as string]];
  for (const p of model.params.values()) {
    const col = row.columns;
    switch (p.kind) {
      case 'token': {
        const keys = col.get(p.column) as string[] | undefined;
        const key = keys?.find((k) => k.includes('|') && !k.endsWith('|')) ?? keys?.[0];
        if (key) q.push([p.code, escapeValue(key)]);
        break;
      }
      case 'reference': {
        const ref = (col.get(p.column) as string[] | undefined)?.[0];
        if (ref?.startsWith('identifier:')) q.push([`${p.code}:identifier`, escapeValue(ref.slice('identifier:'.length))]);
        else if (ref && !ref.startsWith('#')) q.push([p.code, escapeValue(ref)]);
        break;
      }
      case 'uri': {
        const uri = (col.get(p.column) as string[] | undefined)?.[0];
        if (uri) q.push([p.code, escapeValue(uri)]);
        break;
      }
      case 'string': {
        // Address lines and text are encrypted at rest and not searchable (docs/encryption-at-rest.md).
        if (PROTECTED_TYPES.get(resource.resourceType)?.stringParams.includes(p.code)) break;
        const s = row.strings.find((x) => x.code === p.code);
        if (s) q.push([`${p.code}:exact`, escapeValue(s.exact)]);
        break;
      }
      case 'date':
      case 'number':
      case 'quantity': {
        const lo = col.get(p.column + '_lo');
        const hi = col.get(p.column + '_hi');
        if (lo === undefined || hi === undefined) break;
        const fmt = (v: unknown) => (typeof v === 'number' ? String(v) : String(v));
        if (p.kind === 'date' && (String(lo).startsWith('0001') || String(hi).startsWith('9999'))) break;
        q.push([p.code, `ge${fmt(lo)}`], [p.code, `le${fmt(hi)}`]);
        break;
      }
    }
  }
  return q;
}

const toUrl = (type: string, q: [string, string][]) =>
  `${type}?${q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;

describe.skipIf(!hasSharedData)('official FHIR R4 examples', () => {
  loadDefinitions();
  const examples = hasSharedData ? readJsonDir<Resource>('fhir-r4-examples', 'resources') : [];
  const valid: { file: string; json: Resource }[] = [];
  const invalid: { file: string; reason: string }[] = [];
  for (const e of examples) {
    try {
      validateIncoming(structuredClone(e.json));
      valid.push(e);
    } catch (err) {
      invalid.push({ file: e.file, reason: err instanceof FhirError ? err.message : String(err) });
    }
  }

  it('accepts the great majority of the official examples as valid R4', () => {
    // The rejected ones are genuinely invalid (wrong codes, impossible values); the list is printed for review.
    if (invalid.length)
      console.log(
        `rejected ${invalid.length} of ${examples.length} examples:\n` +
          invalid.map((i) => `  ${i.file}: ${i.reason.slice(0, 160)}`).join('\n'),
      );
    expect(examples.length).toBe(700);
    expect(valid.length).toBeGreaterThanOrEqual(650);
  });

  describe.each(ENGINES)('on %s', (engine) => {
    let c: TestClient;
    beforeAll(async () => {
      c = await testClient(engine);
    });

    it('round-trips every valid example: create → read equals input apart from meta', async () => {
      for (const { file, json } of valid) {
        if (json.resourceType === 'Person') {
          // Person is the resident index's golden record, derived from Patient records: refused as input.
          const refused = await c.request('PUT', `Person/${json.id}`, json);
          expect(refused.statusCode, file).toBe(400);
          expect(refused.json().issue[0].code, file).toBe('business-rule');
          continue;
        }
        const put = await c.request('PUT', `${json.resourceType}/${json.id}`, json);
        expect(put.statusCode, `${file}: ${put.body.slice(0, 300)}`).toBe(201);
        const read = await c.get(`${json.resourceType}/${json.id}`);
        expect(read.statusCode, file).toBe(200);
        expect(withoutMeta(read.json()), file).toEqual(withoutMeta(json));
      }
    });

    it('finds every example again by all of its own search values at once', async () => {
      const misses: string[] = [];
      for (const { file, json } of valid) {
        if (json.resourceType === 'Person') continue;
        // A Subscription's status is the server's: it activates a 'requested' one when it takes it on (docs/events.md).
        const q = selfQuery(json).filter(([code]) => !(json.resourceType === 'Subscription' && code === 'status'));
        const res = await c.get(toUrl(json.resourceType, q));
        if (res.statusCode !== 200 || res.json().entry?.[0]?.resource?.id !== json.id) {
          // Narrow it down to the parameter that failed, for a useful message.
          for (const clause of q.slice(1)) {
            const one = await c.get(toUrl(json.resourceType, [q[0], clause]));
            if (one.statusCode !== 200 || one.json().entry?.[0]?.resource?.id !== json.id) {
              misses.push(
                `${file}: ${clause[0]}=${clause[1]} → ${one.statusCode} ${one.statusCode !== 200 ? one.body.slice(0, 200) : 'no match'}`,
              );
            }
          }
        }
      }
      expect(misses).toEqual([]);
    });
  });
});

describe.skipIf(!hasSharedData)('Synthea patient bundles as transactions', () => {
  const bundles = hasSharedData ? readJsonDir('synthea', 'bundles') : [];
  describe.each(ENGINES)('on %s', (engine) => {
    it('loads all 29 bundles atomically with the right counts per type and a whole $everything', async () => {
      const c = await testClient(engine);
      const expected: Record<string, number> = {};
      for (const { file, json } of bundles) {
        const res = await c.request('POST', '', json);
        expect(res.statusCode, `${file}: ${res.body.slice(0, 300)}`).toBe(200);
        for (const e of json.entry) expected[e.resource.resourceType] = (expected[e.resource.resourceType] ?? 0) + 1;
      }
      expect(bundles.length).toBe(29);
      for (const [type, n] of Object.entries(expected)) {
        const count = (await c.get(`${type}?_summary=count`)).json().total;
        expect(count, type).toBe(n);
      }
      // One resident's whole record, paged.
      const first = bundles[0].json;
      const patientFullUrl = first.entry.find((e: any) => e.resource.resourceType === 'Patient').fullUrl;
      const inCompartment = first.entry.filter(
        (e: any) => JSON.stringify(e.resource).includes(patientFullUrl) || e.fullUrl === patientFullUrl,
      ).length;
      const name = first.entry.find((e: any) => e.resource.resourceType === 'Patient').resource.name[0].family;
      const patient = (await c.get(`Patient?family:exact=${encodeURIComponent(name)}`)).json().entry[0].resource;
      let url: string | undefined = `Patient/${patient.id}/$everything?_count=50`;
      let matches = 0;
      while (url) {
        const page: any = (await c.get(url)).json();
        // The bundle's own records; the modules' derived ones (chronic enrolment, alerts) come on top.
        matches += page.entry.filter((e: any) => e.search.mode === 'match' && !DERIVED_TYPES.includes(e.resource.resourceType)).length;
        url = page.link.find((l: any) => l.relation === 'next')?.url.replace('http://yiwang.test/fhir/R4/', '');
      }
      const ownDerived = first.entry.filter(
        (e: any) =>
          DERIVED_TYPES.includes(e.resource.resourceType) &&
          (JSON.stringify(e.resource).includes(patientFullUrl) || e.fullUrl === patientFullUrl),
      ).length;
      expect(matches).toBe(inCompartment - ownDerived);
    });
  });
});
