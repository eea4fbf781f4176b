/**
 * Every kind of search must be answerable from an index, or it will crawl at county scale. With
 * sequential scans disabled, PostgreSQL still picks one when no index can serve the condition, so a
 * "Seq Scan" in the plan means a missing or unusable index.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Repository } from '../src/platform/fhir/repository.js';
import { parseSearchQuery } from '../src/platform/fhir/search/parse.js';
import { buildWhere } from '../src/platform/fhir/search/search.js';
import { closeApps, ENGINES, sharedApp } from './helpers/db.js';

afterAll(closeApps);

const QUERIES: [string, Record<string, string>][] = [
  ['Patient', { name: '张' }],
  ['Patient', { 'family:exact': 'Zhang' }],
  ['Patient', { identifier: 'urn:oid:2.16.156.10011.1.3|500119195003010011' }],
  ['Patient', { birthdate: 'ge1950-01-01' }],
  ['Patient', { birthdate: 'lt1950-01-01' }],
  ['Observation', { patient: 'Patient/abc', code: 'http://loinc.org|2823-3' }],
  ['Observation', { subject: 'Patient/abc', date: 'ge2024-01-01' }],
  ['Observation', { 'value-quantity': 'gt5' }],
  ['Observation', { 'subject:Patient.name': '张' }],
  ['Encounter', { 'service-provider': 'Organization/o1', status: 'finished' }],
  ['ValueSet', { url: 'http://x/y' }],
  ['Patient', { _lastUpdated: 'gt2024-01-01' }],
];

describe.each(ENGINES)('search plans use indexes on %s', (engine) => {
  it.each(QUERIES)('%s %o', async (type, query) => {
    const yiwang = await sharedApp(engine);
    const plan = await yiwang.db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const repo = new Repository(tx, { tenant: 'plan-check' });
      const where = buildWhere(repo, parseSearchQuery(type, query), { baseUrl: 'http://x' });
      const rows = await tx.query<Record<string, string>>(
        `EXPLAIN SELECT r.content FROM ${where.from} WHERE ${where.sql} LIMIT 20`,
        where.params.values,
      );
      return rows.rows.map((r) => Object.values(r)[0]).join('\n');
    });
    expect(plan).not.toMatch(/Seq Scan/);
    expect(plan).toMatch(/Index|Bitmap/);
  });
});
