/**
 * The resident index acting on every Patient write: deterministic links on the ID number, probabilistic
 * auto-link and review queue, twins kept apart, reviewer decisions, atomicity with the write, golden records
 * as FHIR Person resources, and $everything across a person's records.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RESIDENT_ID_SYSTEM } from '../src/platform/identity/empi/index.js';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';

afterAll(closeApps);

const address = [{ city: '南川区', district: '大观镇', line: ['金龙村3组'] }];

const resident = (family: string, given: string, birthDate: string, gender: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  name: [{ family, given: [given] }],
  birthDate,
  gender,
  address,
  ...extra,
});
const idNumber = (value: string) => ({ identifier: [{ system: RESIDENT_ID_SYSTEM, value }] });
const phone = (value: string) => ({ telecom: [{ system: 'phone', value }] });

async function create(c: TestClient, body: unknown): Promise<string> {
  const res = await c.request('POST', 'Patient', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function personOf(c: TestClient, patientId: string): Promise<any> {
  const res = await c.get(`Person?patient=Patient/${patientId}`);
  expect(res.statusCode, res.body).toBe(200);
  const bundle = res.json();
  expect(bundle.entry).toHaveLength(1);
  return bundle.entry[0].resource;
}

const targets = (person: any): string[] => person.link.map((l: any) => l.target.reference).sort();

async function openReviews(c: TestClient): Promise<any[]> {
  const res = await c.request('GET', '/empi/reviews?status=open');
  expect(res.statusCode, res.body).toBe(200);
  return res.json().reviews;
}

describe.each(ENGINES)('resident index on every Patient write on %s', (engine) => {
  it('links the same valid ID number from two institutions into one golden record (level4)', async () => {
    const c = await testClient(engine);
    const hospital = await create(c, { ...resident('张', '三', '1950-03-01', 'male'), ...idNumber('500119195003010017') });
    const clinic = await create(c, {
      ...resident('张', '叁', '1950-03-01', 'male'),
      ...idNumber('500119195003010017'),
      ...phone('13800000001'),
    });
    const person = await personOf(c, hospital);
    expect(person.resourceType).toBe('Person');
    expect(person.meta.tag).toContainEqual(expect.objectContaining({ system: 'https://yiwang.cn/fhir/CodeSystem/empi', code: 'golden' }));
    expect(targets(person)).toEqual([`Patient/${clinic}`, `Patient/${hospital}`].sort());
    expect(person.link.map((l: any) => l.assurance)).toEqual(['level4', 'level4']);
    expect(person.identifier).toEqual([{ system: RESIDENT_ID_SYSTEM, value: '500119195003010017' }]);
    expect(person.telecom).toEqual([{ system: 'phone', value: '13800000001' }]);
    expect((await personOf(c, clinic)).id).toBe(person.id);
    // Read, vread and history as FHIR.
    const read = await c.get(`Person/${person.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.headers.etag).toBe(`W/"${person.meta.versionId}"`);
    const v1 = (await c.get(`Person/${person.id}/_history/1`)).json();
    expect(v1.link).toHaveLength(1);
    const history = (await c.get(`Person/${person.id}/_history`)).json();
    expect(history.type).toBe('history');
    expect(history.entry.length).toBe(Number(person.meta.versionId));
    // No Patient is created by the index, and the store's own history only holds what clients wrote.
    expect((await c.get('Patient?_total=accurate')).json().total).toBe(2);
    expect((await c.get('_history')).json().entry).toHaveLength(2);
  });

  it('links two records with one ID number written at the same time in two transactions', async () => {
    const c = await testClient(engine);
    const body = { ...resident('吴', '刚', '1966-08-08', 'male'), ...idNumber('500119196608080012') };
    const [a, b] = await Promise.all([create(c, body), create(c, body)]);
    expect(targets(await personOf(c, a))).toEqual([`Patient/${a}`, `Patient/${b}`].sort());
  });

  it('auto-links or queues a spelling variant without ID number (same pinyin, swapped day/month, shared phone)', async () => {
    const c = await testClient(engine);
    const a = await create(c, { ...resident('张', '伟', '1980-03-05', 'male'), ...phone('13800001111') });
    const b = await create(c, { ...resident('张', '玮', '1980-05-03', 'male'), ...phone('13800001111') });
    const person = await personOf(c, b);
    const reviews = await openReviews(c);
    const queued = reviews.some(
      (r) => [r.patients[0].reference, r.patients[1].reference].sort().join() === [`Patient/${a}`, `Patient/${b}`].sort().join(),
    );
    const linked = targets(person).includes(`Patient/${a}`);
    expect(linked || queued).toBe(true);
    if (linked) expect(person.link.find((l: any) => l.target.reference === `Patient/${b}`).assurance).toBe('level3');
  });

  it('finds homophone spellings through the phonetic keys (no shared phone or ID number)', async () => {
    const c = await testClient(engine);
    const a = await create(c, resident('张', '伟', '1980-03-05', 'male'));
    const b = await create(c, resident('章', '玮', '1980-03-05', 'male'));
    const linked = targets(await personOf(c, b)).includes(`Patient/${a}`);
    const queued = (await openReviews(c)).length === 1;
    expect(linked || queued).toBe(true);
  });

  it('keeps twins apart (same birth date, phone and address, another given name)', async () => {
    const c = await testClient(engine);
    const mei = await create(c, { ...resident('李', '梅', '1962-07-15', 'female'), ...phone('13900000002') });
    const juan = await create(c, { ...resident('李', '娟', '1962-07-15', 'female'), ...phone('13900000002') });
    expect((await personOf(c, mei)).id).not.toBe((await personOf(c, juan)).id);
    expect(await openReviews(c)).toEqual([]);
  });

  it('queues an uncertain pair with a side-by-side comparison; a reviewer links it or calls it distinct', async () => {
    const c = await testClient(engine);
    // Given name partial (伟 / 伟明): never an automatic link, whatever the other evidence.
    const a = await create(c, { ...resident('张', '伟', '1980-03-05', 'male'), ...phone('13800002222') });
    const b = await create(c, { ...resident('张', '伟明', '1980-05-03', 'male'), ...phone('13800002222') });
    const [review] = await openReviews(c);
    expect(review).toBeDefined();
    expect(review.patients.map((p: any) => p.reference).sort()).toEqual([`Patient/${a}`, `Patient/${b}`].sort());
    const given = review.fields.find((f: any) => f.feature === 'givenName');
    expect([given.a, given.b].sort()).toEqual(['伟', '伟明']);
    expect(given.level).toBe('partial');
    expect(typeof given.weight).toBe('number');
    expect(review.fields.find((f: any) => f.feature === 'birthDate').level).toBe('swapped');
    expect(review.score).toBeGreaterThan(0);

    // Only administrators and township/county doctors work the queue.
    const village = await c.as({ roles: ['village-doctor'] });
    expect((await village.request('GET', '/empi/reviews?status=open')).statusCode).toBe(403);
    const bad = await c.request('POST', `/empi/reviews/${review.id}`, { decision: 'maybe' }, { 'content-type': 'application/json' });
    expect(bad.statusCode).toBe(400);

    const decided = await c.request(
      'POST',
      `/empi/reviews/${review.id}`,
      { decision: 'link', reason: '同一人，户籍核实' },
      { 'content-type': 'application/json' },
    );
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json()).toMatchObject({ status: 'linked', decidedBy: 'admin', reason: '同一人，户籍核实' });
    expect(decided.json().decidedAt).toBeTruthy();
    const person = await personOf(c, a);
    expect(targets(person)).toEqual([`Patient/${a}`, `Patient/${b}`].sort());
    expect(person.link.map((l: any) => l.assurance).sort()).toEqual(['level2', 'level4']);
    expect(await openReviews(c)).toEqual([]);
    const again = await c.request('POST', `/empi/reviews/${review.id}`, { decision: 'distinct' }, { 'content-type': 'application/json' });
    expect(again.statusCode).toBe(409);

    // Distinct: the pair stays apart, also when one record is updated later.
    const d1 = await create(c, { ...resident('王', '芳', '1975-02-09', 'female'), ...phone('13700003333') });
    const d2 = await create(c, { ...resident('王', '芳华', '1975-09-02', 'female'), ...phone('13700003333') });
    const [second] = await openReviews(c);
    const distinct = await c.request(
      'POST',
      `/empi/reviews/${second.id}`,
      { decision: 'distinct', reason: '母女' },
      { 'content-type': 'application/json' },
    );
    expect(distinct.json().status).toBe('distinct');
    const current = (await c.get(`Patient/${d2}`)).json();
    expect((await c.request('PUT', `Patient/${d2}`, { ...current, active: true })).statusCode).toBe(200);
    expect(await openReviews(c)).toEqual([]);
    expect((await personOf(c, d1)).id).not.toBe((await personOf(c, d2)).id);
  });

  it('sees earlier records of the same transaction bundle, and a failed transaction leaves no golden record or review', async () => {
    const c = await testClient(engine);
    const entry = (resource: unknown) => ({ resource, request: { method: 'POST', url: 'Patient' } });
    const ok = await c.request('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        entry({ ...resident('赵', '敏', '1990-01-02', 'female'), ...idNumber('500119199001020025') }),
        entry({ ...resident('赵', '敏', '1990-01-02', 'female'), ...idNumber('500119199001020025') }),
      ],
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const [p1, p2] = ok.json().entry.map((e: any) => /Patient\/([^/]+)/.exec(e.response.location)![1]);
    expect(targets(await personOf(c, p1))).toEqual([`Patient/${p1}`, `Patient/${p2}`].sort());

    const { db } = c.yiwang;
    const counts = async () =>
      (
        await db.query<{ n: string }>(
          `SELECT (SELECT count(*) FROM empi_link WHERE tenant = $1) + (SELECT count(*) FROM empi_person_history WHERE tenant = $1)
                + (SELECT count(*) FROM empi_review WHERE tenant = $1) + (SELECT count(*) FROM empi_block WHERE tenant = $1) AS n`,
          [c.tenant],
        )
      ).rows[0]!.n;
    const before = await counts();
    const failed = await c.request('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        entry({ ...resident('赵', '敏', '1990-01-02', 'female'), ...idNumber('500119199001020025') }),
        entry({ ...resident('钱', '芳', '1991-02-03', 'female'), ...phone('13700004444') }),
        entry({ ...resident('钱', '芳', '1991-02-03', 'female'), birthDate: 'not-a-date' }),
      ],
    });
    expect(failed.statusCode).toBe(400);
    expect(await counts()).toBe(before);
    expect(targets(await personOf(c, p1))).toHaveLength(2);
  });

  it('Patient/$everything on any record of a person includes the data of its other records', async () => {
    const c = await testClient(engine);
    const a = await create(c, { ...resident('孙', '丽', '1985-06-07', 'female'), ...idNumber('500119198506070023') });
    const b = await create(c, { ...resident('孙', '丽', '1985-06-07', 'female'), ...idNumber('500119198506070023') });
    const other = await create(c, { ...resident('周', '强', '1970-01-01', 'male') });
    const obs = (subject: string) => ({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'BP' },
      subject: { reference: `Patient/${subject}` },
    });
    const oa = (await c.request('POST', 'Observation', obs(a))).json().id;
    const ob = (await c.request('POST', 'Observation', obs(b))).json().id;
    await c.request('POST', 'Observation', obs(other));
    const all = (await c.get(`Patient/${a}/$everything`)).json();
    const ids = all.entry.map((e: any) => e.resource.id).sort();
    expect(ids).toEqual([a, b, oa, ob].sort());
    // Deleting a record takes it out of its person.
    expect((await c.request('DELETE', `Patient/${b}`)).statusCode).toBe(200);
    expect(targets(await personOf(c, a))).toEqual([`Patient/${a}`]);
  });
});
