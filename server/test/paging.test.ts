import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';
import { relative } from './helpers/fixtures.js';

afterAll(closeApps);

const TOTAL = 10_050;

describe.each(ENGINES)('cursor paging beyond 10 000 results on %s', (engine) => {
  let c: TestClient;
  beforeAll(async () => {
    c = await testClient(engine);
    for (let start = 0; start < TOTAL; start += 2010) {
      const entry = Array.from({ length: Math.min(2010, TOTAL - start) }, (_, i) => ({
        resource: {
          resourceType: 'Observation',
          status: (start + i) % 3 === 0 ? 'final' : 'amended',
          code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
          valueQuantity: { value: (start + i) % 97, unit: '/min' },
        },
        request: { method: 'POST', url: 'Observation' },
      }));
      const res = await c.request('POST', '', { resourceType: 'Bundle', type: 'transaction', entry });
      expect(res.statusCode).toBe(200);
    }
  }, 300_000);

  async function walk(url: string, relation: 'next' | 'previous'): Promise<string[][]> {
    const pages: string[][] = [];
    let next: string | undefined = url;
    while (next) {
      const res = await c.get(next);
      expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
      const body = res.json();
      pages.push((body.entry ?? []).map((e: any) => e.resource.id));
      const link = body.link.find((l: any) => l.relation === relation);
      next = link ? relative(link.url) : undefined;
    }
    return pages;
  }

  it('visits every result exactly once going forward, and the same pages going back', async () => {
    const pages = await walk('Observation?code=8867-4&_count=1000', 'next');
    const all = pages.flat();
    expect(all).toHaveLength(TOTAL);
    expect(new Set(all).size).toBe(TOTAL);
    expect(pages).toHaveLength(11);
    // From the last page, walk back with the previous links.
    const last = await c.get('Observation?code=8867-4&_count=1000');
    let page = last.json();
    for (let i = 0; i < 10; i++) page = (await c.get(relative(page.link.find((l: any) => l.relation === 'next').url))).json();
    const backwards: string[][] = [];
    let prev = page.link.find((l: any) => l.relation === 'previous');
    while (prev) {
      const body = (await c.get(relative(prev.url))).json();
      backwards.unshift(body.entry.map((e: any) => e.resource.id));
      prev = body.link.find((l: any) => l.relation === 'previous');
    }
    expect(backwards).toEqual(pages.slice(0, 10));
  }, 300_000);

  it('stays correct with many ties in the sort key and a descending numeric sort', async () => {
    const byStatus = (await walk('Observation?_sort=status&_count=997', 'next')).flat();
    expect(new Set(byStatus).size).toBe(TOTAL);
    const byValue = await walk('Observation?_sort=-value-quantity&_count=1000&_total=none', 'next');
    const ids = byValue.flat();
    expect(new Set(ids).size).toBe(TOTAL);
    const first = (await c.get('Observation?_sort=-value-quantity&_count=1')).json().entry[0].resource;
    expect(first.valueQuantity.value).toBe(96);
  }, 300_000);

  it('estimates large totals and counts exactly on request', async () => {
    expect((await c.get('Observation?code=8867-4&_total=accurate&_count=0')).json().total).toBe(TOTAL);
    // Without _total a plain search stays one statement: no total while more pages follow, exact when one page holds all.
    expect((await c.get('Observation?code=8867-4&_count=10')).json().total).toBeUndefined();
    expect((await c.get('Observation?code=8867-4&_count=100&value-quantity=96&status=final')).json().total).toBeGreaterThan(10);
    const estimate = (await c.get('Observation?code=8867-4&_total=estimate&_count=0')).json().total;
    expect(estimate).toBeGreaterThan(TOTAL / 3);
    expect(estimate).toBeLessThan(TOTAL * 3);
  });
});
