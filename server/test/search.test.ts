import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';
import { createAll, ids, relative } from './helpers/fixtures.js';

afterAll(closeApps);

describe.each(ENGINES)('FHIR search on %s', (engine) => {
  let c: TestClient;
  let p: string[];
  let o: string[];

  beforeAll(async () => {
    c = await testClient(engine);
    p = await createAll(c, [
      {
        resourceType: 'Patient',
        name: [{ family: '张', given: ['三'] }],
        gender: 'male',
        birthDate: '1950-03-01',
        active: true,
        telecom: [{ system: 'phone', value: '13800000001' }],
        address: [{ city: '南川区', district: '大观镇' }],
        identifier: [{ system: 'urn:oid:2.16.156.10011.1.3', value: '500119195003010017' }],
      },
      {
        resourceType: 'Patient',
        name: [{ family: 'Müller', given: ['Anna'] }],
        gender: 'female',
        birthDate: '1990-07',
        identifier: [{ system: 'urn:hospital:a', value: 'MRN-1' }],
      },
      { resourceType: 'Patient', name: [{ family: '李', given: ['四'] }], gender: 'female', birthDate: '2001-12-31', active: false },
      { resourceType: 'Organization', name: '南川区人民医院', identifier: [{ system: 'urn:org', value: 'H1' }] },
    ]);
    const subject = (i: number) => ({ reference: `Patient/${p[i]}` });
    o = await createAll(c, [
      {
        resourceType: 'Observation',
        status: 'final',
        subject: subject(0),
        code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'Potassium' }], text: '血钾' },
        valueQuantity: { value: 6.8, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
        effectiveDateTime: '2024-05-10T08:30:00+08:00',
        performer: [{ reference: `Organization/${p[3]}` }],
      },
      {
        resourceType: 'Observation',
        status: 'final',
        subject: subject(0),
        code: { coding: [{ system: 'http://loinc.org', code: '8480-6', display: 'Systolic blood pressure' }] },
        valueQuantity: { value: 150, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        effectiveDateTime: '2024-06-01',
      },
      {
        resourceType: 'Observation',
        status: 'preliminary',
        subject: subject(1),
        code: { coding: [{ system: 'http://loinc.org', code: '2823-3' }] },
        valueQuantity: { value: 4.1, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
        effectiveDateTime: '2023-01-15',
      },
      {
        resourceType: 'Observation',
        status: 'final',
        subject: subject(2),
        code: { coding: [{ code: 'local-1' }] },
        valueString: 'negative',
      },
      { resourceType: 'RiskAssessment', status: 'final', subject: subject(0), prediction: [{ probabilityDecimal: 0.35 }] },
      { resourceType: 'ValueSet', status: 'active', url: 'http://yiwang.cn/fhir/ValueSet/drugs/essential' },
    ]);
  });

  const search = async (q: string) => {
    const res = await c.get(q);
    if (res.statusCode !== 200) throw new Error(`${q} → ${res.statusCode} ${res.body}`);
    return res.json();
  };

  it('string: prefix by default, case- and accent-insensitive, Chinese too; :exact and :contains', async () => {
    expect(ids(await search('Patient?name=%E5%BC%A0'))).toEqual([p[0]]); // 张
    expect(ids(await search('Patient?name=%E5%BC%A0%E4%B8%89'))).toEqual([p[0]]); // 张三 (family+given)
    expect(ids(await search('Patient?family=muller'))).toEqual([p[1]]);
    expect(ids(await search('Patient?family=MUL'))).toEqual([p[1]]);
    expect(ids(await search('Patient?family:exact=Müller'))).toEqual([p[1]]);
    expect(ids(await search('Patient?family:exact=muller'))).toEqual([]);
    expect(ids(await search('Patient?name:contains=nn'))).toEqual([p[1]]);
    expect(ids(await search('Patient?address=%E5%A4%A7%E8%A7%82'))).toEqual([p[0]]); // 大观
    expect(ids(await search('Organization?name=%E5%8D%97%E5%B7%9D'))).toEqual([p[3]]);
    expect(ids(await search('Patient?name=zz'))).toEqual([]);
  });

  it('token: code, system|code, |code, system|, :not, :text, booleans and identifiers', async () => {
    expect(ids(await search('Observation?code=2823-3')).sort()).toEqual([o[0], o[2]].sort());
    expect(ids(await search('Observation?code=http://loinc.org|2823-3')).sort()).toEqual([o[0], o[2]].sort());
    expect(ids(await search('Observation?code=http://snomed.info/sct|2823-3'))).toEqual([]);
    expect(ids(await search('Observation?code=|local-1'))).toEqual([o[3]]);
    expect(ids(await search('Observation?code=http://loinc.org|')).length).toBe(3);
    expect(ids(await search('Observation?status:not=final'))).toEqual([o[2]]);
    expect(ids(await search('Observation?code:text=potass')).sort()).toEqual([o[0]]);
    expect(ids(await search('Observation?code:text=%E8%A1%80%E9%92%BE'))).toEqual([o[0]]); // 血钾
    expect(ids(await search('Patient?active=true'))).toEqual([p[0]]);
    expect(ids(await search('Patient?identifier=urn:hospital:a|MRN-1'))).toEqual([p[1]]);
    expect(ids(await search('Patient?phone=13800000001'))).toEqual([p[0]]);
    expect(ids(await search('Patient?gender=male,female')).length).toBe(3);
  });

  it('AND across repeated parameters, OR within commas', async () => {
    expect(ids(await search('Observation?code=2823-3&status=final'))).toEqual([o[0]]);
    expect(ids(await search('Observation?status=final&status=preliminary'))).toEqual([]);
    expect(ids(await search('Observation?status=final,preliminary&code=2823-3')).length).toBe(2);
  });

  it('reference: Type/id, bare id, :Type, absolute URL of this server, :identifier', async () => {
    expect(ids(await search(`Observation?subject=Patient/${p[0]}`)).sort()).toEqual([o[0], o[1]].sort());
    expect(ids(await search(`Observation?subject=${p[0]}`)).length).toBe(2);
    expect(ids(await search(`Observation?subject:Patient=${p[1]}`))).toEqual([o[2]]);
    expect(ids(await search(`Observation?patient=http://yiwang.test/fhir/R4/Patient/${p[2]}`))).toEqual([o[3]]);
    expect(ids(await search(`Observation?performer=Organization/${p[3]}`))).toEqual([o[0]]);
  });

  it('chained and reverse-chained (_has) searches', async () => {
    expect(ids(await search('Observation?subject:Patient.gender=female')).sort()).toEqual([o[2], o[3]].sort());
    expect(ids(await search('Observation?subject.name=%E5%BC%A0')).sort()).toEqual([o[0], o[1]].sort());
    expect(ids(await search('Observation?patient.birthdate=lt1960&code=2823-3'))).toEqual([o[0]]);
    expect(ids(await search('Patient?_has:Observation:subject:code=8480-6'))).toEqual([p[0]]);
    expect(ids(await search('Patient?_has:Observation:subject:status=preliminary'))).toEqual([p[1]]);
  });

  it('date: implicit ranges and every prefix', async () => {
    const q = async (v: string) =>
      ids(await search(`Patient?birthdate=${v}`))
        .map((id) => p.indexOf(id))
        .sort();
    expect(await q('1950')).toEqual([0]);
    expect(await q('1950-03-01')).toEqual([0]);
    expect(await q('eq1990')).toEqual([1]);
    expect(await q('1990-07-15')).toEqual([]); // a month is not within a day
    expect(await q('ne1950')).toEqual([1, 2]);
    expect(await q('gt1990-07-15')).toEqual([1, 2]); // July 1990 ends after the 15th
    expect(await q('lt1990-07-15')).toEqual([0, 1]);
    expect(await q('ge2001-12-31')).toEqual([2]);
    expect(await q('le1950-03-01')).toEqual([0]);
    expect(await q('sa1990-07-31')).toEqual([2]);
    expect(await q('eb1990-07-01')).toEqual([0]);
    expect(await q('ap2001-12-30')).toEqual([2]);
    // Timezones: 08:30+08:00 is 00:30Z.
    expect(ids(await search('Observation?date=2024-05-10T00:30:00Z'))).toEqual([o[0]]);
    expect(ids(await search('Observation?date=ge2024-05-10T00:31:00Z&code=2823-3'))).toEqual([]);
    expect(ids(await search('Observation?date=ge2024&date=lt2024-06'))).toEqual([o[0]]);
  });

  it('number and quantity with prefixes and units', async () => {
    expect(ids(await search('Observation?value-quantity=gt6.5'))).toContain(o[0]);
    expect(ids(await search('Observation?value-quantity=6.8'))).toEqual([o[0]]);
    expect(ids(await search('Observation?value-quantity=6.8|http://unitsofmeasure.org|mmol/L'))).toEqual([o[0]]);
    expect(ids(await search('Observation?value-quantity=6.8||mmol/L'))).toEqual([o[0]]);
    expect(ids(await search('Observation?value-quantity=6.8|http://unitsofmeasure.org|mg/dL'))).toEqual([]);
    expect(ids(await search('Observation?value-quantity=lt5|http://unitsofmeasure.org|mmol/L'))).toEqual([o[2]]);
    expect(ids(await search('Observation?value-quantity=ap150'))).toEqual([o[1]]);
    expect(ids(await search('Observation?value-quantity=ge100&value-quantity=le200'))).toEqual([o[1]]);
    expect(ids(await search('RiskAssessment?probability=gt0.3'))).toEqual([o[4]]);
    expect(ids(await search('RiskAssessment?probability=0.35'))).toEqual([o[4]]);
    expect(ids(await search('RiskAssessment?probability=lt0.3'))).toEqual([]);
  });

  it('uri: exact, :below and :above', async () => {
    expect(ids(await search('ValueSet?url=http://yiwang.cn/fhir/ValueSet/drugs/essential'))).toEqual([o[5]]);
    expect(ids(await search('ValueSet?url=http://yiwang.cn/fhir/ValueSet'))).toEqual([]);
    expect(ids(await search('ValueSet?url:below=http://yiwang.cn/fhir/'))).toEqual([o[5]]);
    expect(ids(await search('ValueSet?url:above=http://yiwang.cn/fhir/ValueSet/drugs/essential/v2'))).toEqual([o[5]]);
  });

  it(':missing on every kind of parameter', async () => {
    expect(ids(await search('Patient?active:missing=true')).sort()).toEqual([p[1]]);
    expect(ids(await search('Patient?active:missing=false')).length).toBe(2);
    expect(ids(await search('Patient?address:missing=false'))).toEqual([p[0]]);
    expect(ids(await search('Observation?value-quantity:missing=true'))).toEqual([o[3]]);
    expect(ids(await search('Observation?date:missing=true'))).toEqual([o[3]]);
    expect(ids(await search('Observation?performer:missing=false'))).toEqual([o[0]]);
  });

  it('_id, _lastUpdated, _sort on several keys and directions', async () => {
    expect(ids(await search(`Patient?_id=${p[1]},${p[2]}`)).sort()).toEqual([p[1], p[2]].sort());
    expect(ids(await search('Patient?_lastUpdated=gt2000-01-01')).length).toBe(3);
    expect(ids(await search('Patient?_lastUpdated=lt2000-01-01')).length).toBe(0);
    expect(ids(await search('Patient?_sort=birthdate'))).toEqual([p[0], p[1], p[2]]);
    expect(ids(await search('Patient?_sort=-birthdate'))).toEqual([p[2], p[1], p[0]]);
    expect(ids(await search('Patient?_sort=gender,-birthdate'))).toEqual([p[2], p[1], p[0]]);
    // Missing values sort last in both directions.
    expect(ids(await search('Patient?_sort=active')).at(-1)).toBe(p[1]);
    expect(ids(await search('Patient?_sort=-active')).at(-1)).toBe(p[1]);
  });

  it('_total, _summary=count, _elements and _summary=true', async () => {
    expect((await search('Observation?_total=accurate&_count=1')).total).toBe(4);
    expect((await search('Observation?_total=none')).total).toBeUndefined();
    expect((await search('Observation?_total=estimate')).total).toBe(4);
    const count = await search('Observation?code=2823-3&_summary=count');
    expect(count.total).toBe(2);
    expect(count.entry).toBeUndefined();
    const el = (await search(`Patient?_id=${p[0]}&_elements=gender`)).entry[0].resource;
    expect(Object.keys(el).sort()).toEqual(['gender', 'id', 'meta', 'resourceType']);
    expect(el.meta.tag[0].code).toBe('SUBSETTED');
    const summary = (await search(`Patient?_id=${p[0]}&_summary=true`)).entry[0].resource;
    expect(summary.name).toBeDefined();
    expect(summary.meta.tag[0].code).toBe('SUBSETTED');
  });

  it('_include, _revinclude and :iterate', async () => {
    const inc = await search(`Observation?_id=${o[0]}&_include=Observation:subject&_include=Observation:performer`);
    const included = inc.entry
      .filter((e: any) => e.search.mode === 'include')
      .map((e: any) => e.resource.id)
      .sort();
    expect(included).toEqual([p[0], p[3]].sort());
    const rev = await search(`Patient?_id=${p[0]}&_revinclude=Observation:subject`);
    expect(
      rev.entry
        .filter((e: any) => e.search.mode === 'include')
        .map((e: any) => e.resource.id)
        .sort(),
    ).toEqual([o[0], o[1]].sort());
    const iter = await search(`Patient?_id=${p[0]}&_revinclude=Observation:subject&_include:iterate=Observation:performer`);
    expect(iter.entry.some((e: any) => e.resource.id === p[3])).toBe(true);
  });

  it('compartment search and $everything', async () => {
    expect(ids(await search(`Patient/${p[0]}/Observation?code=2823-3`))).toEqual([o[0]]);
    expect(ids(await search(`Patient/${p[0]}/Observation`)).length).toBe(2);
    // The potassium of 6.8 mmol/L is a critical value: the critical-values module puts an alert (Flag, Communication)
    // on the resident once the write's event is delivered. Wait for it so the record is complete and stable.
    await c.yiwang.events.drain();
    const all = await search(`Patient/${p[0]}/$everything`);
    const types: string[] = all.entry.map((e: any) => e.resource.resourceType).sort();
    const alert = ['Communication', 'Flag', 'Task'];
    expect(types.filter((t) => !alert.includes(t))).toEqual(['Observation', 'Observation', 'Organization', 'Patient', 'RiskAssessment']);
    expect(types).toContain('Flag');
    // Paged by two: every resource once, no page larger than asked.
    const seen: string[] = [];
    let page = await search(`Patient/${p[0]}/$everything?_count=2`);
    for (;;) {
      expect(ids(page).length).toBeLessThanOrEqual(2);
      seen.push(...ids(page));
      const next = page.link.find((l: any) => l.relation === 'next');
      if (!next) break;
      page = await search(relative(next.url));
    }
    expect(seen.sort()).toEqual(ids(all).sort());
    expect((await c.get('Patient/nope/$everything')).statusCode).toBe(404);
  });

  it('POST _search with form parameters', async () => {
    const res = await c.request('POST', 'Observation/_search', 'code=2823-3&status=final', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.statusCode).toBe(200);
    expect(ids(res.json())).toEqual([o[0]]);
  });

  it('treats SQL metacharacters in every kind of value as data', async () => {
    const evil = ["' OR 1=1 --", '%', '_', '\\', '\'); DROP TABLE "Patient"; --', '$1', 'x\\,y', ':', '|', '\u0000x'];
    for (const v of evil) {
      const e = encodeURIComponent(v);
      for (const q of [
        `Patient?name=${e}`,
        `Patient?name:exact=${e}`,
        `Patient?name:contains=${e}`,
        `Patient?gender=${e}`,
        `Patient?identifier=${e}`,
        `Observation?code:text=${e}`,
        `Observation?subject=${e}`,
        `ValueSet?url:below=${e}`,
        `Patient?_id=${e}`,
      ]) {
        const res = await c.get(q);
        expect([200, 400]).toContain(res.statusCode);
        if (res.statusCode === 200) expect(ids(res.json())).toEqual([]);
      }
    }
    expect(ids(await search('Patient?_count=100')).length).toBe(3);
  });

  it('rejects bad search input with a located OperationOutcome, or warns under handling=lenient', async () => {
    const bad = async (q: string, where: string) => {
      const res = await c.get(q);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().issue[0].expression?.[0], q).toBe(where);
    };
    await bad('Patient?nonsense=1', 'nonsense');
    await bad('Patient?birthdate=1990-13', 'birthdate');
    await bad('Patient?birthdate=yesterday', 'birthdate');
    await bad('Observation?value-quantity=abc', 'value-quantity');
    await bad('Patient?_count=-1', '_count');
    await bad('Patient?_sort=nonsense', '_sort');
    await bad('Patient?_cursor=garbage', '_cursor');
    await bad('Patient?gender:contains=m', 'gender:contains');
    const lenient = await c.get('Patient?nonsense=1&gender=male', { prefer: 'handling=lenient' });
    expect(lenient.statusCode).toBe(200);
    const outcome = lenient.json().entry.find((e: any) => e.search.mode === 'outcome');
    expect(outcome.resource.issue[0].severity).toBe('warning');
    expect(ids(lenient.json())).toEqual([p[0]]);
  });
});
