/**
 * Pinyin search of names (姓名拼音): typed on a Latin keyboard, found by full pinyin prefix, initials and the
 * surname reading of polyphones; declared in the CapabilityStatement. Also: the store's generated DDL still
 * equals migration 0001 (our own parameters come with their own migrations).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fhirStoreDdl } from '../src/platform/fhir/schema-sql.js';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';

afterAll(closeApps);

const names = (res: { json(): any }): string[] => (res.json().entry ?? []).map((e: any) => e.resource.name[0].text).sort();

it('migration 0001 is exactly the DDL generated from the R4 definitions', () => {
  const migration = readFileSync(new URL('../src/platform/db/migrations/0001_fhir_store.sql', import.meta.url), 'utf8');
  expect(migration.trim()).toBe(fhirStoreDdl().trim());
});

describe.each(ENGINES)('name-pinyin search (%s)', (engine) => {
  let c: TestClient;
  beforeAll(async () => {
    c = await testClient(engine);
    for (const text of ['张秀英', '单雄信', '李建国', '张建华']) {
      expect((await c.request('POST', 'Patient', { resourceType: 'Patient', name: [{ text }] })).statusCode).toBe(201);
    }
    await c.request('POST', 'Practitioner', { resourceType: 'Practitioner', name: [{ text: '曾医生', family: '曾' }] });
  });

  it('finds residents by pinyin prefix, initials and surname readings', async () => {
    expect(names(await c.get('Patient?name-pinyin=zhang'))).toEqual(['张建华', '张秀英']);
    expect(names(await c.get('Patient?name-pinyin=zhangxiu'))).toEqual(['张秀英']);
    expect(names(await c.get('Patient?name-pinyin=ZXY'))).toEqual(['张秀英']);
    expect(names(await c.get('Patient?name-pinyin=zj'))).toEqual(['张建华']);
    expect(names(await c.get('Patient?name-pinyin=shanxiong'))).toEqual(['单雄信']);
    expect(names(await c.get('Patient?name-pinyin:exact=lijianguo'))).toEqual(['李建国']);
    expect(names(await c.get('Patient?name-pinyin:exact=lijian'))).toEqual([]);
    expect(names(await c.get('Patient?name-pinyin=wang'))).toEqual([]);
    const doctors = (await c.get('Practitioner?name-pinyin=zengyi')).json();
    expect(doctors.entry).toHaveLength(1);
  });

  it('is declared in the CapabilityStatement', async () => {
    const meta = (await c.get('metadata', { authorization: '' })).json();
    const patient = meta.rest[0].resource.find((r: any) => r.type === 'Patient');
    expect(patient.searchParam.find((p: any) => p.name === 'name-pinyin')).toMatchObject({
      type: 'string',
      definition: 'https://yiwang.cn/fhir/SearchParameter/name-pinyin',
    });
  });
});
