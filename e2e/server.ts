/**
 * Starts the real server for the browser tests: `yiwang serve --memory` (through tsx) on a free port, which loads the
 * small demo county before it listens; then gives one resident about 500 resources for the 360° load-time check.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const DEMO_PASSWORD = 'Yiwang@2026';
export const EHEALTH_CARD_SYSTEM = 'urn:yiwang:e-health-card';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  base: string;
  log(): string;
  stop(): Promise<void>;
}

/** Builds web/dist when its sources are newer (scripts/build-web.mjs), so the tests see the current app. */
export function buildWebApp(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`web build failed:\n${r.stdout}\n${r.stderr}`);
}

export async function startServer(residents = 300): Promise<RunningServer> {
  // E2E_BASE: use a server that is already running (while writing a test; its data persists between runs).
  const reuse = process.env['E2E_BASE'];
  if (reuse) return { base: reuse.replace(/\/$/, ''), log: () => '', stop: async () => undefined };
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: 'warn',
    YIWANG_DEMO: '1',
    YIWANG_DEMO_RESIDENTS: String(residents),
    YIWANG_DEMO_SEED: '1',
  };
  delete env['DATABASE_URL'];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'server', 'src', 'main.ts'),
      'serve',
      '--memory',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--mllp-port',
      '0',
    ],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  // The demo county loads before the server listens: minutes on a loaded shared machine (E2E_START_TIMEOUT_MS).
  const deadline = Date.now() + Number(process.env['E2E_START_TIMEOUT_MS'] ?? 300_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet (the demo county loads first)
    }
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    base,
    log: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/** A small API client for setting up data as a demo user. */
export class Api {
  private constructor(
    readonly base: string,
    private readonly token: string,
  ) {}

  static async login(base: string, username: string, password = DEMO_PASSWORD): Promise<Api> {
    const res = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!res.ok) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
    return new Api(base, ((await res.json()) as { access_token: string }).access_token);
  }

  async json<T = any>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    const res = await fetch(this.base + path, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${this.token}`,
        'content-type': path.startsWith('/fhir/') ? 'application/fhir+json' : 'application/json',
        accept: 'application/json, application/fhir+json',
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A request with a raw text body (e.g. an HL7 v2 message to POST /hl7/v2); the answer as it comes. */
  send(path: string, body: string, contentType: string): Promise<Response> {
    return fetch(this.base + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': contentType },
      body,
    });
  }

  me(): Promise<{ organizationId?: string; patientId?: string; practitionerId?: string; roles: string[] }> {
    return this.json('/auth/me');
  }
}

const LOINC = 'http://loinc.org';
const LABS = [
  { code: '14771-0', display: '空腹血糖', unit: 'mmol/L', low: 3.9, high: 6.1, mean: 6.4, sd: 0.9 },
  { code: '4548-4', display: '糖化血红蛋白', unit: '%', low: 4.0, high: 6.0, mean: 6.3, sd: 0.6 },
  { code: '14647-2', display: '总胆固醇', unit: 'mmol/L', low: 2.8, high: 5.2, mean: 5.0, sd: 0.8 },
  { code: '14682-9', display: '肌酐', unit: 'umol/L', low: 44, high: 133, mean: 90, sd: 20 },
  { code: '1742-6', display: '丙氨酸氨基转移酶', unit: 'U/L', low: 9, high: 50, mean: 30, sd: 12 },
  { code: '718-7', display: '血红蛋白', unit: 'g/L', low: 115, high: 175, mean: 135, sd: 14 },
];

/**
 * Gives a resident a long history across institutions: encounters with six lab results each (some abnormal),
 * prescriptions, immunisations, reports and a referral, until their $everything holds about `target` resources.
 */
export async function enrichResident(admin: Api, patientId: string, orgIds: string[], target = 500): Promise<number> {
  const current = (await admin.json(`/fhir/R4/Patient/${patientId}/$everything?_count=1000`)).entry.length as number;
  const entries: any[] = [];
  const add = (resource: any) =>
    entries.push({ fullUrl: `urn:uuid:${randomUUID()}`, resource, request: { method: 'POST', url: resource.resourceType } });
  const subject = { reference: `Patient/${patientId}` };
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const day0 = Date.parse('2026-11-20T09:00:00+08:00');
  let i = 0;
  while (current + entries.length < target - 10) {
    const org = orgIds[i % orgIds.length]!;
    const when = new Date(day0 - i * 17 * 86_400_000).toISOString();
    const enc = { fullUrl: `urn:uuid:${randomUUID()}` };
    entries.push({
      ...enc,
      resource: {
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
        type: [{ text: i % 3 === 0 ? '糖尿病患者随访' : '门诊' }],
        subject,
        period: { start: when, end: when },
        serviceProvider: { reference: `Organization/${org}` },
      },
      request: { method: 'POST', url: 'Encounter' },
    });
    for (const lab of LABS) {
      const value = Math.round((lab.mean + (rand() - 0.5) * 2 * lab.sd) * 10) / 10;
      const code = value > lab.high ? 'H' : value < lab.low ? 'L' : undefined;
      add({
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
        code: { coding: [{ system: LOINC, code: lab.code, display: lab.display }], text: lab.display },
        subject,
        encounter: { reference: enc.fullUrl },
        effectiveDateTime: when,
        valueQuantity: { value, unit: lab.unit },
        referenceRange: [{ low: { value: lab.low, unit: lab.unit }, high: { value: lab.high, unit: lab.unit } }],
        ...(code
          ? { interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code }] }] }
          : {}),
      });
    }
    if (i % 2 === 0)
      add({
        resourceType: 'MedicationRequest',
        status: 'active',
        intent: 'order',
        medicationCodeableConcept: { text: '二甲双胍片 0.5g' },
        subject,
        encounter: { reference: enc.fullUrl },
        authoredOn: when,
        dosageInstruction: [{ text: '每日两次，每次0.5g' }],
      });
    if (i % 10 === 0)
      add({
        resourceType: 'DiagnosticReport',
        status: 'final',
        code: { text: '心电图' },
        subject,
        encounter: { reference: enc.fullUrl },
        effectiveDateTime: when,
        conclusion: '窦性心律，正常心电图',
      });
    i++;
  }
  add({
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    code: { text: '转诊：内分泌科会诊' },
    subject,
    authoredOn: new Date(day0).toISOString(),
    requester: { reference: `Organization/${orgIds[0]}` },
    performer: [{ reference: `Organization/${orgIds[orgIds.length - 1]}` }],
  });
  for (let d = 1; d <= 3; d++)
    add({
      resourceType: 'Immunization',
      status: 'completed',
      vaccineCode: { text: '流感疫苗' },
      patient: subject,
      occurrenceDateTime: new Date(day0 - d * 365 * 86_400_000).toISOString(),
      performer: [{ actor: { reference: `Organization/${orgIds[0]}` } }],
    });
  await admin.json('/fhir/R4', { method: 'POST', body: { resourceType: 'Bundle', type: 'transaction', entry: entries } });
  return (await admin.json(`/fhir/R4/Patient/${patientId}/$everything?_count=1000`)).entry.length as number;
}
