/** A small county for critical-value tests: a hospital with a department, doctors, a head of department, medical affairs. */
import { expect } from 'vitest';
import type { TestClient } from './helpers/db.js';
import { header, pid, seg } from './helpers/hl7v2.js';

export const HL7_PRACTITIONER_SYSTEM = 'urn:yiwang:hl7v2:practitioner:NCRMYY';

export interface CriticalCounty {
  hospital: string;
  department: string;
  township: string;
  /** The ordering doctor (HL7 ORC-12 'D001'). */
  doctorA: string;
  /** Another doctor of the same department. */
  doctorB: string;
  head: string;
  medicalAffairs: string;
  doctorAClient: TestClient;
  doctorBClient: TestClient;
  headClient: TestClient;
  medicalAffairsClient: TestClient;
}

async function put(client: TestClient, resource: { resourceType: string; id: string } & Record<string, unknown>): Promise<void> {
  const res = await client.request('PUT', `${resource.resourceType}/${resource.id}`, resource);
  if (res.statusCode >= 300) throw new Error(`PUT ${resource.resourceType}/${resource.id}: ${res.statusCode} ${res.body}`);
}

const role = (id: string, practitioner: string, organization: string, code: string) => ({
  resourceType: 'PractitionerRole',
  id,
  active: true,
  practitioner: { reference: `Practitioner/${practitioner}` },
  organization: { reference: `Organization/${organization}` },
  code: [{ coding: [{ system: 'urn:yiwang:role', code }] }],
});

/** Writes the registry with the admin client and signs in the staff. `withHead: false` leaves the department headless. */
export async function criticalCounty(
  admin: TestClient,
  options: { withHead?: boolean; withMedicalAffairs?: boolean } = {},
): Promise<CriticalCounty> {
  const c = {
    hospital: 'org-hospital',
    department: 'org-internal',
    township: 'org-township',
    doctorA: 'dr-a',
    doctorB: 'dr-b',
    head: 'dr-head',
    medicalAffairs: 'dr-ma',
  };
  await put(admin, { resourceType: 'Organization', id: c.hospital, name: '南川区人民医院' });
  await put(admin, { resourceType: 'Organization', id: c.department, name: '内科', partOf: { reference: `Organization/${c.hospital}` } });
  await put(admin, { resourceType: 'Organization', id: c.township, name: '大观镇卫生院' });
  const practitioner = (id: string, name: string, identifier?: string) => ({
    resourceType: 'Practitioner',
    id,
    name: [{ text: name }],
    ...(identifier ? { identifier: [{ system: HL7_PRACTITIONER_SYSTEM, value: identifier }] } : {}),
  });
  await put(admin, practitioner(c.doctorA, '王医生', 'D001'));
  await put(admin, practitioner(c.doctorB, '李医生', 'D002'));
  await put(admin, practitioner(c.head, '赵主任'));
  await put(admin, practitioner(c.medicalAffairs, '钱科长'));
  await put(admin, role('role-a', c.doctorA, c.department, 'county-specialist'));
  await put(admin, role('role-b', c.doctorB, c.department, 'county-specialist'));
  // The head sits at the hospital: escalation climbs from the department (partOf) to find them.
  if (options.withHead !== false) await put(admin, role('role-head', c.head, c.hospital, 'department-head'));
  if (options.withMedicalAffairs !== false) await put(admin, role('role-ma', c.medicalAffairs, c.hospital, 'medical-affairs'));
  const staff = (practitionerId: string, organizationId: string) =>
    admin.as({ roles: ['county-specialist'], practitionerId, organizationId, username: `u-${practitionerId}` });
  return {
    ...c,
    doctorAClient: await staff(c.doctorA, c.department),
    doctorBClient: await staff(c.doctorB, c.department),
    headClient: await staff(c.head, c.hospital),
    medicalAffairsClient: await staff(c.medicalAffairs, c.hospital),
  };
}

/** An HL7 timestamp (China time) `minutes` from now. */
export function hl7Time(minutes = 0): string {
  const t = new Date(Date.now() + minutes * 60_000 + 8 * 3600_000).toISOString();
  return `${t.slice(0, 19).replace(/[-T:]/g, '')}+0800`;
}

/** An ISO instant `minutes` from now (results must be recent to raise an alert: older ones are history). */
export const isoMinutesFromNow = (minutes: number): string => new Date(Date.now() + minutes * 60_000).toISOString();

/** An ORU^R01 with one potassium result ordered by D001 (ORC-12), collected 30 and released 20 minutes ago. */
export function potassiumOru(controlId: string, value = '7.1', options: { filler?: string; mrn?: string } = {}): string {
  const filler = options.filler ?? 'LIS-K1';
  const when = hl7Time(-30);
  return [
    header('ORU^R01^ORU_R01', controlId, { 3: 'LIS' }),
    pid(options.mrn ?? 'MRN-K1'),
    seg('PV1', { 1: '1', 2: 'O', 19: 'V-K1^^^NCRMYY^VN' }),
    seg('ORC', { 1: 'RE', 2: 'ORD-K1^HIS', 3: `${filler}^LIS`, 12: 'D001^王^医生' }),
    seg('OBR', {
      1: '1',
      2: 'ORD-K1^HIS',
      3: `${filler}^LIS`,
      4: 'BMP^生化^L',
      7: when,
      22: hl7Time(-20),
      24: 'CH',
      25: 'F',
    }),
    seg('OBX', { 1: '1', 2: 'NM', 3: '2823-3^钾^LN', 5: value, 6: 'mmol/L', 7: '3.5-5.3', 8: 'HH', 11: 'F' }),
    seg('OBX', { 1: '2', 2: 'NM', 3: '2951-2^钠^LN', 5: '140', 6: 'mmol/L', 7: '137-147', 8: 'N', 11: 'F' }),
  ].join('\r');
}

/** The caller's inbox items of a notification category. */
export async function inbox(client: TestClient, category = 'critical-value'): Promise<any[]> {
  const res = await client.get(`/api/inbox?category=${category}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

/** A final head CT report concluding an intracranial haemorrhage (a critical finding), ordered by ServiceRequest/sr-ct. */
export const haemorrhageReport = (patientId: string, effectiveDateTime: string) => ({
  resourceType: 'DiagnosticReport',
  id: 'dr-ct',
  status: 'final',
  basedOn: [{ reference: 'ServiceRequest/sr-ct' }],
  code: { text: '头颅CT平扫' },
  subject: { reference: `Patient/${patientId}` },
  effectiveDateTime,
  conclusion: '左侧基底节区脑出血',
  conclusionCode: [{ coding: [{ system: 'http://snomed.info/sct', code: '1386000', display: 'Intracranial hemorrhage' }] }],
});

export function postHl7(client: TestClient, body: string) {
  return client.yiwang.app.inject({
    method: 'POST',
    url: '/hl7/v2',
    headers: { 'x-test-tenant': client.tenant, 'content-type': 'application/hl7-v2', authorization: `Bearer ${client.token}` },
    payload: body,
  });
}

/** A final potassium Observation written over FHIR, ordered by `requester` through a ServiceRequest. */
export async function potassiumOverFhir(
  client: TestClient,
  patientId: string,
  value: number,
  options: { requester?: string; effective?: string; issued?: string; id?: string } = {},
): Promise<string> {
  const id = options.id ?? `obs-${Math.random().toString(36).slice(2, 10)}`;
  const sr = `sr-${id}`;
  await put(client, {
    resourceType: 'ServiceRequest',
    id: sr,
    status: 'active',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    requester: { reference: `Practitioner/${options.requester ?? 'dr-a'}` },
    code: { text: '电解质' },
  });
  await put(client, {
    resourceType: 'Observation',
    id,
    status: 'final',
    basedOn: [{ reference: `ServiceRequest/${sr}` }],
    code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: '钾' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: options.effective ?? isoMinutesFromNow(-10),
    ...(options.issued ? { issued: options.issued } : {}),
    valueQuantity: { value, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  });
  return id;
}
