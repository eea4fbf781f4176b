/**
 * Prevention inside care, on both engines with a ManualClock: enrolment from a problem-list diagnosis (once, whatever
 * the deliveries), screening of a raised reading (flag + task for the family doctor; confirming enrols), crediting a
 * clinic visit elsewhere as a follow-up with the doctor's confirmation, the point-of-care context (pre-fill, what is
 * due), and home readings through the device endpoint raising one task for the family doctor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { ManualClock } from '../src/platform/clock.js';
import { adminClient, clockedApp, ENGINES, type TestClient } from './helpers/db.js';
import { chronicCounty, count, enrolled, put, resident, type ChronicCounty } from './chronic-fixtures.js';

const bp = (id: string, patient: string, encounter: string | undefined, at: string, sbp: number, dbp: number) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
  subject: { reference: patient },
  ...(encounter ? { encounter: { reference: encounter } } : {}),
  effectiveDateTime: at,
  component: [
    { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: sbp, unit: 'mmHg' } },
    { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: dbp, unit: 'mmHg' } },
  ],
});

describe.each(ENGINES)('chronic prevention inside care on %s', (engine) => {
  let yiwang: YiwangApp;
  const clock = new ManualClock('2026-12-05T10:00:00+08:00');

  beforeAll(async () => {
    yiwang = await clockedApp(engine, clock);
  });
  afterAll(async () => {
    await yiwang?.close();
  });

  async function setup(): Promise<{ admin: TestClient; c: ChronicCounty }> {
    clock.set('2026-12-05T10:00:00+08:00');
    const admin = await adminClient(yiwang);
    return { admin, c: await chronicCounty(admin) };
  }

  it('a confirmed problem-list diagnosis enrols the resident once, with the first follow-up after the last one in the record', async () => {
    const { admin } = await setup();
    const patient = await resident(admin, 'p1', '1955-01-01');
    await put(admin, {
      resourceType: 'Encounter',
      id: 'old-fu',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      type: [{ text: '高血压患者随访' }],
      subject: { reference: patient },
      period: { start: '2026-10-20T09:00:00+08:00' },
    });
    const condition = {
      resourceType: 'Condition',
      id: 'htn',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cn', code: 'I10.x00' }] },
      subject: { reference: patient },
      recordedDate: '2020-05-01',
    };
    await put(admin, condition);
    await yiwang.events.drain();
    await put(admin, { ...condition, note: [{ text: 'again' }] });
    await yiwang.events.drain();
    const list = (await admin.get(`/api/chronic/enrolments?patient=${patient}`)).json().items;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ programme: 'hypertension', start: '2020-05-01', team: { villageDoctor: 'Practitioner/dr-village' } });
    const detail = (await admin.get(`/api/chronic/enrolments/${list[0].id}`)).json();
    expect(detail.due).toHaveLength(1);
    expect(detail.due[0]).toMatchObject({ kind: 'routine', status: 'open' });
    const task = (await admin.get(`Task/${detail.due[0].task_id}`)).json();
    expect(task.restriction.period).toEqual({ start: '2027-01-06', end: '2027-01-20' });
  });

  it('a raised reading of a resident ≥ 35 flags them for confirmation; confirming enrols; a young or managed resident is not flagged', async () => {
    const { admin, c } = await setup();
    const patient = await resident(admin, 'p2', '1970-01-01');
    const young = await resident(admin, 'p-young', '2000-01-01');
    await put(admin, bp('o1', patient, undefined, '2026-12-01T09:00:00+08:00', 152, 96));
    await put(admin, bp('o2', patient, undefined, '2026-12-02T09:00:00+08:00', 150, 92));
    await put(admin, bp('o3', young, undefined, '2026-12-01T09:00:00+08:00', 160, 100));
    await yiwang.events.drain();
    const flags = (await admin.get(`Flag?patient=${patient}`)).json().entry ?? [];
    expect(flags).toHaveLength(1);
    expect(flags[0].resource.code.text).toMatch(/疑似.*高血压.*152\/96/);
    expect((await admin.get(`Flag?patient=${young}`)).json().entry ?? []).toHaveLength(0);
    const mine = (await c.vd.get('/api/tasks?view=mine&workflow=chronic-screening')).json();
    const items = mine.items ?? mine;
    expect(items).toHaveLength(1);
    const taskId = items[0].task?.id ?? items[0].id;
    const confirmed = await c.vd.request(
      'POST',
      `/api/tasks/${taskId}/transition`,
      { action: 'confirm' },
      { 'content-type': 'application/json' },
    );
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect((await admin.get(`Flag/${flags[0].resource.id}`)).json().status).toBe('inactive');
    const enrolments = (await c.vd.get(`/api/chronic/enrolments?patient=${patient}`)).json().items;
    expect(enrolments.map((e: any) => e.programme)).toEqual(['hypertension']);
    // Now managed: a further raised reading raises no new flag.
    await put(admin, bp('o4', patient, undefined, '2026-12-04T09:00:00+08:00', 155, 95));
    await yiwang.events.drain();
    expect(((await admin.get(`Flag?patient=${patient}`)).json().entry ?? []).length).toBe(1);
  });

  it('a clinic visit at the county hospital with a BP is credited as a follow-up with the doctor’s confirmation', async () => {
    const { admin, c } = await setup();
    const patient = await resident(admin, 'p3', '1962-03-03');
    const e = await enrolled(c.vd, patient, 'hypertension', '2026-06-01');
    await put(admin, {
      resourceType: 'Encounter',
      id: 'visit-county',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      type: [{ text: '心内科门诊' }],
      subject: { reference: patient },
      serviceProvider: { reference: 'Organization/org-cardiology' },
      period: { start: '2026-11-28T10:00:00+08:00' },
    });
    await put(admin, bp('o-county', patient, 'Encounter/visit-county', '2026-11-28T10:05:00+08:00', 146, 88));
    await put(admin, {
      resourceType: 'MedicationRequest',
      id: 'med1',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: { text: '苯磺酸氨氯地平片 5mg' },
      subject: { reference: patient },
    });
    const context = (await c.vd.get(`/api/chronic/patients/p3/context`)).json();
    expect(context.creditable).toHaveLength(1);
    expect(context.creditable[0]).toMatchObject({
      encounter: 'Encounter/visit-county',
      date: '2026-11-28',
      readings: { sbp: 146, dbp: 88 },
      episodes: [{ id: e.id, programme: 'hypertension' }],
    });
    expect(context.prefill).toMatchObject({ readings: { sbp: 146, dbp: 88 }, medication: ['苯磺酸氨氯地平片 5mg'] });
    expect(context.prompts.map((p: any) => p.id)).toEqual(expect.arrayContaining(['chronic-annual-check', 'influenza-vaccine']));
    expect(context.guidance.topics.hypertension.diet.length).toBeGreaterThan(0);
    expect(context.episodes[0].due[0]).toMatchObject({ kind: 'first', overdue: true });

    const unconfirmed = await c.vd.request('POST', '/api/chronic/credits', {
      episode: `EpisodeOfCare/${e.id}`,
      encounter: 'Encounter/visit-county',
    });
    expect(unconfirmed.statusCode).toBe(400);
    expect(unconfirmed.body).toMatch(/需医生确认/);
    const before = await count(admin, 'Encounter');
    const res = await c.vd.request('POST', '/api/chronic/credits', {
      episode: `EpisodeOfCare/${e.id}`,
      encounter: 'Encounter/visit-county',
      confirm: true,
      adherence: 'regular',
    });
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json();
    expect(r).toMatchObject({
      encounter: 'Encounter/visit-county',
      date: '2026-11-28',
      classification: { code: 'uncontrolled' },
      decision: { code: 'recheck' },
      credited: 'Encounter/visit-county',
    });
    expect(r.fulfilled).toEqual([e.due.task]);
    expect(await count(admin, 'Encounter')).toBe(before);
    const cls = (await admin.get(r.classification.observation)).json();
    expect(cls.derivedFrom[0].reference).toBe('Observation/o-county');
    expect(cls.extension.find((x: any) => x.url.endsWith('chronic-follow-up-source')).valueCode).toBe('credited-visit');
    const twice = await c.vd.request('POST', '/api/chronic/credits', {
      episode: `EpisodeOfCare/${e.id}`,
      encounter: 'Encounter/visit-county',
      confirm: true,
    });
    expect(twice.statusCode).toBe(400);
    expect((await c.vd.get(`/api/chronic/patients/p3/context`)).json().creditable).toHaveLength(0);
  });

  it('home readings: the device endpoint validates and stores them; 3 out of range in 7 days raise one task for the family doctor', async () => {
    const { admin, c } = await setup();
    const patient = await resident(admin, 'p4', '1958-04-04');
    await enrolled(c.vd, patient, 'hypertension', '2026-06-01');
    const bad = await c.vd.request('POST', '/api/chronic/home-readings', {
      patient,
      readings: [{ type: 'bp', sbp: 400, dbp: 20, at: '2026-12-01T08:00:00+08:00' }],
    });
    expect(bad.statusCode).toBe(400);
    const negative = await c.vd.request('POST', '/api/chronic/home-readings', {
      patient,
      readings: [{ type: 'glucose', value: -2, at: '2026-12-01T08:00:00+08:00' }],
    });
    expect(negative.statusCode).toBe(400);
    const unzoned = await c.vd.request('POST', '/api/chronic/home-readings', {
      patient,
      readings: [{ type: 'glucose', value: 6, at: '2026-12-01T08:00:00' }],
    });
    expect(unzoned.statusCode).toBe(400);
    expect(JSON.stringify(unzoned.json())).toContain('readings[0].at');
    const before = await count(admin, 'Observation');
    const device = { id: 'SN-001', name: '欧姆龙 HEM-7121' };
    const send = (readings: unknown[]) => c.vd.request('POST', '/api/chronic/home-readings', { patient, device, readings });
    const first = await send([
      { type: 'bp', sbp: 162, dbp: 95, at: '2026-12-01T08:00:00+08:00' },
      { type: 'bp', sbp: 158, dbp: 92, at: '2026-12-02T08:00:00+08:00' },
    ]);
    expect(first.statusCode, first.body).toBe(201);
    expect(await count(admin, 'Observation')).toBe(before + 2);
    await yiwang.events.drain();
    const none = (await c.vd.get('/api/tasks?view=mine&workflow=chronic-home-readings')).json();
    expect(none.items ?? none).toHaveLength(0);
    await send([{ type: 'bp', sbp: 165, dbp: 98, at: '2026-12-04T08:00:00+08:00' }]);
    await send([{ type: 'bp', sbp: 166, dbp: 99, at: '2026-12-05T08:00:00+08:00' }]);
    await yiwang.events.drain();
    const tasks = (await c.vd.get('/api/tasks?view=mine&workflow=chronic-home-readings')).json();
    const items = tasks.items ?? tasks;
    expect(items).toHaveLength(1);
    expect(JSON.stringify(items[0])).toMatch(/家庭自测/);
    const obs = (
      await admin.get(`Observation?patient=${patient}&category=https://yiwang.cn/fhir/CodeSystem/observation-source|home`)
    ).json();
    expect(obs.total ?? obs.entry.length).toBe(4);
    expect(obs.entry[0].resource.device.display).toMatch(/HEM-7121/);
  });
});
