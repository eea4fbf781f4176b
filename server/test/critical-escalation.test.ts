/**
 * Critical values over time (ManualClock, scheduler run by hand): escalation to the head of department at 15 minutes
 * and to medical affairs at 30, once each, none after acknowledgement; the institution inbox when there is no head;
 * a late acknowledgement; the timeliness indicator (危急值通报及时率) on a hand-checked set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { ManualClock } from '../src/platform/clock.js';
import { adminClient, clockedApp, ENGINES, type TestClient } from './helpers/db.js';
import { criticalCounty, inbox, potassiumOverFhir, type CriticalCounty } from './critical-fixtures.js';

/**
 * The start of the test's time: the current minute. Escalation jobs then fall due 15 minutes from real time, so the
 * background schedulers of other test files sharing the PostgreSQL database cannot run them early.
 */
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
/** The county day (UTC+8) of T0 and the next one, as the API's from/to dates. */
const day = (offset: number): string => new Date(Date.parse(T0) + 8 * 3600_000 + offset * 86_400_000).toISOString().slice(0, 10);
const TASKS = 'Task?code=https://yiwang.cn/fhir/CodeSystem/workflow|critical-value';

async function taskFor(admin: TestClient, obsId: string): Promise<any> {
  const res = await admin.get(`${TASKS}&focus=Observation/${obsId}`);
  const entries = res.json().entry ?? [];
  expect(entries).toHaveLength(1);
  return entries[0].resource;
}

describe.each(ENGINES)('critical value escalation and indicator on %s', (engine) => {
  let yiwang: YiwangApp;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    yiwang = await clockedApp(engine, clock);
  });
  afterAll(async () => {
    await yiwang?.close();
  });

  /** A fresh tenant with its county, the clock at T0 and one patient. */
  async function setup(options?: { withHead?: boolean }): Promise<{ admin: TestClient; county: CriticalCounty }> {
    clock.set(T0);
    const admin = await adminClient(yiwang);
    const county = await criticalCounty(admin, options);
    const p = await admin.request('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1', name: [{ text: '周六' }] });
    expect(p.statusCode, p.body).toBeLessThan(300);
    return { admin, county };
  }

  it('escalates to the head at 15 minutes and to medical affairs at 30, once each; the head acknowledges late', async () => {
    const { admin, county } = await setup();
    const obsId = await potassiumOverFhir(admin, 'p1', 7.4, { effective: at(-10) });
    await yiwang.events.drain();
    const task = await taskFor(admin, obsId);
    const jobs = await yiwang.scheduler.pending(admin.tenant, `critical-value:${task.id}:`);
    expect(jobs.map((j) => j.runAt.getTime() - Date.parse(T0))).toEqual([15 * 60_000, 30 * 60_000]);

    clock.advance('PT14M59S');
    await yiwang.scheduler.runDue({ tenant: admin.tenant });
    expect(await inbox(county.headClient)).toHaveLength(0);
    expect((await taskFor(admin, obsId)).businessStatus.coding[0].code).toBe('notified');

    clock.advance('PT1S');
    await yiwang.scheduler.runDue({ tenant: admin.tenant });
    const head = await inbox(county.headClient);
    expect(head).toHaveLength(1);
    expect(head[0]).toMatchObject({ priority: 'stat', link: `/critical-values/${task.id}` });
    expect(await inbox(county.medicalAffairsClient)).toHaveLength(0);
    // The doctor is reminded; nobody else of the department is told.
    expect(await inbox(county.doctorAClient)).toHaveLength(2);
    expect(await inbox(county.doctorBClient)).toHaveLength(0);
    // Still awaiting acknowledgement, one level up (the engine's escalation extension, also on its worklist).
    const escalated = await taskFor(admin, obsId);
    expect(escalated.businessStatus.coding[0].code).toBe('notified');
    expect(escalated.extension.find((e: any) => e.url.endsWith('task-escalation-level')).valueInteger).toBe(1);
    const comm = (await admin.get(`Communication?identifier=urn:yiwang:critical-value|${task.id}/escalation-1`)).json().entry;
    expect(comm).toHaveLength(1);
    expect(comm[0].resource.recipient).toEqual([{ reference: `Practitioner/${county.head}` }]);

    // Overdue in the lists; the head sees it as theirs.
    const overdue = (await county.doctorAClient.get('/api/critical-values?view=overdue')).json().items;
    expect(overdue).toMatchObject([{ taskId: task.id, overdue: true, escalationLevel: 1 }]);
    expect((await county.headClient.get('/api/critical-values?view=mine')).json().items).toHaveLength(1);

    // Running the scheduler again changes nothing.
    await yiwang.scheduler.runDue({ tenant: admin.tenant });
    expect(await inbox(county.headClient)).toHaveLength(1);

    clock.advance('PT15M');
    await yiwang.scheduler.runDue({ tenant: admin.tenant });
    expect(await inbox(county.medicalAffairsClient)).toHaveLength(1);
    expect((await taskFor(admin, obsId)).extension.find((e: any) => e.url.endsWith('task-escalation-level')).valueInteger).toBe(2);

    clock.advance('PT2M');
    const ack = await county.headClient.request('POST', `/api/critical-values/${task.id}/acknowledge`, { readBack: '钾 7.4 mmol/L' });
    expect(ack.statusCode, ack.body).toBe(200);
    const chain = ack.json();
    expect(chain).toMatchObject({ state: 'acknowledged', late: true, minutesToAcknowledge: 32, escalationLevel: 2 });
    expect(chain.acknowledgedBy.reference).toBe(`Practitioner/${county.head}`);
    expect(chain.events.map((e: any) => [e.kind, e.level ?? null])).toEqual([
      ['result', null],
      ['detected', null],
      ['notified', null],
      ['escalated', 1],
      ['escalated', 2],
      ['acknowledged', null],
    ]);
    expect(chain.events[3].recipients).toEqual([{ reference: `Practitioner/${county.head}` }]);
    expect(await yiwang.scheduler.pending(admin.tenant, `critical-value:${task.id}:`)).toEqual([]);
  });

  it('no escalation after a timely acknowledgement', async () => {
    const { admin, county } = await setup();
    const obsId = await potassiumOverFhir(admin, 'p1', 2.0, { effective: at(-5) });
    await yiwang.events.drain();
    const task = await taskFor(admin, obsId);
    clock.advance('PT5M');
    const ack = await county.doctorAClient.request('POST', `/api/critical-values/${task.id}/acknowledge`, { readBack: '血钾2.0mmol/L' });
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json()).toMatchObject({ late: false, minutesToAcknowledge: 5 });
    expect(await yiwang.scheduler.pending(admin.tenant, `critical-value:${task.id}:`)).toEqual([]);
    clock.advance('PT2H');
    await yiwang.scheduler.runDue({ tenant: admin.tenant });
    expect(await inbox(county.headClient)).toHaveLength(0);
    expect(await inbox(county.medicalAffairsClient)).toHaveLength(0);
    expect((await taskFor(admin, obsId)).businessStatus.coding[0].code).toBe('acknowledged');
  });

  it('a department without a head: level 1 goes to the institution inbox (everyone working there)', async () => {
    const { admin, county } = await setup({ withHead: false });
    const obsId = await potassiumOverFhir(admin, 'p1', 7.0, { effective: at(-5) });
    await yiwang.events.drain();
    const task = await taskFor(admin, obsId);
    clock.advance('PT15M');
    await yiwang.scheduler.runDue({ tenant: admin.tenant });
    const comm = (await admin.get(`Communication?identifier=urn:yiwang:critical-value|${task.id}/escalation-1`)).json().entry[0].resource;
    expect(comm.recipient).toEqual([{ reference: `Organization/${county.department}`, display: '内科' }]);
    // Doctor B works in that department: the inbox of the institution reaches them, and they may acknowledge.
    const b = await inbox(county.doctorBClient);
    expect(b).toHaveLength(1);
    const ack = await county.doctorBClient.request('POST', `/api/critical-values/${task.id}/acknowledge`, { readBack: 'K 7.0' });
    expect(ack.statusCode, ack.body).toBe(200);
  });

  it('危急值通报及时率 on a hand-checked set: 2 of 4 in time, median 10 minutes', async () => {
    const { admin, county } = await setup();
    const ids: string[] = [];
    // Released 5 min before detection (in time for the 10-minute notify limit) and 15 min before (not), two unknown.
    ids.push(await potassiumOverFhir(admin, 'p1', 7.1, { effective: at(-6), issued: at(-5) }));
    ids.push(await potassiumOverFhir(admin, 'p1', 7.2, { effective: at(-16), issued: at(-15) }));
    ids.push(await potassiumOverFhir(admin, 'p1', 7.3, { effective: at(-5) }));
    ids.push(await potassiumOverFhir(admin, 'p1', 7.5, { effective: at(-5) }));
    await yiwang.events.drain();
    const tasks = await Promise.all(ids.map((id) => taskFor(admin, id)));
    const ack = async (i: number, readBack: string) => {
      const res = await county.doctorAClient.request('POST', `/api/critical-values/${tasks[i].id}/acknowledge`, { readBack });
      expect(res.statusCode, res.body).toBe(200);
    };
    clock.advance('PT5M');
    await ack(0, '7.1 mmol/L');
    clock.advance('PT5M');
    await ack(1, '7.2 mmol/L');
    clock.advance('PT10M');
    await ack(2, '7.3 mmol/L');
    clock.advance('PT40M');

    const res = await county.doctorAClient.get(`/api/critical-values/indicator?from=${day(0)}&to=${day(1)}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      numerator: 2,
      denominator: 4,
      rate: 0.5,
      acknowledged: 3,
      late: 1,
      open: 1,
      overdue: 1,
      medianMinutesToAcknowledge: 10,
      notifiedWithinLimit: { count: 1, known: 2, rate: 0.5 },
      limits: { acknowledgeWithin: 'PT15M', notifyWithin: 'PT10M' },
    });
    const hospital = (await admin.get(`/api/critical-values/indicator?organization=${county.hospital}`)).json();
    expect(hospital).toMatchObject({ numerator: 2, denominator: 4, organization: `Organization/${county.hospital}` });
    const township = (await admin.get(`/api/critical-values/indicator?organization=${county.township}`)).json();
    expect(township).toMatchObject({ numerator: 0, denominator: 0, rate: null, medianMinutesToAcknowledge: null });
    const later = (await admin.get(`/api/critical-values/indicator?from=${day(1)}`)).json();
    expect(later.denominator).toBe(0);
    expect((await admin.get('/api/critical-values/indicator?organization=bad%20id')).statusCode).toBe(400);
    // The lists agree: one open, overdue.
    expect((await county.doctorAClient.get('/api/critical-values?view=overdue')).json().items.map((i: any) => i.taskId)).toEqual([
      tasks[3].id,
    ]);
    const all = (await county.doctorAClient.get(`/api/critical-values?view=all&from=${day(0)}`)).json().items;
    expect(all).toHaveLength(4);
  });
});
