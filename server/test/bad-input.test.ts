import { afterAll, describe, expect, it } from 'vitest';
import { closeApps, ENGINES, testClient } from './helpers/db.js';

afterAll(closeApps);

describe.each(ENGINES)('bad input on %s: clear OperationOutcomes, nothing written, server up', (engine) => {
  const expectOutcome = (res: any, status: number, expression?: string) => {
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(body.resourceType).toBe('OperationOutcome');
    expect(body.issue[0].severity).toBe('error');
    expect(body.issue[0].details.text.length).toBeGreaterThan(5);
    if (expression) expect(body.issue[0].expression?.[0]).toBe(expression);
  };

  it('malformed JSON, wrong and unknown resource types, non-object bodies', async () => {
    const c = await testClient(engine);
    expectOutcome(await c.request('POST', 'Patient', '{"resourceType": "Patient",'), 400);
    expectOutcome(
      await c.request('POST', 'Patient', { resourceType: 'Observation', status: 'final', code: { text: 'x' } }),
      400,
      'resourceType',
    );
    expectOutcome(await c.request('POST', 'Patient', { name: [] }), 400, 'resourceType');
    expectOutcome(await c.request('POST', 'Patient', '[1,2,3]'), 400);
    expectOutcome(await c.request('POST', 'Frobnicator', { resourceType: 'Frobnicator' }), 400);
    expectOutcome(await c.get('Frobnicator/1'), 400);
    expectOutcome(await c.request('POST', 'Patient', { resourceType: 'Patient', id: 'bad id!' }), 400, 'Patient.id');
  });

  it('invalid element types, codes, dates and unknown properties are located precisely', async () => {
    const c = await testClient(engine);
    expectOutcome(await c.request('POST', 'Patient', { resourceType: 'Patient', birthDate: '1990-02-30' }), 400, 'Patient.birthDate');
    expectOutcome(await c.request('POST', 'Patient', { resourceType: 'Patient', gender: 'robot' }), 400, 'Patient.gender');
    expectOutcome(await c.request('POST', 'Patient', { resourceType: 'Patient', active: 'yes' }), 400, 'Patient.active');
    expectOutcome(await c.request('POST', 'Patient', { resourceType: 'Patient', name: [{ given: 'not-an-array' }] }), 400);
    expectOutcome(await c.request('POST', 'Patient', { resourceType: 'Patient', colour: 'blue' }), 400);
    expectOutcome(await c.request('POST', 'Observation', { resourceType: 'Observation', code: { text: 'x' } }), 400); // status is required
    expectOutcome(await c.request('POST', 'Patient', { resourceType: 'Patient', gender: '' }), 400, 'Patient.gender');
    expectOutcome(await c.request('POST', 'Patient', { resourceType: 'Patient', name: [] }), 400, 'Patient.name');
    expectOutcome(
      await c.request('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'x' }], maritalStatus: {} }),
      400,
      'Patient.maritalStatus',
    );
    expect((await c.get('Patient?_total=accurate')).json().total).toBe(0);
  });

  it('resident ID numbers must pass GB 11643 (check character, region, date)', async () => {
    const c = await testClient(engine);
    const withId = (value: string) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:2.16.156.10011.1.3', value }] });
    expect((await c.request('POST', 'Patient', withId('11010519491231002X'))).statusCode).toBe(201);
    const wrongCheck = await c.request('POST', 'Patient', withId('110105194912310021'));
    expectOutcome(wrongCheck, 400, 'Patient.identifier[0].value');
    expect(wrongCheck.json().issue[0].details.text).toMatch(/居民身份证号/);
    expectOutcome(await c.request('POST', 'Patient', withId('990105194912310021')), 400, 'Patient.identifier[0].value');
    expectOutcome(await c.request('POST', 'Patient', withId('12345')), 400, 'Patient.identifier[0].value');
    // Other identifier systems are not ID numbers.
    expect(
      (await c.request('POST', 'Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:hospital', value: '12345' }] }))
        .statusCode,
    ).toBe(201);
  });

  it('bodies over the configured limit get 413', async () => {
    const c = await testClient(engine);
    const huge = {
      resourceType: 'Patient',
      text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(3 * 1024 * 1024)}</div>` },
    };
    expectOutcome(await c.request('POST', 'Patient', huge), 413);
    expect((await c.get('Patient?_total=accurate')).json().total).toBe(0);
  });

  it('deeply nested JSON is refused before it can exhaust the stack', async () => {
    const c = await testClient(engine);
    const deep = '{"resourceType":"Patient","extension":[' + '{"url":"x","extension":['.repeat(5000) + ']}'.repeat(5000) + ']}';
    expectOutcome(await c.request('POST', 'Patient', deep), 400);
    expect((await c.get('/healthz')).statusCode).toBe(200);
  });

  it('unsupported interactions and unknown operations are answered, not crashed', async () => {
    const c = await testClient(engine);
    expectOutcome(await c.get('Patient/1/$frobnicate'), 404);
    expectOutcome(await c.request('POST', 'Patient/1/_history/1', {}), 404);
    expectOutcome(await c.request('PATCH', 'Patient/1', { op: 'replace' }, { 'content-type': 'application/json-patch+json' }), 400);
    expectOutcome(await c.request('POST', 'Patient', 'name=x', { 'content-type': 'text/plain' }), 415);
  });
});
