/**
 * Encryption at rest: after create, update, transaction and bulk $import the stored rows (Patient, its history,
 * search_string) hold no plaintext ID number, phone or address line; every read path gives the plaintext back;
 * exact identifier / phone / e-mail search works through blind indexes; searches that would need the plaintext answer
 * 400; a tampered ciphertext answers 500 (integrity), never wrong plaintext.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportAll } from '../src/cli/export.js';
import { computeCheckCharacter } from '../src/platform/identity/id-number.js';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';

afterAll(closeApps);

const RESIDENT_ID = 'urn:oid:2.16.156.10011.1.3';
const idNumber = (first17: string): string => first17 + computeCheckCharacter(first17);

/** Three residents of 南川 county; every value below must be absent from the stored rows. */
const people = [
  { id: idNumber('51132219800315123'), phone: '13980012345', line: '幸福路18号3栋2单元', text: '四川省南充市南川县幸福路18号' },
  { id: idNumber('51132219920708246'), phone: '15182260731', line: '滨江大道99号', text: '南川县滨江大道99号' },
  { id: idNumber('51132220150101002'), phone: '18990156677', line: '光明村五组12号', text: '南川县光明村五组12号' },
  { id: idNumber('51132219551120301'), phone: '13568840012', line: '新华街7号', text: '南川县新华街7号' },
];
const secrets = people.flatMap((p) => [p.id, p.phone, p.line, p.text]);

const patient = (i: number, extra: object = {}) => ({
  resourceType: 'Patient',
  identifier: [
    { system: RESIDENT_ID, value: people[i].id },
    { system: 'urn:oid:1.2.156.112604.1', value: `MRN-${i}` },
  ],
  name: [{ family: '李', given: ['秀英'] }],
  gender: 'female',
  birthDate: '1980-03-15',
  telecom: [
    { system: 'phone', value: people[i].phone },
    { system: 'email', value: `resident${i}@nanchuan.example.cn` },
  ],
  address: [{ line: [people[i].line], text: people[i].text, city: '南充市', district: '南川县', state: '四川省', postalCode: '637000' }],
  contact: [{ name: { text: '王建国' }, telecom: [{ system: 'phone', value: '13700000000' }] }],
  ...extra,
});

async function dump(c: TestClient): Promise<string> {
  const q = async (sql: string) => (await c.yiwang.db.query<{ t: string }>(sql, [c.tenant])).rows.map((r) => r.t).join('\n');
  return [
    await q(`SELECT t::text AS t FROM "Patient" t WHERE tenant = $1`),
    await q(`SELECT t::text AS t FROM "Patient_History" t WHERE tenant = $1`),
    await q(`SELECT t::text AS t FROM "RelatedPerson" t WHERE tenant = $1`),
    await q(`SELECT t::text AS t FROM search_string t WHERE tenant = $1`),
  ].join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function finished(c: TestClient, location: string): Promise<any> {
  const path = new URL(location).pathname;
  for (let i = 0; i < 400; i++) {
    const res = await c.get(path);
    if (res.statusCode === 200) return res.json();
    expect(res.statusCode, res.body).toBe(202);
    await sleep(25);
  }
  throw new Error('bulk job did not finish');
}

describe.each(ENGINES)('encryption at rest on %s', (engine) => {
  it('stores no plaintext and gives it back on every read path', async () => {
    const c = await testClient(engine);
    const created = await c.request('POST', 'Patient', patient(0));
    expect(created.statusCode, created.body).toBe(201);
    const p0 = created.json();
    expect(p0.identifier[0].value).toBe(people[0].id); // the write's answer is plaintext
    const upd = await c.request('PUT', `Patient/${p0.id}`, { ...patient(0), id: p0.id, gender: 'female', birthDate: '1980-03-15' });
    expect(upd.statusCode, upd.body).toBe(200);

    const tx = await c.request(
      'POST',
      '',
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:7c1d6f0e-0000-4000-8000-000000000001', resource: patient(1), request: { method: 'POST', url: 'Patient' } },
          {
            resource: {
              resourceType: 'RelatedPerson',
              patient: { reference: 'urn:uuid:7c1d6f0e-0000-4000-8000-000000000001' },
              telecom: [{ system: 'phone', value: people[3].phone }],
              address: [{ line: [people[3].line], city: '南充市' }],
            },
            request: { method: 'POST', url: 'RelatedPerson' },
          },
        ],
      },
      { prefer: 'return=representation' },
    );
    expect(tx.statusCode, tx.body).toBe(200);
    const p1 = tx.json().entry[0].resource;
    expect(p1.telecom[0].value).toBe(people[1].phone);
    expect(tx.json().entry[1].resource.address[0].line).toEqual([people[3].line]);

    const imp = await c.request('POST', '$import-ndjson?type=Patient', JSON.stringify({ ...patient(2), id: 'imported-1' }), {
      'content-type': 'application/fhir+ndjson',
      prefer: 'respond-async',
    });
    expect(imp.statusCode, imp.body).toBe(202);
    expect((await finished(c, imp.headers['content-location'] as string)).output).toEqual([{ type: 'Patient', count: 1 }]);

    const stored = await dump(c);
    expect(stored).toContain('"v1:'); // ciphertext is there …
    for (const s of secrets) expect(stored, s).not.toContain(s); // … and no plaintext
    expect(stored).not.toContain('13700000000');
    expect(stored).toContain('南充市'); // the city stays clear for address-city

    // read, vread, history
    const read = (await c.get(`Patient/${p0.id}`)).json();
    expect(read.identifier[0].value).toBe(people[0].id);
    expect(read.telecom.map((t: any) => t.value)).toEqual([people[0].phone, 'resident0@nanchuan.example.cn']);
    expect(read.address[0]).toMatchObject({ line: [people[0].line], text: people[0].text });
    expect(read.contact[0].telecom[0].value).toBe('13700000000');
    expect((await c.get(`Patient/${p0.id}/_history/1`)).json().identifier[0].value).toBe(people[0].id);
    const history = (await c.get(`Patient/${p0.id}/_history`)).json();
    expect(history.entry.map((e: any) => e.resource.telecom[0].value)).toEqual([people[0].phone, people[0].phone]);
    expect((await c.get('Patient/imported-1')).json().address[0].line).toEqual([people[2].line]);

    // exact search through blind indexes, with and without system, and normalised phone forms
    const ids = async (q: string) => {
      const res = await c.get(q);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().entry ?? []).map((e: any) => e.resource.id).sort();
    };
    expect(await ids(`Patient?identifier=${RESIDENT_ID}|${people[0].id}`)).toEqual([p0.id]);
    expect(await ids(`Patient?identifier=${people[1].id}`)).toEqual([p1.id]);
    expect(await ids(`Patient?identifier=${people[0].id.toLowerCase()}`)).toEqual([p0.id]);
    expect(await ids('Patient?identifier=MRN-1')).toEqual([p1.id]); // other identifiers stay clear
    expect(await ids(`Patient?phone=${people[2].phone}`)).toEqual(['imported-1']);
    expect(await ids(`Patient?phone=${encodeURIComponent('+86 ' + people[2].phone)}`)).toEqual(['imported-1']);
    expect(await ids(`Patient?telecom=${people[1].phone}`)).toEqual([p1.id]);
    expect(await ids('Patient?email=resident0@nanchuan.example.cn')).toEqual([p0.id]);
    expect(await ids(`Patient?identifier:not=${people[0].id}&_id=${p0.id},${p1.id}`)).toEqual([p1.id]);
    expect(await ids(`RelatedPerson?phone=${people[3].phone}`)).toHaveLength(1);
    expect((await ids('Patient?address-city=南充市')).length).toBe(3);
    expect(await ids(`Patient?identifier=${people[0].id.slice(0, 17)}0`)).toEqual([]);

    // search results with _include / _revinclude, $everything, conditional create
    const obs = await c.request('POST', 'Observation', {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
      subject: { reference: `Patient/${p0.id}` },
      valueQuantity: { value: 135, unit: 'mm[Hg]' },
    });
    const inc = (await c.get(`Observation?_id=${obs.json().id}&_include=Observation:subject`)).json();
    expect(inc.entry.find((e: any) => e.search.mode === 'include').resource.identifier[0].value).toBe(people[0].id);
    const rev = (await c.get(`Patient?_id=${p1.id}&_revinclude=RelatedPerson:patient`)).json();
    expect(rev.entry.find((e: any) => e.resource.resourceType === 'RelatedPerson').resource.telecom[0].value).toBe(people[3].phone);
    const everything = (await c.get(`Patient/${p0.id}/$everything`)).json();
    expect(everything.entry.find((e: any) => e.resource.resourceType === 'Patient').resource.address[0].text).toBe(people[0].text);
    const again = await c.request('POST', 'Patient', patient(0), { 'if-none-exist': `identifier=${RESIDENT_ID}|${people[0].id}` });
    expect(again.statusCode).toBe(200);
    expect(again.json().telecom[0].value).toBe(people[0].phone);

    // bulk $export files and the CLI export
    const exp = await c.request('GET', 'Patient/$export?_type=Patient', undefined, { prefer: 'respond-async' });
    expect(exp.statusCode, exp.body).toBe(202);
    const manifest = await finished(c, exp.headers['content-location'] as string);
    const file = await c.get(new URL(manifest.output[0].url).pathname);
    for (const s of [people[0].id, people[1].phone, people[2].line]) expect(file.body).toContain(s);
    expect(file.body).not.toContain('"v1:');
    // The file waits in the database with the identity fields still sealed; only the download reveals them.
    const files = (await c.yiwang.db.query<{ t: string }>(`SELECT content AS t FROM bulk_file WHERE tenant = $1`, [c.tenant])).rows;
    const storedText = files.map((r) => r.t).join('\n');
    expect(storedText).toContain('"v1:');
    for (const s of [people[0].id, people[1].phone, people[2].line]) expect(storedText).not.toContain(s);
    const dir = mkdtempSync(join(tmpdir(), 'yiwang-export-'));
    await exportAll(c.yiwang.systemRepository(c.tenant), dir, ['Patient']);
    const ndjson = readFileSync(join(dir, 'Patient.ndjson'), 'utf8');
    expect(ndjson).toContain(people[1].id);
    expect(ndjson).not.toContain('"v1:');
  }, 180_000);

  it('answers 400 for searches that would need the plaintext', async () => {
    const c = await testClient(engine);
    for (const q of ['Patient?phone:contains=1398', 'Patient?address:contains=幸福', `Patient?identifier=5113*`]) {
      const res = await c.get(q);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().issue[0].details.text).toMatch(/encrypted at rest/);
    }
  });

  it('detects a tampered ciphertext: 500 with an integrity outcome, never wrong plaintext', async () => {
    const c = await testClient(engine);
    const p = (await c.request('POST', 'Patient', patient(3))).json();
    // Both records first: the resident index reads similar residents on every Patient write, so a write after the
    // tampering would fail on the tampered record too (fail closed).
    const posted = await c.request('POST', 'Patient', patient(2));
    expect(posted.statusCode, posted.body).toBe(201);
    const q = posted.json();
    const { rows } = await c.yiwang.db.query<{ content: string }>('SELECT content FROM "Patient" WHERE tenant = $1 AND id = $2', [
      c.tenant,
      p.id,
    ]);
    const content = rows[0].content;
    // Flip one character of the first ciphertext's MAC-protected body.
    const at = content.indexOf('"v1:') + 30;
    const flipped = content.slice(0, at) + (content[at] === 'A' ? 'B' : 'A') + content.slice(at + 1);
    await c.yiwang.db.query('UPDATE "Patient" SET content = $3 WHERE tenant = $1 AND id = $2', [c.tenant, p.id, flipped]);
    const res = await c.get(`Patient/${p.id}`);
    expect(res.statusCode).toBe(500);
    expect(res.json().issue[0].details.text).toMatch(/integrity/);
    expect(res.body).not.toContain(people[3].id);
    // Moving a ciphertext to another resident's record fails too (the MAC binds type, id and field).
    const other = (
      await c.yiwang.db.query<{ content: string }>('SELECT content FROM "Patient" WHERE tenant = $1 AND id = $2', [c.tenant, q.id])
    ).rows[0].content;
    await c.yiwang.db.query('UPDATE "Patient" SET content = $3 WHERE tenant = $1 AND id = $2', [
      c.tenant,
      q.id,
      other.replace(/"v1:[^"]+"/, /"v1:[^"]+"/.exec(content)![0]),
    ]);
    expect((await c.get(`Patient/${q.id}`)).statusCode).toBe(500);
  });
});
