/**
 * Patient/$merge and Patient/$unmerge: the source retired with link replaced-by, the target with link replaces,
 * clinical resources re-pointed as new versions (history keeps the past), golden records combined — and an
 * unmerge that restores all of it, again as new versions; the library functions used by HL7 v2 ADT^A40.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Repository } from '../src/platform/fhir/repository.js';
import { RESIDENT_ID_SYSTEM } from '../src/platform/identity/empi/index.js';
import { mergePatients, unmergePatients } from '../src/platform/identity/empi/merge.js';
import { closeApps, ENGINES, sharedApp, testClient, type TestClient } from './helpers/db.js';

afterAll(closeApps);

const resident = (family: string, given: string, birthDate: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  name: [{ family, given: [given] }],
  birthDate,
  gender: 'male',
  ...extra,
});

const params = (source: string, target: string, reason?: string) => ({
  resourceType: 'Parameters',
  parameter: [
    { name: 'source-patient', valueReference: { reference: `Patient/${source}` } },
    { name: 'target-patient', valueReference: { reference: `Patient/${target}` } },
    ...(reason ? [{ name: 'reason', valueString: reason }] : []),
  ],
});

async function create(c: TestClient, body: any): Promise<string> {
  const res = await c.request('POST', body.resourceType, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

const personOf = async (c: TestClient, id: string) => (await c.get(`Person?patient=${id}`)).json().entry[0].resource;
const targets = (person: any): string[] => person.link.map((l: any) => l.target.reference).sort();

describe.each(ENGINES)('Patient $merge and $unmerge on %s', (engine) => {
  it('merges: re-points the clinical data, retires the source, combines the golden records; unmerge restores', async () => {
    const c = await testClient(engine);
    // Two records of one man that the index could not link (no ID number, another birth date).
    const source = await create(c, resident('陈', '建国', '1949-10-01', { telecom: [{ system: 'phone', value: '13500000001' }] }));
    const target = await create(c, resident('陈', '建国', '1950-10-01'));
    const obs = await create(c, {
      resourceType: 'Observation',
      status: 'final',
      code: { text: '血压' },
      subject: { reference: `Patient/${source}` },
    });
    const sourcePerson = (await personOf(c, source)).id;
    expect((await personOf(c, target)).id).not.toBe(sourcePerson);

    const res = await c.request('POST', 'Patient/$merge', params(source, target, '同一人：户籍核实'));
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json();
    expect(out.parameter.find((p: any) => p.name === 'result').resource.id).toBe(target);
    expect(out.parameter.filter((p: any) => p.name === 'moved').map((p: any) => p.valueReference.reference)).toEqual([
      `Observation/${obs}`,
    ]);

    const retired = (await c.get(`Patient/${source}`)).json();
    expect(retired.active).toBe(false);
    expect(retired.link).toEqual([{ other: { reference: `Patient/${target}` }, type: 'replaced-by' }]);
    const survivor = (await c.get(`Patient/${target}`)).json();
    expect(survivor.link).toEqual([{ other: { reference: `Patient/${source}` }, type: 'replaces' }]);
    const moved = (await c.get(`Observation/${obs}`)).json();
    expect(moved.subject.reference).toBe(`Patient/${target}`);
    expect(moved.meta.versionId).toBe('2');
    const history = (await c.get(`Observation/${obs}/_history`)).json();
    expect(history.entry.map((e: any) => e.resource.subject.reference)).toEqual([`Patient/${target}`, `Patient/${source}`]);
    expect((await c.get(`Observation?subject=Patient/${target}`)).json().entry).toHaveLength(1);
    const combined = await personOf(c, target);
    expect(targets(combined)).toEqual([`Patient/${source}`, `Patient/${target}`].sort());
    expect((await personOf(c, source)).id).toBe(combined.id);
    // The survivor's values come first in the golden record; the retired record's phone is kept.
    expect(combined.birthDate).toBeDefined();
    expect(combined.telecom).toEqual([{ system: 'phone', value: '13500000001' }]);
    // Merging a retired record again is refused.
    expect((await c.request('POST', 'Patient/$merge', params(source, target))).statusCode).toBe(409);

    // Unmerge: everything back, as new versions.
    const undo = await c.request('POST', 'Patient/$unmerge', params(source, target, '误合并'));
    expect(undo.statusCode, undo.body).toBe(200);
    const back = (await c.get(`Observation/${obs}`)).json();
    expect(back.subject.reference).toBe(`Patient/${source}`);
    expect(back.meta.versionId).toBe('3');
    const restored = (await c.get(`Patient/${source}`)).json();
    expect(restored.active).toBeUndefined();
    expect(restored.link).toBeUndefined();
    expect(restored.meta.versionId).toBe('3');
    expect((await c.get(`Patient/${target}`)).json().link).toBeUndefined();
    expect((await personOf(c, source)).id).toBe(sourcePerson);
    expect(targets(await personOf(c, source))).toEqual([`Patient/${source}`]);
    expect(targets(await personOf(c, target))).toEqual([`Patient/${target}`]);
    expect((await c.request('POST', 'Patient/$unmerge', params(source, target))).statusCode).toBe(404);
  });

  it('refuses bad input', async () => {
    const c = await testClient(engine);
    const p = await create(c, resident('何', '平', '1960-01-01'));
    expect((await c.request('POST', 'Patient/$merge', params(p, p))).statusCode).toBe(400);
    expect((await c.request('POST', 'Patient/$merge', params(p, 'missing'))).statusCode).toBe(404);
    expect((await c.request('POST', 'Patient/$merge', { resourceType: 'Parameters', parameter: [] })).statusCode).toBe(400);
  });

  it('mergePatients/unmergePatients as a library (HL7 v2 ADT^A40), all in one transaction', async () => {
    const { db } = await sharedApp(engine);
    const repo = new Repository(db, { tenant: 'merge-' + randomUUID() }, db);
    const id = { identifier: [{ system: RESIDENT_ID_SYSTEM, value: '500119195003010017' }] };
    await repo.update('Patient', 'a', { ...resident('张', '三', '1950-03-01'), id: 'a', ...id });
    await repo.update('Patient', 'b', { ...resident('张', '三', '1950-03-01'), id: 'b', ...id });
    await repo.update('Encounter', 'e', {
      resourceType: 'Encounter',
      id: 'e',
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: 'Patient/a' },
    });
    const result = await mergePatients(repo, { sourceId: 'a', targetId: 'b', reason: 'ADT^A40', by: 'HIS' });
    expect(result.moved).toEqual([{ resourceType: 'Encounter', id: 'e' }]);
    // Already one person (same ID number): the golden record keeps both links.
    const links = await repo.query<{ patient_id: string; person_id: string }>(
      'SELECT patient_id, person_id FROM empi_link WHERE tenant = $1 ORDER BY 1',
      [repo.tenant],
    );
    expect(links.map((l) => l.patient_id)).toEqual(['a', 'b']);
    expect(new Set(links.map((l) => l.person_id)).size).toBe(1);
    const log = await repo.query<{ status: string; merged_by: string; reason: string }>(
      'SELECT status, merged_by, reason FROM empi_merge WHERE tenant = $1',
      [repo.tenant],
    );
    expect(log).toEqual([{ status: 'merged', merged_by: 'HIS', reason: 'ADT^A40' }]);
    // A failure inside the transaction leaves the merge undone.
    await expect(
      repo.withTransaction(async (tx) => {
        await unmergePatients(tx, { sourceId: 'a', targetId: 'b' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(((await repo.read('Encounter', 'e')) as any).subject.reference).toBe('Patient/b');
    await unmergePatients(repo, { sourceId: 'a', targetId: 'b', reason: 'A37' });
    expect(((await repo.read('Encounter', 'e')) as any).subject.reference).toBe('Patient/a');
    expect(((await repo.read('Patient', 'a')) as any).active).toBeUndefined();
  });
});
