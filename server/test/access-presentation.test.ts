/**
 * Rules of what a caller sees and what the audit trail records, without a server: masking per role
 * (policy data), masked values refused on write, and the audit rows derived from an interaction.
 */
import type { Patient } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { accessAuditInputs, type FhirAccessEvent } from '../src/platform/access/audit-access.js';
import { maskBody, maskIdNumber, maskPhone, masksFor, rejectMaskedValues } from '../src/platform/access/mask.js';
import { policyInForce } from '../src/platform/access/policy.js';
import type { Principal } from '../src/platform/auth/service.js';
import { RawJson } from '../src/platform/fhir/raw.js';
import { RESIDENT_ID_SYSTEM } from '../src/platform/identity/empi/person.js';

const policy = policyInForce('2026-11-23');

describe('masking (脱敏)', () => {
  it('keeps the ends of ID numbers and phones', () => {
    expect(maskIdNumber('500119198001011234')).toBe('5001**********1234');
    expect(maskIdNumber('500119800101123')).toBe('5001*******1123');
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('023-1234')).toBe('023-1234'.slice(0, 3) + '*' + '1234');
    expect(maskPhone('12')).toBe('**');
  });

  it('masks a field only when every role of the caller masks it', () => {
    expect([...masksFor(policy, ['manager'])].sort()).toEqual(['address', 'id-number', 'phone']);
    expect([...masksFor(policy, ['manager', 'insurance-officer'])].sort()).toEqual(['address', 'phone']);
    expect([...masksFor(policy, ['manager', 'village-doctor'])]).toEqual([]);
    expect([...masksFor(policy, [])]).toEqual([]);
    // The earlier policy version had no masking: dated data, not rewritten.
    expect([...masksFor(policyInForce('2026-06-01'), ['manager'])]).toEqual([]);
  });

  const patient = (): Patient => ({
    resourceType: 'Patient',
    id: 'p1',
    identifier: [
      { system: RESIDENT_ID_SYSTEM, value: '500119198001011234' },
      { system: 'urn:yiwang:hospital-card', value: 'MZ0001' },
      { system: 'urn:yiwang:e-health-card', value: 'EHC0123456789ABCDE7' },
    ],
    telecom: [
      { system: 'phone', value: '13812345678' },
      { system: 'email', value: 'a@b.cn' },
    ],
    address: [
      {
        line: ['金龙村3组12号'],
        district: '南川区',
        text: '重庆市南川区大观镇金龙村3组12号',
        extension: [{ url: 'https://yiwang.cn/fhir/StructureDefinition/address-division', valueCode: '500119105201' }],
      },
    ],
    contact: [{ telecom: [{ system: 'phone', value: '13987654321' }] }],
  });

  it('masks stored text only when it holds an identity resource, inside bundles too', () => {
    const masks = masksFor(policy, ['manager']);
    const obs = new RawJson('{"resourceType":"Observation","id":"o1"}');
    expect(maskBody(obs, masks)).toBe(obs);
    const bundle = new RawJson(JSON.stringify({ resourceType: 'Bundle', entry: [{ resource: patient() }] }));
    const masked = maskBody(bundle, masks) as any;
    const p = masked.entry[0].resource;
    expect(p.identifier.map((i: any) => i.value)).toEqual(['5001**********1234', 'MZ0001', 'EHC0***********CDE7']);
    expect(p.telecom.map((t: any) => t.value)).toEqual(['138****5678', 'a@b.cn']);
    expect(p.contact[0].telecom[0].value).toBe('139****4321');
    expect(p.address[0]).toEqual({
      line: ['****'],
      district: '南川区',
      text: '重庆市南川区****',
      extension: [{ url: 'https://yiwang.cn/fhir/StructureDefinition/address-division', valueCode: '500119105' }],
    });
    expect(maskBody(patient(), new Set())).toEqual(patient());
  });

  it('refuses masked values on write, saying where', () => {
    expect(rejectMaskedValues(patient())).toEqual([]);
    const p = patient();
    p.identifier![0]!.value = '5001**********1234';
    p.telecom![0]!.value = '138****5678';
    const issues = rejectMaskedValues(p);
    expect(issues.map((i) => i.expression?.[0])).toEqual(['Patient.identifier[0].value', 'Patient.telecom[0].value']);
  });
});

describe('audit rows of an interaction', () => {
  const principal: Principal = {
    kind: 'user',
    tenant: 't',
    subject: 'u1',
    username: 'dr.li',
    roles: ['township-doctor'],
    scopes: ['user/*.cruds'],
    organizationId: 'T1',
    practitionerId: 'dr-li',
    sessionId: 's',
  };
  const event = (e: Partial<FhirAccessEvent>): FhirAccessEvent => ({ principal, method: 'GET', path: '', status: 200, ...e });

  it('writes one row per resident touched, with who, where and what', () => {
    const body = new RawJson(
      JSON.stringify({
        resourceType: 'Bundle',
        entry: [
          { resource: { resourceType: 'Observation', id: 'o1', subject: { reference: 'Patient/p1' } } },
          { resource: { resourceType: 'Observation', id: 'o2', subject: { reference: 'Patient/p2' } } },
        ],
      }),
    );
    const rows = accessAuditInputs(event({ path: 'Observation', queryString: 'code=8480-6', responseBody: body, sourceIp: '10.0.0.9' }));
    expect(rows.map((r) => r.patientId).sort()).toEqual(['p1', 'p2']);
    expect(rows[0]).toMatchObject({
      action: 'search-type',
      userId: 'Practitioner/dr-li',
      userDisplay: 'dr.li',
      role: 'township-doctor',
      institution: 'T1',
      query: 'Observation?code=8480-6',
      sourceIp: '10.0.0.9',
      outcome: 0,
    });
    expect(rows[0]!.resources).toEqual(['Observation/o1', 'Observation/o2']);
  });

  it('names the action of each interaction', () => {
    const action = (method: string, path: string) => accessAuditInputs(event({ method, path, status: 200 }))[0]?.action;
    expect(action('GET', 'Patient/p1')).toBe('read');
    expect(action('GET', 'Patient/p1/_history/2')).toBe('vread');
    expect(action('GET', 'Patient/p1/_history')).toBe('history');
    expect(action('GET', 'Patient/p1/$everything')).toBe('read');
    expect(action('GET', 'Patient/p1/Observation')).toBe('search-type');
    expect(action('PUT', 'Patient/p1')).toBe('update');
    expect(action('DELETE', 'Patient/p1')).toBe('delete');
    expect(action('POST', 'Observation')).toBe('create');
  });

  it('records refused attempts on personal data and skips reference data', () => {
    const refused = accessAuditInputs(event({ path: 'Patient/p9', status: 404, breakGlassReason: '急诊' }));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ patientId: 'p9', outcome: 4, detail: 'HTTP 404', breakGlassReason: '急诊' });
    const org = new RawJson('{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Organization","id":"T1"}}]}');
    expect(accessAuditInputs(event({ path: 'Organization', responseBody: org }))).toEqual([]);
    expect(accessAuditInputs(event({ path: 'metadata' }))).toEqual([]);
    // A search of personal data that found nobody is still recorded (what was looked for).
    expect(accessAuditInputs(event({ path: 'Observation', queryString: 'subject=Patient/p9' }))).toHaveLength(1);
  });

  it('keeps identity values out of the recorded query', () => {
    const q = `identifier=${encodeURIComponent(`${RESIDENT_ID_SYSTEM}|500119198001011234`)}&phone=13812345678&name=%E5%BC%A0&subject.identifier=MZ01`;
    const [row] = accessAuditInputs(event({ path: 'Patient', queryString: q }));
    expect(row!.query).toBe(
      `Patient?identifier=${RESIDENT_ID_SYSTEM}|5001**********1234&phone=1381***5678&name=%E5%BC%A0&subject.identifier=****`,
    );
  });

  it('finds the residents named in the body of a write', () => {
    const rows = accessAuditInputs(
      event({
        method: 'POST',
        path: 'Observation',
        status: 201,
        requestBody: { resourceType: 'Observation', subject: { reference: 'Patient/p3' } },
      }),
    );
    expect(rows.map((r) => r.patientId)).toEqual(['p3']);
  });
});
