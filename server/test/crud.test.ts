import { afterAll, describe, expect, it } from 'vitest';
import { closeApps, ENGINES, testClient } from './helpers/db.js';

afterAll(closeApps);

const patient = {
  resourceType: 'Patient',
  name: [{ family: '张', given: ['三'] }],
  gender: 'male',
  birthDate: '1980-02-29',
  identifier: [{ system: 'urn:oid:2.16.156.10011.1.3', value: '11010519491231002X' }],
};

describe.each(ENGINES)('FHIR CRUD and versioning on %s', (engine) => {
  it('creates with a server-assigned UUID, reads, vreads, updates and keeps history', async () => {
    const c = await testClient(engine);
    const created = await c.request('POST', 'Patient', { ...patient, id: 'client-chosen' });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.meta.versionId).toBe('1');
    expect(created.headers.etag).toBe('W/"1"');
    expect(created.headers.location).toBe(`http://yiwang.test/fhir/R4/Patient/${body.id}/_history/1`);
    expect(new Date(created.headers['last-modified'] as string).getTime()).toBeGreaterThan(0);
    expect(created.headers['server-timing']).toMatch(/^app;dur=\d+\.\d{2}$/);

    const read = await c.get(`Patient/${body.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json().name[0].family).toBe('张');

    const updated = await c.request('PUT', `Patient/${body.id}`, { ...body, gender: 'female' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().meta.versionId).toBe('2');

    const v1 = await c.get(`Patient/${body.id}/_history/1`);
    expect(v1.json().gender).toBe('male');
    const v2 = await c.get(`Patient/${body.id}/_history/2`);
    expect(v2.json().gender).toBe('female');
    expect((await c.get(`Patient/${body.id}/_history/3`)).statusCode).toBe(404);

    const hist = (await c.get(`Patient/${body.id}/_history`)).json();
    expect(hist.type).toBe('history');
    expect(hist.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['2', '1']);
    expect(hist.entry[1].request.method).toBe('POST');
  });

  it('answers 304 to If-None-Match with the current version', async () => {
    const c = await testClient(engine);
    const id = (await c.request('POST', 'Patient', patient)).json().id;
    expect((await c.get(`Patient/${id}`, { 'if-none-match': 'W/"1"' })).statusCode).toBe(304);
    expect((await c.get(`Patient/${id}`, { 'if-none-match': 'W/"9"' })).statusCode).toBe(200);
  });

  it('creates on update at a client id, and rejects an id mismatch', async () => {
    const c = await testClient(engine);
    const res = await c.request('PUT', 'Patient/pat-001', { ...patient, id: 'pat-001' });
    expect(res.statusCode).toBe(201);
    expect(res.json().meta.versionId).toBe('1');
    const mismatch = await c.request('PUT', 'Patient/pat-001', { ...patient, id: 'other' });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().issue[0].expression).toEqual(['Patient.id']);
  });

  it('deletes softly: read answers 410, history keeps every version, update resurrects', async () => {
    const c = await testClient(engine);
    const id = (await c.request('POST', 'Patient', patient)).json().id;
    expect((await c.request('DELETE', `Patient/${id}`)).statusCode).toBe(200);
    const gone = await c.get(`Patient/${id}`);
    expect(gone.statusCode).toBe(410);
    expect(gone.json().resourceType).toBe('OperationOutcome');
    expect((await c.get(`Patient/${id}/_history/1`)).statusCode).toBe(200);
    expect((await c.get(`Patient/${id}/_history/2`)).statusCode).toBe(410);
    const hist = (await c.get(`Patient/${id}/_history`)).json();
    expect(hist.entry[0].request.method).toBe('DELETE');
    expect((await c.get(`Patient?_id=${id}`)).json().total).toBe(0);
    const back = await c.request('PUT', `Patient/${id}`, { ...patient, id });
    expect(back.json().meta.versionId).toBe('3');
    expect((await c.request('DELETE', `Patient/does-not-exist`)).statusCode).toBe(200);
  });

  it('enforces If-Match: 412 on a stale version', async () => {
    const c = await testClient(engine);
    const created = (await c.request('POST', 'Patient', patient)).json();
    const ok = await c.request('PUT', `Patient/${created.id}`, { ...created, gender: 'other' }, { 'if-match': 'W/"1"' });
    expect(ok.statusCode).toBe(200);
    const stale = await c.request('PUT', `Patient/${created.id}`, { ...created, gender: 'unknown' }, { 'if-match': 'W/"1"' });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().issue[0].code).toBe('conflict');
    expect((await c.get(`Patient/${created.id}`)).json().gender).toBe('other');
  });

  it('lets exactly one of many concurrent If-Match updates win', async () => {
    const c = await testClient(engine);
    const created = (await c.request('POST', 'Patient', patient)).json();
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        c.request('PUT', `Patient/${created.id}`, { ...created, birthDate: `19${10 + i}-01-01` }, { 'if-match': 'W/"1"' }),
      ),
    );
    const codes = attempts.map((r) => r.statusCode).sort();
    expect(codes.filter((s) => s === 200)).toHaveLength(1);
    expect(codes.filter((s) => s === 412)).toHaveLength(7);
    const hist = (await c.get(`Patient/${created.id}/_history`)).json();
    expect(hist.entry).toHaveLength(2);
  });

  it('conditional create returns the existing resource instead of a duplicate', async () => {
    const c = await testClient(engine);
    const ifNoneExist = { 'if-none-exist': 'identifier=urn:oid:2.16.156.10011.1.3|11010519491231002X' };
    const first = await c.request('POST', 'Patient', patient, ifNoneExist);
    expect(first.statusCode).toBe(201);
    const second = await c.request('POST', 'Patient', patient, ifNoneExist);
    expect(second.statusCode).toBe(200);
    expect(second.json().id).toBe(first.json().id);
    await c.request('POST', 'Patient', patient);
    const ambiguous = await c.request('POST', 'Patient', patient, ifNoneExist);
    expect(ambiguous.statusCode).toBe(412);
  });

  it('conditional update updates the single match or creates', async () => {
    const c = await testClient(engine);
    const url = 'Patient?identifier=urn:oid:2.16.156.10011.1.3|11010519491231002X';
    const created = await c.request('PUT', url, patient);
    expect(created.statusCode).toBe(201);
    const updated = await c.request('PUT', url, { ...patient, gender: 'female' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().id).toBe(created.json().id);
    expect(updated.json().meta.versionId).toBe('2');
  });

  it('applies JSON Patch, rejects failed tests with 422 and invalid results with 400', async () => {
    const c = await testClient(engine);
    const id = (await c.request('POST', 'Patient', patient)).json().id;
    const patchHeaders = { 'content-type': 'application/json-patch+json' };
    const ok = await c.request(
      'PATCH',
      `Patient/${id}`,
      [
        { op: 'replace', path: '/gender', value: 'female' },
        { op: 'add', path: '/active', value: true },
      ],
      patchHeaders,
    );
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ gender: 'female', active: true, meta: { versionId: '2' } });
    const failed = await c.request('PATCH', `Patient/${id}`, [{ op: 'test', path: '/gender', value: 'male' }], patchHeaders);
    expect(failed.statusCode).toBe(422);
    const invalid = await c.request('PATCH', `Patient/${id}`, [{ op: 'replace', path: '/birthDate', value: 'yesterday' }], patchHeaders);
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().issue[0].expression[0]).toContain('birthDate');
    expect((await c.get(`Patient/${id}`)).json().meta.versionId).toBe('2');
  });

  it('keeps type-level and system-level history, newest first, paged', async () => {
    const c = await testClient(engine);
    for (let i = 0; i < 5; i++) await c.request('POST', 'Patient', patient);
    await c.request('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' } });
    const typeHist = (await c.get('Patient/_history?_count=3')).json();
    expect(typeHist.entry).toHaveLength(3);
    const next = typeHist.link.find((l: any) => l.relation === 'next').url.replace('http://yiwang.test/fhir/R4/', '');
    expect((await c.get(next)).json().entry).toHaveLength(2);
    const sys = (await c.get('_history')).json();
    expect(sys.entry).toHaveLength(6);
    expect(sys.entry[0].resource.resourceType).toBe('Observation');
  });
});
