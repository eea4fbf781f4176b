/**
 * Bulk import and the resident index: `$import` links its Patients in one batch per chunk (identity/empi/batch.ts)
 * instead of one record at a time. The batches must give the golden records and review pairs that one-by-one
 * writes of the same records in the same order give, link every Patient by the end of the job, and survive an
 * interrupted job (resume without duplicate links or persons).
 */
import { fileURLToPath } from 'node:url';
import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkRunner } from '../src/platform/bulk/runner.js';
import { validateIdNumber } from '../src/platform/identity/id-number.js';
import { RESIDENT_ID_SYSTEM } from '../src/platform/identity/empi/index.js';
import type { PersonRecord } from '../src/platform/identity/matching/index.js';
import { generatePopulation, hasGeographyData, loadGeography, type Population } from '../src/platform/identity/testpop/index.js';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';

afterAll(closeApps);

const DATA = process.env['YIWANG_SHARED_DATA'] ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));
const haveGeography = hasGeographyData(DATA);
const ASYNC = { prefer: 'respond-async' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A labelled population record as a FHIR Patient (fields the store would refuse are left out, as a feed would). */
function toPatient(r: PersonRecord): Patient {
  const birth = r.birthDate?.replace(/^(\d{4})[/]?(\d{2})[/]?(\d{2})$/, '$1-$2-$3');
  const check = r.idNumber ? validateIdNumber(r.idNumber) : undefined;
  const id = check?.valid ? check.idNumber : undefined;
  return {
    resourceType: 'Patient',
    id: `pop-${r.id}`,
    ...(id ? { identifier: [{ system: RESIDENT_ID_SYSTEM, value: id }] } : {}),
    ...(r.name || r.familyName
      ? {
          name: [
            {
              ...(r.name ? { text: r.name } : {}),
              ...(r.familyName ? { family: r.familyName } : {}),
              ...(r.givenName ? { given: [r.givenName] } : {}),
            },
          ],
        }
      : {}),
    ...(birth && /^\d{4}-\d{2}-\d{2}$/.test(birth) ? { birthDate: birth } : {}),
    ...(r.sex === 'male' || r.sex === 'female' ? { gender: r.sex } : {}),
    ...(r.phone ? { telecom: [{ system: 'phone', value: r.phone }] } : {}),
    ...(r.address ? { address: [{ text: r.address }] } : {}),
  } as Patient;
}

/** The golden records of a tenant as sorted lists of their Patient ids, with assurance, and the review pairs. */
async function indexOf(c: TestClient): Promise<{ persons: string[]; links: number; activePersons: number; reviews: string[] }> {
  const db = c.yiwang.db;
  const links = (
    await db.query<{ patient_id: string; person_id: string; assurance: string }>(
      'SELECT patient_id, person_id, assurance FROM empi_link WHERE tenant = $1',
      [c.tenant],
    )
  ).rows;
  const byPerson = new Map<string, string[]>();
  for (const l of links) byPerson.set(l.person_id, [...(byPerson.get(l.person_id) ?? []), `${l.patient_id}:${l.assurance}`]);
  const persons = [...byPerson.values()].map((m) => m.sort().join(' ')).sort();
  const active = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM empi_person WHERE tenant = $1 AND active', [c.tenant]);
  const reviews = (
    await db.query<{ patient_a: string; patient_b: string; status: string }>(
      'SELECT patient_a, patient_b, status FROM empi_review WHERE tenant = $1',
      [c.tenant],
    )
  ).rows
    .map((r) => `${r.patient_a}~${r.patient_b}:${r.status}`)
    .sort();
  return { persons, links: links.length, activePersons: Number(active.rows[0]!.n), reviews };
}

async function importNdjson(c: TestClient, lines: string[]): Promise<string> {
  const res = await c.request('POST', '$import-ndjson', lines.join('\n'), { 'content-type': 'application/fhir+ndjson', ...ASYNC });
  expect(res.statusCode, res.body).toBe(202);
  return new URL(res.headers['content-location'] as string).pathname;
}

async function finished(c: TestClient, status: string): Promise<any> {
  for (let i = 0; i < 2000; i++) {
    const res = await c.get(status);
    if (res.statusCode === 200) return res.json();
    expect(res.statusCode, res.body).toBe(202);
    await sleep(25);
  }
  throw new Error('bulk job did not finish');
}

describe.skipIf(!haveGeography).each(ENGINES)('bulk import and the resident index on %s', (engine) => {
  let pop: Population;
  let patients: Patient[];

  beforeAll(() => {
    // Households share phones and addresses; a share of residents have a second record with errors.
    pop = generatePopulation({ seed: 11, records: 160, geography: loadGeography(DATA) });
    patients = pop.records.map(toPatient);
  });

  it('links every Patient in batches exactly as one-by-one writes do (same persons, assurance and reviews)', async () => {
    const oneByOne = await testClient(engine);
    for (const p of patients) {
      const res = await oneByOne.request('PUT', `Patient/${p.id}`, p);
      expect(res.statusCode, res.body).toBe(201);
    }
    const expected = await indexOf(oneByOne);
    expect(expected.links).toBe(patients.length);
    // The population has duplicates: some persons link several records.
    expect(expected.persons.some((p) => p.includes(' '))).toBe(true);

    const bulk = await testClient(engine);
    const runner = bulk.yiwang.bulk;
    const chunkSize = runner.chunkSize;
    runner.chunkSize = 7; // duplicates fall within one chunk and across chunks
    try {
      const manifest = await finished(
        bulk,
        await importNdjson(
          bulk,
          patients.map((p) => JSON.stringify(p)),
        ),
      );
      expect(manifest.output).toEqual([{ type: 'Patient', count: patients.length }]);
    } finally {
      runner.chunkSize = chunkSize;
    }
    const got = await indexOf(bulk);
    expect(got.links).toBe(patients.length);
    expect(got.persons).toEqual(expected.persons);
    expect(got.activePersons).toBe(expected.activePersons);
    expect(got.reviews).toEqual(expected.reviews);
    // The golden records are served as FHIR Person, as for one-by-one writes.
    const person = (await bulk.get(`Person?patient=Patient/${patients[0]!.id}`)).json();
    expect(person.entry).toHaveLength(1);
  }, 300_000);

  it('an interrupted import resumes: every Patient linked once, no duplicate persons, same result as one go', async () => {
    const c = await testClient(engine);
    const subset = patients.slice(0, 60);
    await c.yiwang.bulk.stop();
    const status = await importNdjson(
      c,
      subset.map((p) => JSON.stringify(p)),
    );
    let chunks = 0;
    const first = new BulkRunner(c.yiwang.db, { chunkSize: 9 });
    first.afterChunk = () => {
      if (++chunks === 3) void first.stop();
    };
    first.start();
    await first.idle();
    expect((await c.get(status)).statusCode).toBe(202);
    const partial = await indexOf(c);
    expect(partial.links).toBe(27); // three committed chunks, each with its links

    const second = new BulkRunner(c.yiwang.db, { chunkSize: 9 });
    second.start();
    await second.idle();
    c.yiwang.bulk.start();
    const manifest = await finished(c, status);
    expect(manifest.output).toEqual([{ type: 'Patient', count: subset.length }]);
    const got = await indexOf(c);
    expect(got.links).toBe(subset.length);
    const versions = await c.yiwang.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM empi_person_history WHERE tenant = $1 AND reason = 'new resident'",
      [c.tenant],
    );
    // One founding version per person ever created: none created twice by the resumed job.
    const persons = await c.yiwang.db.query<{ n: number }>('SELECT count(*)::int AS n FROM empi_person WHERE tenant = $1', [c.tenant]);
    expect(Number(versions.rows[0]!.n)).toBe(Number(persons.rows[0]!.n));

    // The same records in one uninterrupted job give the same golden records.
    const again = await testClient(engine);
    await finished(
      again,
      await importNdjson(
        again,
        subset.map((p) => JSON.stringify(p)),
      ),
    );
    expect(got.persons).toEqual((await indexOf(again)).persons);
    expect(got.reviews).toEqual((await indexOf(again)).reviews);
  }, 300_000);

  it('a Patient written again by a later import keeps its golden record', async () => {
    const c = await testClient(engine);
    const subset = patients.slice(0, 30);
    await finished(
      c,
      await importNdjson(
        c,
        subset.map((p) => JSON.stringify(p)),
      ),
    );
    const before = await indexOf(c);
    await finished(
      c,
      await importNdjson(
        c,
        subset.map((p) => JSON.stringify(p)),
      ),
    );
    const after = await indexOf(c);
    expect(after.persons).toEqual(before.persons);
    expect(after.activePersons).toBe(before.activePersons);
  });
});
