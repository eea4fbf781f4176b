/**
 * Accuracy of the resident index on a labelled synthetic 南川 population (and FEBRL), plus generator checks.
 * Reads the shared public data (../shared/data); skipped with a message when it is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateIdNumber } from '../src/platform/identity/id-number.js';
import { dedupe, pairwiseMetrics, type DedupeResult, type PersonRecord } from '../src/platform/identity/matching/index.js';
import {
  generatePopulation,
  hasGeographyData,
  loadGeography,
  type Geography,
  type Population,
} from '../src/platform/identity/testpop/index.js';

const DATA = process.env['YIWANG_SHARED_DATA'] ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));
const haveGeography = hasGeographyData(DATA);
const FEBRL = join(DATA, 'record-linkage', 'febrl');
if (!haveGeography) console.warn(`identity-population: shared data not found at ${DATA}; population tests skipped`);

/** People whose records share a cluster. */
function mergedPersons(pop: Population, res: DedupeResult, a: string, b: string): boolean {
  const clustersOf = (pid: string) => new Set(pop.truth.flatMap((p, i) => (p === pid ? [res.assignment[i]] : [])));
  const ca = clustersOf(a);
  return [...clustersOf(b)].some((c) => ca.has(c));
}

describe.skipIf(!haveGeography)('synthetic population (南川 500119)', () => {
  let geo: Geography;
  let pop: Population;
  let res: DedupeResult;

  beforeAll(() => {
    geo = loadGeography(DATA);
    pop = generatePopulation({ seed: 2024, records: 5000, geography: geo });
    res = dedupe(pop.records);
  });

  it('loads the county and its 34 towns from the admin-division tables', () => {
    expect(geo).toMatchObject({ countyCode: '500119', countyName: '南川区', cityName: '重庆市' });
    expect(geo.towns).toHaveLength(34);
    expect(geo.towns.map((t) => t.name)).toContain('三泉镇');
    expect(geo.otherCounties.some((c) => c.code.startsWith('50'))).toBe(true);
  });

  it('is deterministic for a seed', () => {
    const again = generatePopulation({ seed: 2024, records: 300, geography: geo });
    expect(generatePopulation({ seed: 2024, records: 300, geography: geo })).toEqual(again);
    expect(generatePopulation({ seed: 2025, records: 300, geography: geo }).records).not.toEqual(again.records);
  });

  it('has the requested size, ground truth, duplicates and twins', () => {
    expect(pop.records).toHaveLength(5000);
    expect(pop.truth).toHaveLength(5000);
    expect(new Set(pop.records.map((r) => r.id)).size).toBe(5000);
    expect(pop.persons).toBeLessThan(4000);
    expect(pop.twins.length).toBeGreaterThan(3);
  });

  it('issues valid Chongqing ID numbers, mostly 南川, with birth date and sex consistent', () => {
    const ids = pop.records.filter((r) => r.idNumber?.length === 18);
    const valid = ids.map((r) => ({ r, v: validateIdNumber(r.idNumber!, { today: '2024-06-30' }) })).filter((x) => x.v.valid);
    // Only deliberately mistyped numbers fail.
    expect(valid.length / ids.length).toBeGreaterThan(0.98);
    const nanchuan = valid.filter((x) => x.v.valid && x.v.regionCode === '500119').length;
    expect(nanchuan / valid.length).toBeGreaterThan(0.8);
    for (const { r, v } of valid) if (v.valid) expect(r.sex).toMatch(/male|female/);
  });

  it("addresses use the county's towns; phones are Chinese mobiles", () => {
    const towns = geo.towns.map((t) => t.name.slice(0, 2));
    const withAddress = pop.records.filter((r) => r.address);
    const known = withAddress.filter((r) => towns.some((t) => r.address!.includes(t)));
    expect(known.length / withAddress.length).toBeGreaterThan(0.9);
    for (const r of pop.records) if (r.phone) expect(r.phone).toMatch(/^1\d{10}$/);
  });

  it('introduces every kind of realistic error', () => {
    for (const kind of [
      'name:homophone',
      'name:多音字',
      'name:dialect',
      'birth:swapped',
      'birth:digit',
      'id:missing',
      'id:legacy-15',
      'phone:family',
      'address:typo',
    ]) {
      expect(pop.errors[kind] ?? 0, kind).toBeGreaterThan(0);
    }
    expect(pop.records.some((r) => r.idNumber?.length === 15)).toBe(true);
  });

  it('dedupe reaches precision ≥ 0.995 and recall ≥ 0.98', () => {
    const m = pairwiseMetrics(res.assignment, pop.truth);
    expect(m.truePairs).toBeGreaterThan(1000);
    expect(m.precision).toBeGreaterThanOrEqual(0.995);
    expect(m.recall).toBeGreaterThanOrEqual(0.98);
  });

  it('never merges twins', () => {
    for (const [a, b] of pop.twins) expect(mergedPersons(pop, res, a, b), `${a} ~ ${b}`).toBe(false);
  });

  it('holds on another seed with more twins', () => {
    const other = generatePopulation({ seed: 7, records: 5000, geography: geo, twinRate: 0.1 });
    const r = dedupe(other.records);
    const m = pairwiseMetrics(r.assignment, other.truth);
    expect(m.precision).toBeGreaterThanOrEqual(0.995);
    expect(m.recall).toBeGreaterThanOrEqual(0.98);
    expect(other.twins.length).toBeGreaterThan(20);
    for (const [a, b] of other.twins) expect(mergedPersons(other, r, a, b), `${a} ~ ${b}`).toBe(false);
  });
});

describe.skipIf(!existsSync(FEBRL))('FEBRL (English names: string features)', () => {
  it('links dataset 1 with high precision', () => {
    const lines = readFileSync(join(FEBRL, 'dataset1.csv'), 'utf8').split(/\r?\n/).filter(Boolean);
    const header = lines[0]!.split(',').map((h) => h.trim());
    const records: PersonRecord[] = [];
    const truth: string[] = [];
    for (const line of lines.slice(1)) {
      const cells = line.split(',').map((c) => c.trim());
      const f = (k: string) => cells[header.indexOf(k)] || undefined;
      records.push({
        id: f('rec_id')!,
        givenName: f('given_name'),
        familyName: f('surname'),
        birthDate: f('date_of_birth'),
        idNumber: f('soc_sec_id'),
        address: ['street_number', 'address_1', 'address_2', 'suburb', 'postcode', 'state'].map(f).filter(Boolean).join(' '),
      });
      truth.push(/^rec-(\d+)-/.exec(f('rec_id')!)![1]!);
    }
    const m = pairwiseMetrics(dedupe(records).assignment, truth);
    expect(m.precision).toBeGreaterThanOrEqual(0.99);
    expect(m.recall).toBeGreaterThanOrEqual(0.9);
  });
});
