import { afterAll, describe, expect, it } from 'vitest';
import { closeApps, ENGINES, testClient } from './helpers/db.js';
import { ids } from './helpers/fixtures.js';

afterAll(closeApps);

const bundle = (type: 'transaction' | 'batch', entry: any[]) => ({ resourceType: 'Bundle', type, entry });

describe.each(ENGINES)('Bundle transaction and batch on %s', (engine) => {
  it('creates, rewrites urn:uuid references and answers with locations in entry order', async () => {
    const c = await testClient(engine);
    const res = await c.request(
      'POST',
      '',
      bundle('transaction', [
        {
          fullUrl: 'urn:uuid:obs-1',
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'BP' }, subject: { reference: 'urn:uuid:pat-1' } },
          request: { method: 'POST', url: 'Observation' },
        },
        {
          fullUrl: 'urn:uuid:pat-1',
          resource: { resourceType: 'Patient', name: [{ family: '王' }] },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: { resourceType: 'Organization', id: 'org-1', name: '大观镇卫生院' },
          request: { method: 'PUT', url: 'Organization/org-1' },
        },
      ]),
    );
    expect(res.statusCode).toBe(200);
    const out = res.json();
    expect(out.type).toBe('transaction-response');
    expect(out.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created', '201 Created']);
    const patientId = /Patient\/([^/]+)/.exec(out.entry[1].response.location)![1];
    const obsId = /Observation\/([^/]+)/.exec(out.entry[0].response.location)![1];
    const obs = (await c.get(`Observation/${obsId}`)).json();
    expect(obs.subject.reference).toBe(`Patient/${patientId}`);
    expect(ids((await c.get(`Observation?patient=${patientId}`)).json())).toEqual([obsId]);
  });

  it('is atomic: one invalid entry rolls back every write and names the entry', async () => {
    const c = await testClient(engine);
    const res = await c.request(
      'POST',
      '',
      bundle('transaction', [
        { resource: { resourceType: 'Patient', name: [{ family: '赵' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', id: 'p2', name: [{ family: '钱' }] }, request: { method: 'PUT', url: 'Patient/p2' } },
        { resource: { resourceType: 'Patient', birthDate: 'not-a-date' }, request: { method: 'POST', url: 'Patient' } },
      ]),
    );
    expect(res.statusCode).toBe(400);
    const issue = res.json().issue[0];
    expect(issue.expression[0]).toBe('Bundle.entry[2].resource.Patient.birthDate');
    expect((await c.get('Patient?_total=accurate')).json().total).toBe(0);
    expect((await c.get('Patient/p2')).statusCode).toBe(404);
    expect((await c.get('_history')).json().entry).toHaveLength(0);
  });

  it('rolls back when a later entry fails a precondition', async () => {
    const c = await testClient(engine);
    await c.request('PUT', 'Patient/keep', { resourceType: 'Patient', id: 'keep', gender: 'male' });
    const res = await c.request(
      'POST',
      '',
      bundle('transaction', [
        { resource: { resourceType: 'Patient', id: 'keep', gender: 'female' }, request: { method: 'PUT', url: 'Patient/keep' } },
        {
          resource: { resourceType: 'Patient', id: 'keep', gender: 'other' },
          request: { method: 'PUT', url: 'Patient/keep', ifMatch: 'W/"1"' },
        },
      ]),
    );
    expect(res.statusCode).toBe(412);
    expect(res.json().issue[0].expression[0]).toBe('Bundle.entry[1]');
    const kept = (await c.get('Patient/keep')).json();
    expect(kept.gender).toBe('male');
    expect(kept.meta.versionId).toBe('1');
  });

  it('resolves conditional creates and conditional references inside the transaction', async () => {
    const c = await testClient(engine);
    const existing = (
      await c.request('POST', 'Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:id', value: '42' }] })
    ).json();
    const res = await c.request(
      'POST',
      '',
      bundle('transaction', [
        {
          fullUrl: 'urn:uuid:p',
          resource: { resourceType: 'Patient', identifier: [{ system: 'urn:id', value: '42' }] },
          request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:id|42' },
        },
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'a' }, subject: { reference: 'urn:uuid:p' } },
          request: { method: 'POST', url: 'Observation' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'b' },
            subject: { reference: 'Patient?identifier=urn:id|42' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ]),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json().entry[0].response.status).toBe('200 OK');
    const obs = (await c.get(`Observation?subject=Patient/${existing.id}`)).json();
    expect(obs.total).toBe(2);
    expect((await c.get('Patient?_total=accurate')).json().total).toBe(1);
    const ambiguous = await c.request(
      'POST',
      '',
      bundle('transaction', [
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'c' },
            subject: { reference: 'Patient?identifier=urn:nothing|0' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ]),
    );
    expect(ambiguous.statusCode).toBe(412);
  });

  it('processes DELETE before POST before PUT before GET, as the spec orders them', async () => {
    const c = await testClient(engine);
    await c.request('PUT', 'Patient/old', { resourceType: 'Patient', id: 'old' });
    const res = await c.request(
      'POST',
      '',
      bundle('transaction', [
        { request: { method: 'GET', url: 'Patient?_total=accurate' } },
        { resource: { resourceType: 'Patient', id: 'new', active: true }, request: { method: 'PUT', url: 'Patient/new' } },
        { request: { method: 'DELETE', url: 'Patient/old' } },
      ]),
    );
    expect(res.statusCode).toBe(200);
    const search = res.json().entry[0].resource;
    expect(search.total).toBe(1);
    expect(search.entry[0].resource.id).toBe('new');
  });

  it('runs batch entries independently and reports each outcome', async () => {
    const c = await testClient(engine);
    const res = await c.request(
      'POST',
      '',
      bundle('batch', [
        { resource: { resourceType: 'Patient', name: [{ family: '孙' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', gender: 'robot' }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/missing' } },
        { request: { method: 'GET', url: 'Patient?family=%E5%AD%99' } },
      ]),
    );
    expect(res.statusCode).toBe(200);
    const entries = res.json().entry;
    expect(entries[0].response.status).toBe('201 Created');
    expect(entries[1].response.status).toBe('400 Bad Request');
    expect(entries[1].response.outcome.issue[0].expression[0]).toContain('Bundle.entry[1]');
    expect(entries[2].response.status).toBe('404 Not Found');
    expect(entries[3].resource.total).toBe(1);
  });

  it('rejects malformed bundles without writing', async () => {
    const c = await testClient(engine);
    const cases: [any, string][] = [
      [{ resourceType: 'Bundle', type: 'collection', entry: [] }, 'Bundle.type'],
      [{ resourceType: 'Patient' }, 'resourceType'],
      [{ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient' } }] }, 'Bundle.entry[0].request'],
      [
        { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Patient' } }] },
        'Bundle.entry[0].resource',
      ],
      [
        {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [{ resource: { resourceType: 'Patient' }, request: { method: 'FROB', url: 'Patient' } }],
        },
        'Bundle.entry[0].request.method',
      ],
    ];
    for (const [body, where] of cases) {
      const res = await c.request('POST', '', body);
      expect(res.statusCode, where).toBe(400);
      expect(res.json().issue[0].expression[0]).toBe(where);
    }
    expect((await c.get('_history')).json().entry).toHaveLength(0);
  });
});
