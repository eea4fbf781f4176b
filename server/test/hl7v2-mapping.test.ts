import type {
  Appointment,
  Bundle,
  BundleEntry,
  DiagnosticReport,
  Encounter,
  Observation,
  Patient,
  Resource,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import {
  mapToBundle,
  mapToFhir,
  parseMessage,
  ParseError,
  referenceRange,
  RESIDENT_ID_SYSTEM,
  validateMessage,
} from '../src/platform/exchange/hl7v2/index.js';

/** Builds a segment from numbered fields so that fixtures never miscount pipes. */
function seg(name: string, fields: Record<number, string>): string {
  const max = Math.max(0, ...Object.keys(fields).map(Number));
  const parts: string[] = [name];
  for (let i = 1; i <= max; i++) parts.push(fields[i] ?? '');
  return parts.join('|');
}
function msh(fields: Record<number, string>): string {
  const max = Math.max(12, ...Object.keys(fields).map(Number));
  const parts: string[] = ['MSH', '^~\\&'];
  for (let i = 3; i <= max; i++) parts.push(fields[i] ?? '');
  return parts.join('|');
}
const header = (type: string, id: string, extra: Record<number, string> = {}): string =>
  msh({
    3: 'HIS',
    4: '南川区人民医院',
    5: 'YIWANG',
    6: '县域平台',
    7: '20240315093000+0800',
    9: type,
    10: id,
    11: 'P',
    12: '2.5',
    ...extra,
  });

const PID = seg('PID', {
  1: '1',
  3: '0012345^^^NCRMYY&1.2.156.112604.1.2.1&ISO^MR~500119198803150011^^^^NNCHN',
  5: '张三^^^^^^L~ZHANG^SAN^^^^^A',
  7: '198803150830',
  8: '1',
  11: '金佛大道1号^东城街道^重庆市^重庆市^408400^CHN^H^^南川区',
  13: '^PRN^CP^^86^^13800138000~^NET^Internet^zhangsan@example.cn',
  14: '023-71234567',
  16: '20',
});
const PV1 = seg('PV1', {
  1: '1',
  2: 'I',
  3: '内科一病区^0301^02^NCRMYY',
  7: 'D001^李^四^^^^主任医师',
  10: '心内科',
  17: 'D002^欧阳娜娜',
  19: 'V20240315001^^^NCRMYY^VN',
  44: '20240315090000',
});
const adt = (event: string, pv1 = PV1, pid = PID, id = 'ADT001'): string =>
  [header(`ADT^${event}^ADT_A01`, id), seg('EVN', { 1: event, 2: '20240315093000' }), pid, pv1].join('\r');

function entries<T extends Resource>(bundle: Bundle, type: T['resourceType']): Array<BundleEntry<T>> {
  return (bundle.entry ?? []).filter((e) => e.resource?.resourceType === type) as Array<BundleEntry<T>>;
}
function one<T extends Resource>(bundle: Bundle, type: T['resourceType']): BundleEntry<T> {
  const list = entries<T>(bundle, type);
  expect(list, `${type} entries`).toHaveLength(1);
  return list[0]!;
}
function bundleOf(text: string): Bundle {
  const msg = parseMessage(text);
  expect(validateMessage(msg).filter((e) => e.severity === 'E')).toEqual([]);
  return mapToBundle(msg);
}

/** Every urn:uuid reference points at an entry; conditional URLs are unique. */
function expectConsistent(bundle: Bundle): void {
  expect(bundle.type).toBe('transaction');
  const urls = new Set((bundle.entry ?? []).map((e) => e.fullUrl));
  for (const e of bundle.entry ?? []) {
    expect(e.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(e.request?.method).toMatch(/^(PUT|POST)$/);
    JSON.stringify(e.resource, (k, v) => {
      if (k === 'reference' && typeof v === 'string' && v.startsWith('urn:uuid:')) expect(urls.has(v), v).toBe(true);
      return v;
    });
  }
  const conditions = (bundle.entry ?? []).map((e) =>
    e.request?.method === 'PUT' ? e.request.url : `${e.request?.url}?${e.request?.ifNoneExist ?? e.fullUrl}`,
  );
  expect(new Set(conditions).size).toBe(conditions.length);
}

describe('ADT → Patient + Encounter', () => {
  const bundle = bundleOf(adt('A01'));

  it('maps the patient with Chinese names, resident ID, address and phones', () => {
    const { resource: p, request } = one<Patient>(bundle, 'Patient');
    expect(request).toEqual({ method: 'PUT', url: 'Patient?identifier=urn:oid:1.2.156.112604.1.2.1|0012345' });
    expect(p!.identifier).toEqual([
      expect.objectContaining({
        system: 'urn:oid:1.2.156.112604.1.2.1',
        value: '0012345',
        type: { coding: [expect.objectContaining({ code: 'MR' })] },
      }),
      expect.objectContaining({ system: RESIDENT_ID_SYSTEM, value: '500119198803150011', use: 'official' }),
    ]);
    expect(p!.name).toEqual([
      { use: 'official', text: '张三', family: '张', given: ['三'] },
      { use: 'usual', family: 'ZHANG', given: ['SAN'] },
    ]);
    expect(p!.gender).toBe('male');
    expect(p!.birthDate).toBe('1988-03-15');
    // Primitive extension (valid FHIR JSON, not modelled by @medplum/fhirtypes).
    const birthTime = (p as { _birthDate?: { extension?: Array<{ url: string; valueDateTime?: string }> } })._birthDate;
    expect(birthTime?.extension?.[0]).toEqual({
      url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime',
      valueDateTime: '1988-03-15T08:30:00+08:00',
    });
    expect(p!.address?.[0]).toMatchObject({
      use: 'home',
      line: ['金佛大道1号', '东城街道'],
      city: '重庆市',
      district: '南川区',
      state: '重庆市',
      postalCode: '408400',
    });
    expect(p!.address?.[0]?.text).toBe('重庆市南川区金佛大道1号东城街道');
    expect(p!.telecom).toEqual([
      { system: 'phone', value: '+86 13800138000', use: 'mobile' },
      { system: 'email', value: 'zhangsan@example.cn', use: 'home' },
      { system: 'phone', value: '023-71234567', use: 'work' },
    ]);
    expect(p!.maritalStatus?.coding?.[0]?.code).toBe('M');
  });

  it('maps the encounter with class, status, period, location and practitioners', () => {
    const { resource: enc, request } = one<Encounter>(bundle, 'Encounter');
    expect(request).toEqual({ method: 'PUT', url: 'Encounter?identifier=urn:yiwang:hl7v2:visit:NCRMYY|V20240315001' });
    expect(enc!.identifier?.[0]).toMatchObject({ value: 'V20240315001', type: { coding: [{ code: 'VN' }] } });
    expect(enc!.status).toBe('in-progress');
    expect(enc!.class).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' });
    expect(enc!.period).toEqual({ start: '2024-03-15T09:00:00+08:00' });
    expect(enc!.serviceType?.text).toBe('心内科');
    const patientUrl = one<Patient>(bundle, 'Patient').fullUrl;
    expect(enc!.subject).toEqual({ reference: patientUrl, display: '张三' });
    expect(enc!.participant?.map((p) => [p.type?.[0]?.coding?.[0]?.code, p.individual?.display])).toEqual([
      ['ATND', '李四'],
      ['ADM', '欧阳娜娜'],
    ]);
    const practitioners = entries(bundle, 'Practitioner');
    expect(practitioners.map((e) => e.request)).toEqual([
      {
        method: 'POST',
        url: 'Practitioner',
        ifNoneExist: 'identifier=urn:yiwang:hl7v2:practitioner:%E5%8D%97%E5%B7%9D%E5%8C%BA%E4%BA%BA%E6%B0%91%E5%8C%BB%E9%99%A2|D001',
      },
      {
        method: 'POST',
        url: 'Practitioner',
        ifNoneExist: 'identifier=urn:yiwang:hl7v2:practitioner:%E5%8D%97%E5%B7%9D%E5%8C%BA%E4%BA%BA%E6%B0%91%E5%8C%BB%E9%99%A2|D002',
      },
    ]);
    expect(new URLSearchParams(practitioners[0]!.request!.ifNoneExist).get('identifier')).toBe(
      'urn:yiwang:hl7v2:practitioner:南川区人民医院|D001',
    );
    const loc = one(bundle, 'Location');
    expect(enc!.location?.[0]).toEqual({ location: { reference: loc.fullUrl, display: '内科一病区 0301 02' }, status: 'active' });
    expectConsistent(bundle);
  });

  it('sets the encounter status by event', () => {
    const status = (event: string, fields: Record<number, string> = {}): Encounter['status'] => {
      const pv1 = seg('PV1', { 1: '1', 2: 'I', 19: 'V1', 44: '20240315090000', ...fields });
      return one<Encounter>(mapToBundle(parseMessage(adt(event, pv1))), 'Encounter').resource!.status;
    };
    expect(status('A01')).toBe('in-progress');
    expect(status('A03', { 45: '20240320100000' })).toBe('finished');
    expect(status('A04', { 2: 'O' })).toBe('in-progress');
    expect(status('A04', { 2: 'O', 44: '' })).toBe('arrived');
    expect(status('A08')).toBe('in-progress');
    expect(status('A08', { 45: '20240320100000' })).toBe('finished');
    expect(status('A08', { 2: 'P', 44: '' })).toBe('planned');
    const discharge = mapToBundle(
      parseMessage(adt('A03', seg('PV1', { 1: '1', 2: 'I', 3: 'W1^01^1', 19: 'V1', 44: '20240315090000', 45: '20240320100000' }))),
    );
    const enc = one<Encounter>(discharge, 'Encounter').resource!;
    expect(enc.period).toEqual({ start: '2024-03-15T09:00:00+08:00', end: '2024-03-20T10:00:00+08:00' });
    expect(enc.location?.[0]?.status).toBe('completed');
  });

  it('maps patient classes', () => {
    const cls = (c: string): string | undefined =>
      one<Encounter>(mapToBundle(parseMessage(adt('A04', seg('PV1', { 1: '1', 2: c, 19: 'V1' })))), 'Encounter').resource!.class.code;
    expect(['E', 'I', 'O', 'P', 'R', 'B'].map(cls)).toEqual(['EMER', 'IMP', 'AMB', 'PRENC', 'AMB', 'IMP']);
  });

  it('recognises resident ID numbers by their shape, also in PID-19', () => {
    const pid = seg('PID', { 1: '1', 3: '11010519491231002X^^^HOSP^MR~778899^^^HOSP^PI', 5: '欧阳娜娜', 8: 'F', 19: '500119198803150011' });
    const p = one<Patient>(mapToBundle(parseMessage(adt('A01', PV1, pid))), 'Patient');
    const ids = p.resource!.identifier!.map((i) => `${i.system}|${i.value}`);
    expect(ids).toEqual([
      `${RESIDENT_ID_SYSTEM}|11010519491231002X`,
      'urn:yiwang:hl7v2:id:HOSP|11010519491231002X',
      'urn:yiwang:hl7v2:id:HOSP|778899',
      `${RESIDENT_ID_SYSTEM}|500119198803150011`,
    ]);
    // The local record identifier (PI) keys the conditional update, not the shared resident ID.
    expect(p.request!.url).toBe('Patient?identifier=urn:yiwang:hl7v2:id:HOSP|11010519491231002X');
    expect(p.resource!.name).toEqual([{ text: '欧阳娜娜', family: '欧阳', given: ['娜娜'] }]);
    expect(p.resource!.gender).toBe('female');
  });

  it('is idempotency-friendly: same message → same bundle; re-sent with a new control id → same conditions', () => {
    expect(mapToBundle(parseMessage(adt('A01')))).toEqual(bundle);
    const again = mapToBundle(parseMessage(adt('A08', PV1, PID, 'ADT999')));
    const conditions = (b: Bundle): string[] =>
      b.entry!.map((e) => `${e.request!.method} ${e.request!.url} ${e.request!.ifNoneExist ?? ''}`);
    expect(conditions(again)).toEqual(conditions(bundle));
  });

  it('keys an encounter without visit number by patient and admit time', () => {
    const r = mapToFhir(parseMessage(adt('A01', seg('PV1', { 1: '1', 2: 'I', 44: '20240315090000' }))));
    expect(r.kind).toBe('transaction');
    if (r.kind !== 'transaction') return;
    expect(one<Encounter>(r.bundle, 'Encounter').request!.url).toBe(
      'Encounter?identifier=urn:yiwang:hl7v2:visit-admit:南川区人民医院|0012345/20240315090000'.replace(
        '南川区人民医院',
        encodeURIComponent('南川区人民医院'),
      ),
    );
    expect(r.warnings).toEqual([expect.stringMatching(/PV1-19/)]);
  });
});

describe('ADT^A40 → merge instruction', () => {
  it('lists surviving and merged identifiers with conditional references', () => {
    const text = [
      header('ADT^A40^ADT_A39', 'M001'),
      seg('EVN', { 1: 'A40', 2: '20240315093000' }),
      seg('PID', { 1: '1', 3: '0012345^^^HOSP^MR', 5: '张三' }),
      seg('MRG', { 1: '0099999^^^HOSP^MR', 5: 'V9' }),
      seg('PID', { 1: '2', 3: '0012346^^^HOSP^MR~500119198803150011^^^^NNCHN', 5: '李四' }),
      seg('MRG', { 1: '0099998^^^HOSP^MR' }),
    ].join('\r');
    const msg = parseMessage(text);
    expect(validateMessage(msg)).toEqual([]);
    const r = mapToFhir(msg);
    expect(r.kind).toBe('merge');
    if (r.kind !== 'merge') return;
    expect(r.merge).toMatchObject({ kind: 'patient-merge', event: 'A40', controlId: 'M001', sender: '南川区人民医院' });
    expect(r.merge.merges).toHaveLength(2);
    expect(r.merge.merges[0]).toMatchObject({
      surviving: [{ system: 'urn:yiwang:hl7v2:id:HOSP', value: '0012345' }],
      survivingReference: 'Patient?identifier=urn:yiwang:hl7v2:id:HOSP|0012345',
      merged: [{ system: 'urn:yiwang:hl7v2:id:HOSP', value: '0099999' }],
      mergedReference: 'Patient?identifier=urn:yiwang:hl7v2:id:HOSP|0099999',
      priorVisit: 'V9',
    });
    expect(r.merge.merges[1]!.surviving.map((i) => i.value)).toEqual(['0012346', '500119198803150011']);
    expect(r.merge.merges[1]!.patient.name?.[0]?.text).toBe('李四');
    expect(() => mapToBundle(msg)).toThrow(ParseError);
  });
});

const ORU = [
  header('ORU^R01^ORU_R01', 'LIS0001', { 3: 'LIS', 12: '2.4' }),
  seg('PID', { 1: '1', 3: '0012345^^^NCRMYY^MR', 5: '张三', 7: '19880315', 8: 'M' }),
  seg('PV1', { 1: '1', 2: 'O', 3: '检验科', 19: 'V20240316002' }),
  seg('ORC', { 1: 'RE', 2: 'HIS-ORD-1^HIS', 3: 'LIS-20240316-0001^LIS' }),
  seg('OBR', {
    1: '1',
    2: 'HIS-ORD-1^HIS',
    3: 'LIS-20240316-0001^LIS',
    4: 'CBC^血常规^L',
    7: '20240316083000',
    16: 'D002^王^五',
    22: '20240316101000',
    24: 'HM',
    25: 'F',
  }),
  seg('OBX', {
    1: '1',
    2: 'NM',
    3: '6690-2^白细胞计数^LN',
    5: '11.2',
    6: '10\\S\\9/L',
    7: '3.5-9.5',
    8: 'H',
    11: 'F',
    14: '20240316095000',
  }),
  seg('OBX', { 1: '2', 2: 'NM', 3: '718-7^血红蛋白^LN', 5: '135', 6: 'g/L', 7: '130-175', 8: 'N', 11: 'F' }),
  seg('OBX', { 1: '3', 2: 'NM', 3: '777-3^血小板计数^LN', 5: '<5', 6: '10^9/L', 7: '125-350', 8: 'LL', 11: 'F' }),
  seg('OBX', { 1: '4', 2: 'SN', 3: '5902-2^凝血酶原时间^LN', 5: '>^120', 6: 's', 7: '<13', 8: '↑', 11: 'C' }),
  seg('OBX', { 1: '5', 2: 'ST', 3: '5778-6^尿颜色^LN', 5: '淡黄色', 11: 'F' }),
  seg('OBX', { 1: '6', 2: 'CE', 3: '5196-1^乙肝表面抗原^LN', 5: 'NEG^阴性^HL70078', 7: '阴性', 8: 'N', 11: 'F' }),
  seg('OBX', { 1: '7', 2: 'SN', 3: '31201-7^抗体滴度^LN', 5: '^1^:^128', 11: 'P' }),
  seg('OBX', { 1: '8', 2: 'SN', 3: 'X1^范围值^99LOCAL', 5: '^10^-^20', 6: 'mg/L^^UCUM', 11: 'F' }),
  seg('NTE', { 1: '1', 3: '建议复查' }),
  seg('OBX', { 1: '9', 2: 'TX', 3: 'X2^镜检^99LOCAL', 5: '第一行~第二行', 11: 'I' }),
  seg('OBX', { 1: '10', 2: 'DT', 3: 'X3^末次月经^99LOCAL', 5: '20240301', 11: 'F' }),
].join('\r');

describe('ORU^R01 → Observations + DiagnosticReport', () => {
  const msg = parseMessage(ORU);
  const bundle = mapToBundle(msg);
  const obs = entries<Observation>(bundle, 'Observation');
  const o = (i: number): Observation => obs[i]!.resource!;

  it('validates with a warning for the comparator in an NM value', () => {
    expect(validateMessage(msg).map((e) => [e.code, e.severity, e.location.segment, e.location.sequence, e.location.field])).toEqual([
      [102, 'W', 'OBX', 3, 5],
    ]);
  });

  it('maps one Observation per OBX, keyed by filler order number and set id', () => {
    expect(obs).toHaveLength(10);
    expect(obs.map((e) => e.resource!.identifier![0]!.value)).toEqual(Array.from({ length: 10 }, (_, i) => `LIS-20240316-0001-${i + 1}`));
    expect(obs[0]!.request).toEqual({
      method: 'PUT',
      url: 'Observation?identifier=urn:yiwang:hl7v2:obx:%E5%8D%97%E5%B7%9D%E5%8C%BA%E4%BA%BA%E6%B0%91%E5%8C%BB%E9%99%A2|LIS-20240316-0001-1',
    });
    expect(o(0).code).toEqual({ coding: [{ system: 'http://loinc.org', code: '6690-2', display: '白细胞计数' }] });
    expect(o(0).status).toBe('final');
    expect(o(0).effectiveDateTime).toBe('2024-03-16T09:50:00+08:00');
    expect(o(1).effectiveDateTime).toBe('2024-03-16T08:30:00+08:00');
    expect(o(0).issued).toBe('2024-03-16T10:10:00+08:00');
    expect(o(0).category?.[0]?.coding?.[0]?.code).toBe('laboratory');
  });

  it('maps NM with UCUM units, reference ranges and interpretation', () => {
    const ucum = { unit: '10^9/L', system: 'http://unitsofmeasure.org', code: '10*9/L' };
    expect(o(0).valueQuantity).toEqual({ value: 11.2, ...ucum });
    expect(o(0).referenceRange).toEqual([{ low: { value: 3.5, ...ucum }, high: { value: 9.5, ...ucum }, text: '3.5-9.5' }]);
    expect(o(0).interpretation).toEqual([
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H', display: 'High' }] },
    ]);
    expect(o(1).valueQuantity).toEqual({ value: 135, unit: 'g/L', system: 'http://unitsofmeasure.org', code: 'g/L' });
    expect(o(2).valueQuantity).toEqual({ value: 5, comparator: '<', ...ucum }); // unescaped '10^9/L' repaired
    expect(o(2).interpretation?.[0]?.coding?.[0]?.code).toBe('LL');
  });

  it('maps SN, ST, TX, CE and DT values and OBX-11 statuses', () => {
    expect(o(3).valueQuantity).toEqual({ value: 120, comparator: '>', unit: 's', system: 'http://unitsofmeasure.org', code: 's' });
    expect(o(3).referenceRange).toEqual([{ high: { value: 13, unit: 's', system: 'http://unitsofmeasure.org', code: 's' }, text: '<13' }]);
    expect(o(3).interpretation?.[0]?.coding?.[0]?.code).toBe('H');
    expect(o(3).status).toBe('corrected');
    expect(o(4).valueString).toBe('淡黄色');
    expect(o(5).valueCodeableConcept).toEqual({
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0078', code: 'NEG', display: '阴性' }],
    });
    expect(o(5).referenceRange).toEqual([{ text: '阴性' }]);
    expect(o(6).valueRatio).toEqual({ numerator: { value: 1 }, denominator: { value: 128 } });
    expect(o(6).status).toBe('preliminary');
    expect(o(7).valueRange).toEqual({
      low: { value: 10, unit: 'mg/L', system: 'http://unitsofmeasure.org', code: 'mg/L' },
      high: { value: 20, unit: 'mg/L', system: 'http://unitsofmeasure.org', code: 'mg/L' },
    });
    expect(o(7).code.coding?.[0]?.system).toBe('urn:yiwang:hl7v2:cs:99LOCAL');
    expect(o(7).note).toEqual([{ text: '建议复查' }]);
    expect(o(8).valueString).toBe('第一行\n第二行');
    expect(o(8).status).toBe('registered');
    expect(o(9).valueDateTime).toBe('2024-03-01');
  });

  it('adds a DiagnosticReport with all results and the ServiceRequest it answers', () => {
    const dr = one<DiagnosticReport>(bundle, 'DiagnosticReport');
    expect(dr.request).toEqual({ method: 'PUT', url: 'DiagnosticReport?identifier=urn:yiwang:hl7v2:filler-order:LIS|LIS-20240316-0001' });
    expect(dr.resource!.status).toBe('final');
    expect(dr.resource!.code.coding?.[0]).toMatchObject({ code: 'CBC', display: '血常规' });
    expect(dr.resource!.result?.map((r) => r.reference)).toEqual(obs.map((e) => e.fullUrl));
    expect(dr.resource!.category?.[0]?.coding?.[0]?.code).toBe('HM');
    const sr = one<ServiceRequest>(bundle, 'ServiceRequest');
    expect(sr.request).toEqual({
      method: 'POST',
      url: 'ServiceRequest',
      ifNoneExist: 'identifier=urn:yiwang:hl7v2:placer-order:HIS|HIS-ORD-1',
    });
    expect(sr.resource!.status).toBe('completed');
    expect(dr.resource!.basedOn).toEqual([{ reference: sr.fullUrl }]);
    expect(o(0).basedOn).toEqual([{ reference: sr.fullUrl }]);
    expect(one<Patient>(bundle, 'Patient').request).toEqual({
      method: 'POST',
      url: 'Patient',
      ifNoneExist: 'identifier=urn:yiwang:hl7v2:id:NCRMYY|0012345',
    });
    expect(one<Encounter>(bundle, 'Encounter').request?.method).toBe('POST');
    expectConsistent(bundle);
  });

  it('maps several patients and orders in one message, and disambiguates repeated set ids', () => {
    const text = [
      header('ORU^R01', 'LIS0002'),
      seg('PID', { 1: '1', 3: 'P1^^^H^MR', 5: '甲' }),
      seg('OBR', { 1: '1', 3: 'F1', 4: 'A^a', 25: 'F' }),
      seg('OBX', { 1: '1', 2: 'NM', 3: 'x^x', 5: '1', 11: 'F' }),
      seg('OBX', { 1: '1', 2: 'NM', 3: 'y^y', 5: '2', 11: 'F' }),
      seg('OBR', { 1: '2', 3: 'F2', 4: 'B^b', 25: 'P' }),
      seg('OBX', { 2: 'NM', 3: 'z^z', 5: '3', 11: 'P' }),
      seg('PID', { 1: '2', 3: 'P2^^^H^MR', 5: '乙' }),
      seg('OBR', { 1: '1', 3: 'F3', 4: 'C^c', 25: 'F' }),
      seg('OBX', { 1: '1', 2: 'NM', 3: 'x^x', 5: '4', 11: 'F' }),
    ].join('\r');
    const r = mapToFhir(parseMessage(text));
    if (r.kind !== 'transaction') throw new Error('expected a bundle');
    const b = r.bundle;
    expect(entries(b, 'Patient')).toHaveLength(2);
    expect(entries(b, 'DiagnosticReport').map((e) => (e.resource as DiagnosticReport).result?.length)).toEqual([2, 1, 1]);
    expect(entries<Observation>(b, 'Observation').map((e) => e.resource!.identifier![0]!.value)).toEqual([
      'F1-1',
      'F1-1@5',
      'F2-1',
      'F3-1',
    ]);
    const patients = entries(b, 'Patient').map((e) => e.fullUrl);
    expect(entries<Observation>(b, 'Observation').map((e) => patients.indexOf(e.resource!.subject!.reference!))).toEqual([0, 0, 0, 1]);
    expect(r.warnings).toEqual([expect.stringMatching(/repeats set id/)]);
    expectConsistent(b);
  });

  it('parses reference ranges', () => {
    const u = {};
    expect(referenceRange('3.5-5.5', u)).toEqual({ low: { value: 3.5 }, high: { value: 5.5 }, text: '3.5-5.5' });
    expect(referenceRange('3.5~5.5', u)).toEqual({ low: { value: 3.5 }, high: { value: 5.5 }, text: '3.5~5.5' });
    expect(referenceRange('-2--1', u)).toEqual({ low: { value: -2 }, high: { value: -1 }, text: '-2--1' });
    expect(referenceRange('>10', u)).toEqual({ low: { value: 10 }, text: '>10' });
    expect(referenceRange('≤ 5', u)).toEqual({ high: { value: 5 }, text: '≤ 5' });
    expect(referenceRange('阴性', u)).toEqual({ text: '阴性' });
    expect(referenceRange('', u)).toBeUndefined();
  });
});

describe('ORM^O01 / OML^O21 → ServiceRequest', () => {
  const orm = [
    header('ORM^O01', 'ORD001'),
    seg('PID', { 1: '1', 3: '0012345^^^NCRMYY^MR', 5: '张三' }),
    seg('PV1', { 1: '1', 2: 'O', 19: 'V1' }),
    seg('ORC', { 1: 'NW', 2: 'HIS-ORD-9^HIS', 4: 'G1^HIS', 5: 'SC', 7: '^^^20240317080000^^S', 9: '20240316170000', 12: 'D001^李^四' }),
    seg('OBR', { 1: '1', 2: 'HIS-ORD-9^HIS', 4: '24725-4^CT头部平扫^LN', 31: '^头痛' }),
    seg('NTE', { 1: '1', 3: '空腹' }),
    seg('DG1', { 1: '1', 3: 'R51^头痛^I10' }),
    seg('ORC', { 1: 'CA', 2: 'HIS-ORD-8^HIS' }),
    seg('OBR', { 1: '2', 2: 'HIS-ORD-8^HIS', 4: 'CBC^血常规^L' }),
  ].join('\r');

  it('maps each order with identifiers, status, priority, requester, reasons and notes', () => {
    const b = bundleOf(orm);
    const srs = entries<ServiceRequest>(b, 'ServiceRequest');
    expect(srs.map((e) => e.request)).toEqual([
      { method: 'PUT', url: 'ServiceRequest?identifier=urn:yiwang:hl7v2:placer-order:HIS|HIS-ORD-9' },
      { method: 'PUT', url: 'ServiceRequest?identifier=urn:yiwang:hl7v2:placer-order:HIS|HIS-ORD-8' },
    ]);
    const sr = srs[0]!.resource!;
    expect(sr).toMatchObject({
      status: 'active',
      intent: 'order',
      priority: 'stat',
      authoredOn: '2024-03-16T17:00:00+08:00',
      occurrenceDateTime: '2024-03-17T08:00:00+08:00',
      code: { coding: [{ system: 'http://loinc.org', code: '24725-4', display: 'CT头部平扫' }] },
      requisition: { value: 'G1', type: { coding: [{ code: 'PGN' }] } },
      note: [{ text: '空腹' }],
    });
    expect(sr.identifier?.[0]).toMatchObject({ value: 'HIS-ORD-9', type: { coding: [{ code: 'PLAC' }] } });
    expect(sr.reasonCode).toEqual([
      { text: '头痛' },
      { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'R51', display: '头痛' }] },
    ]);
    expect(sr.requester?.display).toBe('李四');
    expect(sr.encounter?.reference).toBe(one(b, 'Encounter').fullUrl);
    expect(srs[1]!.resource!.status).toBe('revoked');
    expect(one(b, 'Patient').request?.method).toBe('POST');
    expectConsistent(b);
  });

  it('handles OML^O21 with TQ1 priority and the filler number when no placer number is sent', () => {
    const oml = [
      header('OML^O21^OML_O21', 'OML001', { 12: '2.5.1' }),
      seg('PID', { 1: '1', 3: '0012345^^^NCRMYY^MR', 5: '张三' }),
      seg('ORC', { 1: 'SC', 3: 'LIS-77^LIS', 5: 'CM' }),
      seg('TQ1', { 1: '1', 7: '20240317080000', 8: '20240317090000', 9: 'A' }),
      seg('OBR', { 1: '1', 3: 'LIS-77^LIS', 4: 'GLU^血糖^L' }),
    ].join('\r');
    const sr = one<ServiceRequest>(bundleOf(oml), 'ServiceRequest');
    expect(sr.request!.url).toBe('ServiceRequest?identifier=urn:yiwang:hl7v2:filler-order:LIS|LIS-77');
    expect(sr.resource).toMatchObject({
      status: 'completed',
      priority: 'asap',
      occurrencePeriod: { start: '2024-03-17T08:00:00+08:00', end: '2024-03-17T09:00:00+08:00' },
    });
  });
});

describe('SIU^S12 → Appointment', () => {
  it('maps identifiers, times, participants and comments', () => {
    const siu = [
      header('SIU^S12^SIU_S12', 'SCH001'),
      seg('SCH', { 1: 'APT-1^HIS', 2: 'APT-F1^SCHED', 6: 'FU^复诊^L', 7: 'FOLLOWUP^复诊^HL70276', 9: '30', 10: 'min', 25: 'Booked' }),
      seg('NTE', { 1: '1', 3: '携带既往检查报告' }),
      seg('PID', { 1: '1', 3: '0012345^^^NCRMYY^MR', 5: '张三' }),
      seg('RGS', { 1: '1' }),
      seg('AIS', { 1: '1', 3: 'CONSULT^门诊复诊^L', 4: '20240320090000' }),
      seg('AIP', { 1: '1', 3: 'D001^李^四', 4: 'ATT^主治医师^L' }),
      seg('AIL', { 1: '1', 3: '心内科门诊^201' }),
    ].join('\r');
    const b = bundleOf(siu);
    const a = one<Appointment>(b, 'Appointment');
    expect(a.request).toEqual({ method: 'PUT', url: 'Appointment?identifier=urn:yiwang:hl7v2:filler-appointment:SCHED|APT-F1' });
    expect(a.resource).toMatchObject({
      status: 'booked',
      start: '2024-03-20T09:00:00+08:00',
      end: '2024-03-20T09:30:00+08:00',
      minutesDuration: 30,
      comment: '携带既往检查报告',
      appointmentType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0276', code: 'FOLLOWUP' }] },
      serviceType: [{ coding: [{ code: 'CONSULT', display: '门诊复诊' }] }],
    });
    expect(a.resource!.identifier?.map((i) => i.value)).toEqual(['APT-1', 'APT-F1']);
    expect(a.resource!.participant.map((p) => p.actor?.display)).toEqual(['张三', '李四', '心内科门诊 201']);
    expectConsistent(b);
  });
});

describe('unsupported messages', () => {
  it('throws ParseError 200/201', () => {
    const a02 = parseMessage(adt('A02'));
    expect(() => mapToFhir(a02)).toThrow(expect.objectContaining({ code: 201 }));
    const dft = parseMessage([header('DFT^P03', '1'), PID].join('\r'));
    expect(() => mapToFhir(dft)).toThrow(expect.objectContaining({ code: 200 }));
  });
});
