/** HL7 v2 fixtures for the service, HTTP and MLLP tests: Chinese county messages built field by field. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyFile, Keyring } from '../../src/platform/crypto/keyring.js';
import { Hl7Service, type Hl7ServiceDeps } from '../../src/platform/exchange/hl7v2/service.js';
import type { TestClient } from './db.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const HL7_DATA = process.env.YIWANG_SHARED_DATA
  ? join(process.env.YIWANG_SHARED_DATA, 'hl7v2')
  : resolve(repoRoot, '../shared/data/hl7v2');
export const haveHl7Data = existsSync(HL7_DATA);

/** A message of the public corpus (Microsoft FHIR-Converter samples). */
export function sample(name: string): Buffer {
  return readFileSync(join(HL7_DATA, 'microsoft-fhir-converter/messages', name));
}

export const BASE_URL = 'http://yiwang.test/fhir/R4';

export function testKeyring(): Keyring {
  return Keyring.fromJson(generateKeyFile());
}

/** A service on the test app's database, writing into the client's tenant. */
export function serviceFor(client: TestClient, extra: Partial<Hl7ServiceDeps> = {}): Hl7Service {
  return new Hl7Service({
    db: client.yiwang.db,
    keyring: testKeyring(),
    repositoryFor: (tenant) => client.yiwang.systemRepository(tenant),
    baseUrl: BASE_URL,
    ...extra,
  });
}

/** Builds a segment from numbered fields so that fixtures never miscount pipes. */
export function seg(name: string, fields: Record<number, string>): string {
  const max = Math.max(0, ...Object.keys(fields).map(Number));
  const parts: string[] = [name];
  for (let i = 1; i <= max; i++) parts.push(fields[i] ?? '');
  return parts.join('|');
}

export function msh(fields: Record<number, string>): string {
  const max = Math.max(12, ...Object.keys(fields).map(Number));
  const parts: string[] = ['MSH', '^~\\&'];
  for (let i = 3; i <= max; i++) parts.push(fields[i] ?? '');
  return parts.join('|');
}

export const header = (type: string, id: string, extra: Record<number, string> = {}): string =>
  msh({ 3: 'HIS', 4: 'NCRMYY', 5: 'YIWANG', 6: 'COUNTY', 7: '20240315093000+0800', 9: type, 10: id, 11: 'P', 12: '2.5', ...extra });

/** A valid resident ID number (GB 11643 check digit) and one with a wrong check digit. */
export const ID_NUMBER = '500119198803150011';
export const BAD_ID_NUMBER = '500119198803150012';

export const pid = (mrn: string, name = '张三', idNumber = ID_NUMBER): string =>
  seg('PID', {
    1: '1',
    3: `${mrn}^^^NCRMYY^MR~${idNumber}^^^^NNCHN`,
    5: name,
    7: '19880315',
    8: 'M',
    11: '金佛大道1号^^重庆市^重庆市^408400^CHN^H^^南川区',
    13: '^PRN^CP^^86^^13800138000',
  });

export const pv1 = (visit: string): string =>
  seg('PV1', { 1: '1', 2: 'I', 3: '内科一病区^0301^02^NCRMYY', 7: 'D001^李^四', 19: `${visit}^^^NCRMYY^VN`, 44: '20240315090000' });

export function adt(event: string, id: string, mrn = 'MRN001', visit = 'V001', name = '张三'): string {
  return [header(`ADT^${event}^ADT_A01`, id), seg('EVN', { 1: event, 2: '20240315093000' }), pid(mrn, name), pv1(visit)].join('\r');
}

export function oru(id: string, mrn = 'MRN001', filler = 'LIS-0001', extraPid?: string): string {
  const lines = [
    header('ORU^R01^ORU_R01', id, { 3: 'LIS' }),
    pid(mrn),
    seg('PV1', { 1: '1', 2: 'O', 19: 'V002^^^NCRMYY^VN' }),
    seg('ORC', { 1: 'RE', 2: 'ORD-1^HIS', 3: `${filler}^LIS` }),
    seg('OBR', { 1: '1', 2: 'ORD-1^HIS', 3: `${filler}^LIS`, 4: 'CBC^血常规^L', 7: '20240316083000', 22: '20240316101000', 25: 'F' }),
    seg('OBX', { 1: '1', 2: 'NM', 3: '6690-2^白细胞计数^LN', 5: '11.2', 6: '10\\S\\9/L', 7: '3.5-9.5', 8: 'H', 11: 'F' }),
    seg('OBX', { 1: '2', 2: 'NM', 3: '718-7^血红蛋白^LN', 5: '135', 6: 'g/L', 7: '130-175', 8: 'N', 11: 'F' }),
  ];
  if (extraPid) {
    lines.push(
      extraPid,
      seg('OBR', { 1: '2', 3: `${filler}-B^LIS`, 4: 'GLU^血糖^L', 7: '20240316083000', 25: 'F' }),
      seg('OBX', { 1: '1', 2: 'NM', 3: '2345-7^葡萄糖^LN', 5: '5.1', 6: 'mmol/L', 7: '3.9-6.1', 11: 'F' }),
    );
  }
  return lines.join('\r');
}
