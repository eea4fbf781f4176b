/**
 * Corrected results (ManualClock, scheduler run by hand): a potassium 7.1 corrected to 4.5 (FHIR PUT with status
 * corrected, and HL7 v2 ORU with OBX-11 C) withdraws its alert — Task withdrawn, Flag inactive, the doctor told once,
 * no escalation; an acknowledged alert stays acknowledged and the doctor is told; a value still critical (7.1 → 7.4)
 * keeps one alert showing the new value; a DiagnosticReport amended without its finding withdraws its alert; the
 * indicator counts withdrawn alerts apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { ManualClock } from '../src/platform/clock.js';
import { adminClient, clockedApp, ENGINES, type TestClient } from './helpers/db.js';
import {
  criticalCounty,
  haemorrhageReport,
  inbox,
  postHl7,
  potassiumOru,
  potassiumOverFhir,
  type CriticalCounty,
} from './critical-fixtures.js';

/** The current minute: escalation jobs fall due 15 minutes from real time (other files share the PostgreSQL database). */
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const day = (offset: number): string => new Date(Date.parse(T0) + 8 * 3600_000 + offset * 86_400_000).toISOString().slice(0, 10);
const TASKS = 'Task?code=https://yiwang.cn/fhir/CodeSystem/workflow|critical-value';
const CV = 'urn:yiwang:critical-value';

async function search(client: TestClient, url: string): Promise<any[]> {
  const res = await client.get(url);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().entry ?? []).map((e: any) => e.resource);
}

const sub = (resource: any, name: string) =>
  resource.extension
    ?.find((e: any) => e.url === 'https://yiwang.cn/fhir/StructureDefinition/critical-value')
    ?.extension?.find((e: any) => e.url === name);
const taskInput = (task: any, code: string) => task.input?.find((i: any) => i.type.coding[0].code === code);
const taskOutput = (task: any, code: string) => task.output?.find((i: any) => i.type.coding[0].code === code);

describe.each(ENGINES)('corrected critical values on %s', (engine) => {
  let yiwang: YiwangApp;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    yiwang = await clockedApp(engine, clock);
  });
  afterAll(async () => {
    await yiwang?.close();
  });

  async function setup(): Promise<{ admin: TestClient; county: CriticalCounty }> {
    clock.set(T0);
    const admin = await adminClient(yiwang);
    const county = await criticalCounty(admin);
    const p = await admin.request('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1', name: [{ text: '周六' }] });
    expect(p.statusCode, p.body).toBeLessThan(300);
    return { admin, county };
  }

  /** Writes a new version of a potassium Observation: another value and/or status. */
  async function correct(admin: TestClient, obsId: string, value: number | undefined, status = 'corrected'): Promise<any> {
    const obs = (await admin.get(`Observation/${obsId}`)).json();
    const res = await admin.request('PUT', `Observation/${obsId}`, {
      ...obs,
      status,
      ...(value !== undefined ? { valueQuantity: { ...obs.valueQuantity, value } } : {}),
    });
    expect(res.statusCode, res.body).toBe(200);
    await yiwang.events.drain();
    return res.json();
  }

  async function alertOf(admin: TestClient, ref: string): Promise<any> {
    const tasks = await search(admin, `${TASKS}&focus=${ref}`);
    expect(tasks).toHaveLength(1);
    return tasks[0];
  }

  it('7.1 corrected to 4.5 over FHIR: the alert is withdrawn, the Flag inactive, the doctor told once, no escalation', async () => {
    const { admin, county } = await setup();
    const obsId = await potassiumOverFhir(admin, 'p1', 7.1, { effective: at(-10) });
    await yiwang.events.drain();
    const task = await alertOf(admin, `Observation/${obsId}`);
    expect(task.status).toBe('requested');
    expect(await yiwang.scheduler.pending(admin.tenant, `critical-value:${task.id}:`)).toHaveLength(2);

    // Nobody withdraws an alert by hand, not even a caller with the system role (engine's generic route): 403.
    const system = await admin.as({ roles: ['system'] });
    const json = { 'content-type': 'application/json' };
    for (const client of [system, county.doctorAClient]) {
      const byHand = await client.request('POST', `/api/tasks/${task.id}/transition`, { action: 'withdraw', reason: '误报' }, json);
      expect(byHand.statusCode, byHand.body).toBe(403);
    }
    expect((await alertOf(admin, `Observation/${obsId}`)).status).toBe('requested');

    clock.advance('PT3M');
    const corrected = await correct(admin, obsId, 4.5);
    const withdrawn = await alertOf(admin, `Observation/${obsId}`);
    expect(withdrawn.status).toBe('cancelled');
    expect(withdrawn.businessStatus.coding[0]).toMatchObject({ code: 'withdrawn', display: '已撤回：结果已更正' });
    expect(withdrawn.statusReason.text).toContain('4.5 mmol/L');
    expect(taskOutput(withdrawn, 'corrected-value').valueString).toBe('4.5 mmol/L');
    expect(withdrawn.restriction).toBeUndefined();
    // The engine's Provenance of the step, by the system.
    const provenances = await search(admin, `Provenance?target=Task/${task.id}`);
    expect(provenances.length).toBeGreaterThanOrEqual(2);

    const [flag] = await search(admin, `Flag?identifier=${CV}|Observation/${obsId}/potassium`);
    expect(flag.status).toBe('inactive');
    expect(flag.period.end).toBe(at(3));
    expect(sub(flag, 'withdrawn').valueString).toContain('4.5 mmol/L');
    expect(sub(flag, 'correctedValue').valueString).toBe('4.5 mmol/L');
    expect(await search(admin, `Flag?status=active&category=urn:yiwang:flag-category|critical-value&patient=Patient/p1`)).toHaveLength(0);

    const [comm] = await search(admin, `Communication?identifier=${CV}|${task.id}/correction-1`);
    expect(comm).toMatchObject({
      status: 'completed',
      priority: 'urgent',
      recipient: [{ reference: `Practitioner/${county.doctorA}` }],
      category: [{ coding: [{ code: 'critical-value-correction' }] }],
    });
    expect(comm.payload[0].contentString).toContain('危急值已撤回');
    expect(comm.payload[0].contentString).toContain('7.1 mmol/L');
    expect(comm.payload[0].contentString).toContain('4.5 mmol/L');
    const told = await inbox(county.doctorAClient, 'critical-value-correction');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ priority: 'urgent', link: `/critical-values/${task.id}` });
    expect(await inbox(county.doctorBClient, 'critical-value-correction')).toHaveLength(0);

    // The same event delivered twice more: nothing new.
    const event = {
      seq: '999999990',
      tenant: admin.tenant,
      resourceType: 'Observation',
      id: obsId,
      version: Number(corrected.meta.versionId),
      action: 'update' as const,
      occurredAt: new Date().toISOString(),
    };
    await Promise.all([yiwang.events.deliverToAll(event), yiwang.events.deliverToAll(event)]);
    expect(await inbox(county.doctorAClient, 'critical-value-correction')).toHaveLength(1);
    expect(await search(admin, `Communication?identifier=${CV}|${task.id}/correction-2`)).toHaveLength(0);

    // Escalation: the jobs are gone, and at 15 and 30 minutes nobody is told.
    expect(await yiwang.scheduler.pending(admin.tenant, `critical-value:${task.id}:`)).toEqual([]);
    clock.advance('PT12M');
    await yiwang.scheduler.runDue({ tenant: admin.tenant });
    clock.advance('PT15M');
    await yiwang.scheduler.runDue({ tenant: admin.tenant });
    expect(await inbox(county.headClient, 'critical-value')).toHaveLength(0);
    expect(await inbox(county.medicalAffairsClient, 'critical-value')).toHaveLength(0);
    expect(await search(admin, `Communication?identifier=${CV}|${task.id}/escalation-1,${CV}|${task.id}/escalation-2`)).toHaveLength(0);
    // Only the original alert in the doctor's critical-value inbox (no due reminder either).
    expect(await inbox(county.doctorAClient, 'critical-value')).toHaveLength(1);

    // Nothing to acknowledge any more.
    const ack = await county.doctorAClient.request('POST', `/api/critical-values/${task.id}/acknowledge`, { readBack: '7.1 mmol/L' });
    expect(ack.statusCode).toBe(409);

    // Views: the chain shows the state and why; the open lists no longer have it, 'all' does.
    const chain = (await county.doctorAClient.get(`/api/critical-values/${task.id}`)).json();
    expect(chain).toMatchObject({ state: 'withdrawn', taskStatus: 'cancelled', correctedValue: '4.5 mmol/L', corrections: 1 });
    expect(chain.businessStatus.code).toBe('withdrawn');
    expect(chain.withdrawnReason).toContain('4.5 mmol/L');
    expect(chain.withdrawnAt).toBe(at(3));
    expect(chain.events.map((e: any) => e.kind)).toEqual(['result', 'detected', 'notified', 'withdrawn']);
    expect((await county.doctorAClient.get('/api/critical-values?view=open')).json().items).toHaveLength(0);
    expect((await county.doctorAClient.get('/api/critical-values?view=mine')).json().items).toHaveLength(0);
    const all = (await county.doctorAClient.get('/api/critical-values?view=all')).json().items;
    expect(all).toMatchObject([{ taskId: task.id, state: 'withdrawn' }]);

    // Corrected again, critical again (7.3): the withdrawn alert stays as it was, a new one is raised.
    await correct(admin, obsId, 7.3);
    const tasks = await search(admin, `${TASKS}&focus=Observation/${obsId}`);
    expect(tasks.map((t) => t.status).sort()).toEqual(['cancelled', 'requested']);
    const again = tasks.find((t) => t.status === 'requested');
    expect(taskInput(again, 'value-text').valueString).toBe('7.3 mmol/L');
    expect(await inbox(county.doctorAClient, 'critical-value')).toHaveLength(2);
  });

  it('HL7 v2 ORU with OBX-11 C (corrected) to 4.5 withdraws the alert', async () => {
    const { admin, county } = await setup();
    const system = await admin.as({ roles: ['system'] });
    const first = await postHl7(system, potassiumOru('W-1', '7.1', { filler: 'LIS-W1', mrn: 'MRN-W1' }));
    expect(first.headers['x-hl7-ack-code'], first.body).toBe('AA');
    await yiwang.events.drain();
    const [obs] = await search(admin, 'Observation?identifier=urn:yiwang:hl7v2:obx:NCRMYY|LIS-W1-1');
    const task = await alertOf(admin, `Observation/${obs.id}`);
    expect(task.status).toBe('requested');

    const message = potassiumOru('W-1C', '4.5', { filler: 'LIS-W1', mrn: 'MRN-W1' });
    const correction = message.replace('|HH|||F', '|N|||C');
    expect(correction).not.toBe(message);
    const res = await postHl7(system, correction);
    expect(res.headers['x-hl7-ack-code'], res.body).toBe('AA');
    await yiwang.events.drain();
    const [updated] = await search(admin, 'Observation?identifier=urn:yiwang:hl7v2:obx:NCRMYY|LIS-W1-1');
    expect(updated.id).toBe(obs.id);
    expect(updated.status).toBe('corrected');
    const withdrawn = await alertOf(admin, `Observation/${obs.id}`);
    expect(withdrawn).toMatchObject({ status: 'cancelled', businessStatus: { coding: [{ code: 'withdrawn' }] } });
    expect(taskOutput(withdrawn, 'corrected-value').valueString).toBe('4.5 mmol/L');
    const [flag] = await search(admin, `Flag?identifier=${CV}|Observation/${obs.id}/potassium`);
    expect(flag.status).toBe('inactive');
    expect(await inbox(county.doctorAClient, 'critical-value-correction')).toHaveLength(1);
    // The same corrected message re-sent under a new control id: the doctor is not told again.
    await postHl7(system, correction.replace('W-1C', 'W-1C-AGAIN'));
    await yiwang.events.drain();
    expect(await inbox(county.doctorAClient, 'critical-value-correction')).toHaveLength(1);
    expect(await yiwang.scheduler.pending(admin.tenant, `critical-value:${task.id}:`)).toEqual([]);
  });

  it('an acknowledged alert then corrected stays acknowledged; the doctor is told the value was corrected', async () => {
    const { admin, county } = await setup();
    const obsId = await potassiumOverFhir(admin, 'p1', 7.1, { effective: at(-10) });
    await yiwang.events.drain();
    const task = await alertOf(admin, `Observation/${obsId}`);
    clock.advance('PT4M');
    const ack = await county.doctorAClient.request('POST', `/api/critical-values/${task.id}/acknowledge`, { readBack: '7.1 mmol/L' });
    expect(ack.statusCode, ack.body).toBe(200);
    clock.advance('PT20M');
    await correct(admin, obsId, 4.5);
    const after = await alertOf(admin, `Observation/${obsId}`);
    expect(after.status).toBe('completed');
    expect(after.businessStatus.coding[0].code).toBe('acknowledged');
    expect(taskOutput(after, 'read-back').valueString).toBe('7.1 mmol/L');
    expect(taskOutput(after, 'corrected-value').valueString).toBe('4.5 mmol/L');
    const [comm] = await search(admin, `Communication?identifier=${CV}|${task.id}/correction-1`);
    expect(comm.payload[0].contentString).toContain('您已确认的危急值结果已更正');
    expect(comm.payload[0].contentString).toContain('不再属于危急值');
    const [flag] = await search(admin, `Flag?identifier=${CV}|Observation/${obsId}/potassium`);
    expect(flag.status).toBe('inactive');
    expect(flag.period.end).toBe(at(4));
    expect(sub(flag, 'correctedValue').valueString).toBe('4.5 mmol/L');
    expect(await inbox(county.doctorAClient, 'critical-value-correction')).toHaveLength(1);
    // Written again with the same value: no second notice.
    await correct(admin, obsId, 4.5, 'amended');
    expect(await inbox(county.doctorAClient, 'critical-value-correction')).toHaveLength(1);
    const chain = (await county.doctorAClient.get(`/api/critical-values/${task.id}`)).json();
    expect(chain).toMatchObject({ state: 'acknowledged', late: false, correctedValue: '4.5 mmol/L', corrections: 1 });
    expect(chain.events.map((e: any) => e.kind)).toEqual(['result', 'detected', 'notified', 'acknowledged', 'corrected']);
  });

  it('a corrected value still critical (7.1 → 7.4) keeps one alert showing the new value; the read-back expects it', async () => {
    const { admin, county } = await setup();
    const obsId = await potassiumOverFhir(admin, 'p1', 7.1, { effective: at(-10) });
    await yiwang.events.drain();
    const task = await alertOf(admin, `Observation/${obsId}`);
    clock.advance('PT2M');
    await correct(admin, obsId, 7.4);
    const after = await alertOf(admin, `Observation/${obsId}`);
    expect(after.id).toBe(task.id);
    expect(after.status).toBe('requested');
    expect(taskInput(after, 'value-text').valueString).toBe('7.4 mmol/L');
    expect(taskInput(after, 'value').valueQuantity.value).toBe(7.4);
    expect(after.description).toContain('7.4 mmol/L');
    expect(after.restriction.period.end).toBe(task.restriction.period.end);
    const flags = await search(admin, `Flag?identifier=${CV}|Observation/${obsId}/potassium`);
    expect(flags).toHaveLength(1);
    expect(flags[0].status).toBe('active');
    expect(sub(flags[0], 'value').valueQuantity.value).toBe(7.4);
    expect(flags[0].code.text).toContain('7.4');
    const told = await inbox(county.doctorAClient, 'critical-value-correction');
    expect(told).toHaveLength(1);
    expect(told[0].priority).toBe('stat');
    expect(told[0].body).toContain('7.1 mmol/L → 7.4 mmol/L');
    // The same event again: once.
    await yiwang.events.deliverToAll({
      seq: '999999991',
      tenant: admin.tenant,
      resourceType: 'Observation',
      id: obsId,
      version: 2,
      action: 'update',
      occurredAt: new Date().toISOString(),
    });
    expect(await inbox(county.doctorAClient, 'critical-value-correction')).toHaveLength(1);
    clock.advance('PT1M');
    const old = await county.doctorAClient.request('POST', `/api/critical-values/${task.id}/acknowledge`, { readBack: '7.1 mmol/L' });
    expect(old.statusCode).toBe(422);
    const ack = await county.doctorAClient.request('POST', `/api/critical-values/${task.id}/acknowledge`, { readBack: '7.4 mmol/L' });
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json()).toMatchObject({ state: 'acknowledged', value: '7.4 mmol/L', corrections: 1 });
    expect(ack.json().events.map((e: any) => e.kind)).toEqual(['result', 'detected', 'notified', 'corrected', 'acknowledged']);
  });

  it('a DiagnosticReport amended without its critical finding withdraws its alert', async () => {
    const { admin, county } = await setup();
    const put = async (resource: any) => {
      const res = await admin.request('PUT', `${resource.resourceType}/${resource.id}`, resource);
      expect(res.statusCode, res.body).toBeLessThan(300);
    };
    await put({
      resourceType: 'ServiceRequest',
      id: 'sr-ct',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
      requester: { reference: `Practitioner/${county.doctorA}` },
      code: { text: '头颅CT' },
    });
    const report = haemorrhageReport('p1', at(-15));
    await put(report);
    await yiwang.events.drain();
    const task = await alertOf(admin, 'DiagnosticReport/dr-ct');
    expect(task.status).toBe('requested');
    // The reading centre amends the report: no haemorrhage (an artefact).
    const { conclusionCode: _gone, ...rest } = report;
    await put({ ...rest, status: 'amended', conclusion: '未见明确出血（伪影）' });
    await yiwang.events.drain();
    const withdrawn = await alertOf(admin, 'DiagnosticReport/dr-ct');
    expect(withdrawn.status).toBe('cancelled');
    expect(withdrawn.businessStatus.coding[0].code).toBe('withdrawn');
    const flags = await search(admin, 'Flag?patient=Patient/p1&category=urn:yiwang:flag-category|critical-value');
    expect(flags).toHaveLength(1);
    expect(flags[0].status).toBe('inactive');
    expect(sub(flags[0], 'correctedValue').valueString).toContain('未再报告');
    const told = await inbox(county.doctorAClient, 'critical-value-correction');
    expect(told).toHaveLength(1);
    expect(told[0].body).toContain('未再报告');
  });

  it('危急值通报及时率: a withdrawn alert is outside the denominator and counted apart', async () => {
    const { admin, county } = await setup();
    const a = await potassiumOverFhir(admin, 'p1', 7.1, { effective: at(-6), issued: at(-5) });
    const b = await potassiumOverFhir(admin, 'p1', 2.1, { effective: at(-6), issued: at(-5) });
    const c = await potassiumOverFhir(admin, 'p1', 7.6, { effective: at(-6) });
    await yiwang.events.drain();
    const [ta] = await Promise.all([alertOf(admin, `Observation/${a}`), alertOf(admin, `Observation/${b}`)]);
    clock.advance('PT5M');
    const ack = await county.doctorAClient.request('POST', `/api/critical-values/${ta.id}/acknowledge`, { readBack: '7.1 mmol/L' });
    expect(ack.statusCode, ack.body).toBe(200);
    // b corrected to a normal value; c entered in error (also withdrawn).
    await correct(admin, b, 4.0);
    await correct(admin, c, undefined, 'entered-in-error');
    expect((await alertOf(admin, `Observation/${c}`)).businessStatus.coding[0].code).toBe('withdrawn');
    const cComm = await search(admin, `Communication?identifier=${CV}|${(await alertOf(admin, `Observation/${c}`)).id}/correction-1`);
    expect(cComm[0].payload[0].contentString).toContain('entered-in-error');
    clock.advance('PT40M');
    const res = await county.doctorAClient.get(`/api/critical-values/indicator?from=${day(0)}&to=${day(1)}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      numerator: 1,
      denominator: 1,
      rate: 1,
      acknowledged: 1,
      late: 0,
      open: 0,
      overdue: 0,
      withdrawn: 2,
      medianMinutesToAcknowledge: 5,
      notifiedWithinLimit: { count: 1, known: 1, rate: 1 },
    });
  });
});
