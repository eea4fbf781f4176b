/**
 * The HL7 v2 receiver (platform/exchange/hl7v2/service.ts) on both engines: messages in, FHIR
 * resources checked through the FHIR API, ACK codes and ERR content, idempotency, atomicity, the
 * message log (raw text encrypted) and replay.
 */
import type { Bundle, DiagnosticReport, Encounter, Observation, Patient } from '@medplum/fhirtypes';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { validateIdNumber } from '../src/platform/identity/id-number.js';
import { parseMessage } from '../src/platform/exchange/hl7v2/index.js';
import type { ProcessResult } from '../src/platform/exchange/hl7v2/service.js';
import { mergePatients } from '../src/platform/identity/empi/merge.js';
import { closeApps, ENGINES, testClient, type TestClient } from './helpers/db.js';
import { adt, BAD_ID_NUMBER, haveHl7Data, header, ID_NUMBER, oru, pid, sample, seg, serviceFor } from './helpers/hl7v2.js';

afterAll(closeApps);

const MRN_SYSTEM = 'urn:yiwang:hl7v2:id:NCRMYY';
const http = { transport: 'http' as const, peer: '127.0.0.1' };

async function search<T>(client: TestClient, query: string): Promise<T[]> {
  const res = await client.get(query);
  expect(res.statusCode, res.body).toBe(200);
  return ((res.json() as Bundle).entry ?? []).filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T);
}

/** MSA and ERR of an ACK, parsed. */
function ackOf(r: ProcessResult): { code: string; text: string; errs: string[][] } {
  const m = parseMessage(r.ackBytes);
  return {
    code: m.get('MSA-1'),
    text: m.get('MSA-3'),
    errs: m.segments('ERR').map((s) => [s.get(3), s.get(4), s.get(8), s.field(2).raw]),
  };
}

it('fixtures: the ID numbers are what they claim', () => {
  expect(validateIdNumber(ID_NUMBER).valid).toBe(true);
  expect(validateIdNumber(BAD_ID_NUMBER).valid).toBe(false);
});

describe.each(ENGINES)('HL7 v2 service on %s', (engine) => {
  it('ADT^A01 then A08: one Patient (by PID-3 and resident ID) and its Encounter, updated not duplicated', async () => {
    const client = await testClient(engine);
    const service = serviceFor(client);
    const info = { ...http, tenant: client.tenant };
    const a01 = await service.process(Buffer.from(adt('A01', 'A01-1')), info);
    expect(a01.code, JSON.stringify(a01.errors)).toBe('AA');
    expect(ackOf(a01).code).toBe('AA');
    expect(a01.resources.map((r) => `${r.reference.split('/')[0]}:${r.outcome}`)).toEqual(
      expect.arrayContaining(['Patient:created', 'Encounter:created']),
    );
    const a08 = await service.process(Buffer.from(adt('A08', 'A08-1', 'MRN001', 'V001', '张三丰')), info);
    expect(a08.code).toBe('AA');
    const patients = await search<Patient>(client, `Patient?identifier=${MRN_SYSTEM}|MRN001`);
    expect(patients).toHaveLength(1);
    expect(patients[0]!.name?.[0]?.text ?? patients[0]!.name?.[0]?.family).toMatch(/张三丰|张/);
    expect(patients[0]!.meta?.versionId).toBe('2');
    const byIdNumber = await search<Patient>(client, `Patient?identifier=urn:oid:2.16.156.10011.1.3|${ID_NUMBER}`);
    expect(byIdNumber.map((p) => p.id)).toEqual([patients[0]!.id]);
    const encounters = await search<Encounter>(client, `Encounter?subject=Patient/${patients[0]!.id}`);
    expect(encounters).toHaveLength(1);
    expect(encounters[0]!.status).toBe('in-progress');
    const a03 = await service.process(Buffer.from(adt('A03', 'A03-1')), info);
    expect(a03.code).toBe('AA');
    const after = await search<Encounter>(client, `Encounter?subject=Patient/${patients[0]!.id}`);
    expect(after.map((e) => e.status)).toEqual(['finished']);
  });

  it('assigning authorities of the county master data map to their identifier systems', async () => {
    const client = await testClient(engine);
    const service = serviceFor(client, { mapOptions: { identifierSystems: { NCRMYY: 'urn:oid:1.2.156.112604.1.2.1' } } });
    const info = { ...http, tenant: client.tenant };
    expect((await service.process(Buffer.from(adt('A04', 'AUTH-1', 'MRN-A')), info)).code).toBe('AA');
    expect((await service.process(Buffer.from(oru('AUTH-2', 'MRN-A')), info)).code).toBe('AA');
    const patients = await search<Patient>(client, 'Patient?identifier=urn:oid:1.2.156.112604.1.2.1|MRN-A');
    expect(patients).toHaveLength(1);
    expect(await search<Observation>(client, `Observation?subject=Patient/${patients[0]!.id}`)).toHaveLength(2);
  });

  it('ORU^R01: Observations with reference ranges and abnormal flags, and the DiagnosticReport', async () => {
    const client = await testClient(engine);
    const r = await serviceFor(client).process(Buffer.from(oru('ORU-1')), { ...http, tenant: client.tenant });
    expect(r.code, JSON.stringify(r.errors)).toBe('AA');
    const obs = await search<Observation>(client, 'Observation?code=http://loinc.org|6690-2');
    expect(obs).toHaveLength(1);
    expect(obs[0]!.valueQuantity?.value).toBe(11.2);
    expect(obs[0]!.referenceRange?.[0]?.low?.value).toBe(3.5);
    expect(obs[0]!.referenceRange?.[0]?.high?.value).toBe(9.5);
    expect(obs[0]!.interpretation?.[0]?.coding?.[0]?.code).toBe('H');
    const reports = await search<DiagnosticReport>(client, 'DiagnosticReport');
    expect(reports).toHaveLength(1);
    expect(reports[0]!.result).toHaveLength(2);
    expect(reports[0]!.subject?.reference).toMatch(/^Patient\//);
  });

  it.skipIf(!haveHl7Data)('each supported type of the public corpus is accepted and stored', async () => {
    const client = await testClient(engine);
    const service = serviceFor(client);
    const cases: Array<[string, string[]]> = [
      ['ADT-A01-01.hl7', ['Patient', 'Encounter']],
      ['ADT-A03-02.hl7', ['Patient', 'Encounter']],
      ['ADT-A04-01.hl7', ['Patient', 'Encounter']],
      ['ADT-A08-01.hl7', ['Patient']],
      ['LAB-ORU-1.hl7', ['Observation', 'DiagnosticReport']],
      ['ORM-O01-01.hl7', ['ServiceRequest']],
      ['OML-O21-01.hl7', ['ServiceRequest']],
      ['SIU-S12-01.hl7', ['Appointment']],
    ];
    for (const [file, types] of cases) {
      const r = await service.process(sample(file), { ...http, tenant: client.tenant });
      expect(r.code, `${file}: ${JSON.stringify(r.errors)}`).toBe('AA');
      for (const type of types) {
        const refs = r.resources.filter((x) => x.reference.startsWith(`${type}/`));
        expect(refs.length, `${file} wrote ${type}`).toBeGreaterThan(0);
        const res = await client.get(refs[0]!.reference);
        expect(res.statusCode, `${file} ${refs[0]!.reference}`).toBe(200);
      }
    }
  });

  it('GB18030 (MSH-18): Chinese text stored correctly and the ACK answered in GB18030', async () => {
    const client = await testClient(engine);
    const text = adt('A04', 'GB-1', 'MRN-GB', 'V-GB', '欧阳娜娜').replace(/^MSH\|(.*)$/m, (line) =>
      line.replace('|P|2.5', '|P|2.5||||||GB18030').replace('|NCRMYY|', '|南川区人民医院|'),
    );
    const bytes = iconv.encode(text, 'gb18030');
    expect(bytes.includes(Buffer.from('欧阳', 'utf8'))).toBe(false);
    const r = await serviceFor(client).process(bytes, { ...http, tenant: client.tenant });
    expect(r.code, JSON.stringify(r.errors)).toBe('AA');
    expect(r.charset).toBe('gb18030');
    expect(iconv.decode(r.ackBytes, 'gb18030')).toContain('南川区人民医院');
    const patients = await search<Patient>(client, `Patient?identifier=urn:yiwang:hl7v2:id:NCRMYY|MRN-GB`);
    expect(patients).toHaveLength(1);
    expect(patients[0]!.name?.[0]?.family).toBe('欧阳');
    expect(patients[0]!.name?.[0]?.given).toEqual(['娜娜']);
  });

  it('a resent message (same sender and MSH-10) is not applied again; the ACK says so', async () => {
    const client = await testClient(engine);
    const service = serviceFor(client);
    const info = { ...http, tenant: client.tenant };
    const first = await service.process(Buffer.from(oru('DUP-1')), info);
    expect(first.code).toBe('AA');
    const again = await service.process(Buffer.from(oru('DUP-1')), info);
    expect(again.code).toBe('AA');
    expect(again.duplicateOf).toBe(first.id);
    expect(ackOf(again).text).toMatch(/Duplicate.*not applied again/);
    expect(again.resources).toEqual(first.resources);
    const obs = await search<Observation>(client, 'Observation');
    expect(obs).toHaveLength(2);
    expect(obs.every((o) => o.meta?.versionId === '1')).toBe(true);
    // Another sender may use the same control id.
    const other = await service.process(Buffer.from(oru('DUP-1').replace('|LIS|', '|LIS2|')), info);
    expect(other.duplicateOf).toBeUndefined();
    const dups = await service.list(client.tenant, { status: 'duplicate' });
    expect(dups.map((d) => d.id)).toEqual([again.id]);
  });

  it('AR for unsupported events and unreadable input, AE with ERR for content errors', async () => {
    const client = await testClient(engine);
    const service = serviceFor(client);
    const info = { ...http, tenant: client.tenant };
    const a02 = await service.process(Buffer.from(adt('A02', 'X-1').replace('ADT^A02^ADT_A01', 'ADT^A02^ADT_A02')), info);
    expect(a02.code).toBe('AR');
    expect(ackOf(a02).errs[0]![0]).toBe('201');
    const garbage = await service.process(Buffer.from('hello, this is not HL7'), info);
    expect(garbage.code).toBe('AR');
    expect(garbage.errors[0]!.code).toBe(100);
    const v29 = await service.process(Buffer.from(adt('A01', 'X-2').replace('|P|2.5', '|P|2.9')), info);
    expect(v29.code).toBe('AR');
    expect(v29.errors[0]!.code).toBe(203);
    // Content: sex code not in table 0001 → AE, with the location and the reason.
    const badSex = await service.process(Buffer.from(adt('A01', 'X-3').replace('|19880315|M|', '|19880315|Q|')), info);
    expect(badSex.code).toBe('AE');
    const err = ackOf(badSex).errs[0]!;
    expect(err[0]).toBe('103');
    expect(err[3]).toMatch(/^PID\^1\^8/);
    expect(err[2]).toMatch(/Q/);
    expect(await search<Patient>(client, 'Patient')).toHaveLength(0);
    const log = await service.list(client.tenant);
    expect(log.map((l) => l.outcome).sort()).toEqual(['AE', 'AR', 'AR', 'AR']);
  });

  it('a message whose second half fails writes nothing (AE names the resource and the reason)', async () => {
    const client = await testClient(engine);
    const service = serviceFor(client);
    // Second patient group with an invalid resident ID number: refused by the store's Patient check.
    const text = oru('HALF-1', 'MRN-H1', 'LIS-H', pid('MRN-H2', '李四', BAD_ID_NUMBER).replace('PID|1|', 'PID|2|'));
    const r = await service.process(Buffer.from(text), { ...http, tenant: client.tenant });
    expect(r.code).toBe('AE');
    const err = ackOf(r).errs[0]!;
    expect(err[3]).toMatch(/^PID/);
    expect(err[2]).toMatch(/Patient.*resident ID/i);
    for (const type of ['Patient', 'Observation', 'DiagnosticReport', 'ServiceRequest', 'Encounter']) {
      expect(await search(client, type), type).toHaveLength(0);
    }
    const [entry] = await service.list(client.tenant);
    expect(entry!.outcome).toBe('AE');
    expect(entry!.resources).toEqual([]);
  });

  it('the log keeps every message encrypted, with sender, type, transport and outcome', async () => {
    const client = await testClient(engine);
    const service = serviceFor(client);
    const text = adt('A04', 'LOG-1');
    const r = await service.process(Buffer.from(text), { transport: 'mllp', peer: '10.0.0.5:40000', tenant: client.tenant });
    const rows = await client.yiwang.db.query<{ raw: string }>('SELECT raw FROM hl7_message WHERE tenant = $1 AND id = $2', [
      client.tenant,
      r.id,
    ]);
    expect(rows.rows[0]!.raw).toMatch(/^v1:/);
    expect(rows.rows[0]!.raw).not.toContain(ID_NUMBER);
    const entry = await service.get(client.tenant, r.id);
    expect(entry).toMatchObject({
      sendingApplication: 'HIS',
      sendingFacility: 'NCRMYY',
      controlId: 'LOG-1',
      messageType: 'ADT^A04',
      transport: 'mllp',
      peer: '10.0.0.5:40000',
      outcome: 'AA',
    });
    expect(entry!.raw.toString('utf8')).toBe(text);
    expect(await service.list(client.tenant, { sender: 'HIS' })).toHaveLength(1);
    expect(await service.list(client.tenant, { sender: 'LIS' })).toHaveLength(0);
    expect(await service.list(client.tenant, { status: 'AE' })).toHaveLength(0);
  });

  it('replay: a message refused for bad master data is accepted once the data is fixed', async () => {
    const client = await testClient(engine);
    const service = serviceFor(client);
    // Two records carry the same hospital number: the conditional update cannot choose.
    const ids: string[] = [];
    for (const name of ['张三', '张叁']) {
      const res = await client.request('POST', 'Patient', {
        resourceType: 'Patient',
        identifier: [{ system: MRN_SYSTEM, value: 'MRN-R' }],
        name: [{ text: name }],
      });
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json().id);
    }
    const first = await service.process(Buffer.from(adt('A08', 'REPLAY-1', 'MRN-R')), { ...http, tenant: client.tenant });
    expect(first.code).toBe('AE');
    expect(first.errors[0]!.code).toBe(205);
    expect((await client.request('DELETE', `Patient/${ids[1]}`)).statusCode).toBeLessThan(300);
    const replay = await service.replay(client.tenant, first.id, 'admin');
    expect(replay!.code, JSON.stringify(replay!.errors)).toBe('AA');
    const patients = await search<Patient>(client, `Patient?identifier=${MRN_SYSTEM}|MRN-R`);
    expect(patients.map((p) => p.id)).toEqual([ids[0]]);
    const log = await service.get(client.tenant, replay!.id);
    expect(log).toMatchObject({ transport: 'replay', replayOf: first.id, peer: 'admin', outcome: 'AA' });
    expect((await service.get(client.tenant, first.id))!.outcome).toBe('AE');
    expect(await service.replay(client.tenant, 'no-such-id')).toBeUndefined();
  });

  it('ADT^A40 merges the MRG patient into the PID patient through the resident index', async () => {
    const client = await testClient(engine);
    const service = serviceFor(client, { mergePatients });
    const info = { ...http, tenant: client.tenant };
    expect((await service.process(Buffer.from(adt('A01', 'M-1', 'MRN-OLD', 'V-OLD', '王五')), info)).code).toBe('AA');
    expect((await service.process(Buffer.from(adt('A04', 'M-2', 'MRN-KEEP', 'V-KEEP', '王五')), info)).code).toBe('AA');
    const [old] = await search<Patient>(client, `Patient?identifier=${MRN_SYSTEM}|MRN-OLD`);
    const [keep] = await search<Patient>(client, `Patient?identifier=${MRN_SYSTEM}|MRN-KEEP`);
    const text = [
      header('ADT^A40^ADT_A39', 'M-3'),
      seg('EVN', { 1: 'A40' }),
      pid('MRN-KEEP', '王五'),
      seg('MRG', { 1: 'MRN-OLD^^^NCRMYY^MR' }),
    ].join('\r');
    const r = await service.process(Buffer.from(text), info);
    expect(r.code, JSON.stringify(r.errors)).toBe('AA');
    expect(r.resources).toContainEqual({ reference: `Patient/${old!.id}`, outcome: 'merged' });
    const retired = (await client.get(`Patient/${old!.id}`)).json() as Patient;
    expect(retired.active).toBe(false);
    expect(retired.link?.[0]).toMatchObject({ type: 'replaced-by', other: { reference: `Patient/${keep!.id}` } });
    const encounters = await search<Encounter>(client, `Encounter?subject=Patient/${keep!.id}`);
    expect(encounters).toHaveLength(2);
    // Unknown MRG patient: AE 204 at MRG-1, nothing written.
    const unknown = await service.process(Buffer.from(text.replace('M-3', 'M-4').replace('MRN-OLD^', 'MRN-NONE^')), info);
    expect(unknown.code).toBe('AE');
    expect(ackOf(unknown).errs[0]!.slice(0, 1)).toEqual(['204']);
    expect(ackOf(unknown).errs[0]![3]).toMatch(/^MRG\^1\^1/);
  });

  it.skipIf(!haveHl7Data)('ADT^A40 of the public corpus merges once the MRG patient is known', async () => {
    const client = await testClient(engine);
    const service = serviceFor(client, { mergePatients });
    const info = { ...http, tenant: client.tenant };
    const a40 = sample('ADT-A40-01.hl7');
    expect((await service.process(a40, info)).errors[0]).toMatchObject({ code: 204, location: 'MRG-1' });
    const old = [
      header('ADT^A04^ADT_A01', 'C-1'),
      seg('EVN', { 1: 'A04' }),
      seg('PID', { 1: '1', 3: '56789^^^BCBS^MR', 5: 'Test^Old' }),
      seg('PV1', { 1: '1', 2: 'O', 19: 'V-C1' }),
    ];
    const first = await service.process(Buffer.from(old.join('\r')), info);
    expect(first.code, JSON.stringify(first.errors)).toBe('AA');
    const r = await service.process(a40, info);
    expect(r.code, JSON.stringify(r.errors)).toBe('AA');
    const merged = await search<Patient>(client, 'Patient?identifier=urn:yiwang:hl7v2:id:BCBS|56789');
    expect(merged[0]!.active).toBe(false);
  });

  it('ADT^A40 without a merge function is answered AE "merge not available" and writes nothing', async () => {
    const client = await testClient(engine);
    const text = [
      header('ADT^A40^ADT_A39', 'MRG-1'),
      seg('EVN', { 1: 'A40' }),
      pid('MRN-KEEP'),
      seg('MRG', { 1: 'MRN-OLD^^^NCRMYY^MR' }),
    ].join('\r');
    const service = serviceFor(client);
    await service.process(Buffer.from(adt('A01', 'MRG-0', 'MRN-OLD', 'V-OLD', '王五')), { ...http, tenant: client.tenant });
    const r = await service.process(Buffer.from(text), { ...http, tenant: client.tenant });
    expect(r.code).toBe('AE');
    expect(r.errors[0]!.message).toMatch(/merge not available/);
    expect(await search<Patient>(client, 'Patient')).toHaveLength(1);
  });
});
