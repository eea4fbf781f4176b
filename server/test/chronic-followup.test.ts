/**
 * Chronic registry and follow-ups through the HTTP API, on both engines, with a ManualClock: enrolment with the team
 * and the first due Task; a hypertensive patient's year of follow-ups with the expected classifications, due windows,
 * completed due Tasks and referrals through the referral module; leaving management; bad input refused with nothing
 * written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { ManualClock } from '../src/platform/clock.js';
import { adminClient, clockedApp, ENGINES, type TestClient } from './helpers/db.js';
import { chronicCounty, count, enrolled, followUp, resident, type ChronicCounty } from './chronic-fixtures.js';

describe.each(ENGINES)('chronic follow-ups on %s', (engine) => {
  let yiwang: YiwangApp;
  const clock = new ManualClock('2027-01-10T10:00:00+08:00');

  beforeAll(async () => {
    yiwang = await clockedApp(engine, clock);
  });
  afterAll(async () => {
    await yiwang?.close();
  });

  async function setup(): Promise<{ admin: TestClient; c: ChronicCounty }> {
    clock.set('2027-01-10T10:00:00+08:00');
    const admin = await adminClient(yiwang);
    return { admin, c: await chronicCounty(admin) };
  }

  it('enrols a patient with the team, the diagnosis and a first follow-up due within 2 weeks', async () => {
    const { admin, c } = await setup();
    const patient = await resident(admin, 'p1', '1970-03-10');
    const e = await enrolled(c.vd, patient, 'hypertension', '2026-01-02');
    expect(e).toMatchObject({
      patient,
      programme: 'hypertension',
      status: 'active',
      organization: 'Organization/org-village',
      team: { villageDoctor: 'Practitioner/dr-village', townshipGp: 'Practitioner/dr-town', specialist: 'Practitioner/dr-cardio' },
      riskGrade: 'medium',
      start: '2026-01-02',
      due: { kind: 'first', start: '2026-01-02', end: '2026-01-16' },
    });
    const episode = (await admin.get(`EpisodeOfCare/${e.id}`)).json();
    expect(episode.type[0].coding[0]).toMatchObject({ system: 'urn:yiwang:episode-type', code: 'hypertension' });
    expect(episode.managingOrganization.reference).toBe('Organization/org-village');
    const team = (await admin.get(episode.team[0].reference)).json();
    expect(team.participant.map((p: any) => p.member.reference)).toEqual([
      'Practitioner/dr-village',
      'Practitioner/dr-town',
      'Practitioner/dr-cardio',
    ]);
    const condition = (await admin.get(episode.diagnosis[0].condition.reference)).json();
    expect(condition.code.coding[0].code).toBe('I10.x00');
    const task = (await admin.get(e.due.task)).json();
    expect(task).toMatchObject({
      status: 'requested',
      focus: { reference: `EpisodeOfCare/${e.id}` },
      restriction: { period: { start: '2026-01-02', end: '2026-01-16' } },
    });

    const again = await c.vd.request('POST', '/api/chronic/enrolments', { patient, programme: 'hypertension' });
    expect(again.statusCode).toBe(409);
    expect(again.body).toMatch(/已在管理中/);
    const young = await resident(admin, 'p-young', '2000-01-01');
    const refused = await c.vd.request('POST', '/api/chronic/enrolments', { patient: young, programme: 'hypertension' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(/35岁及以上/);
    // Another village's doctor does not see the resident.
    const other = await c.vd2.request('POST', '/api/chronic/follow-ups', {
      episode: `EpisodeOfCare/${e.id}`,
      date: '2026-01-05',
      vitals: { sbp: 130, dbp: 80 },
    });
    expect(other.statusCode).toBe(404);
  });

  it('a year of follow-ups: classifications, due windows, completed due Tasks and referrals', async () => {
    const { admin, c } = await setup();
    const patient = await resident(admin, 'p2', '1970-03-10');
    const e = await enrolled(c.vd, patient, 'hypertension', '2026-01-02');
    const episode = `EpisodeOfCare/${e.id}`;
    const year: [string, Record<string, unknown>, string, string, { start: string; end: string }][] = [
      ['2026-01-05', { vitals: { sbp: 132, dbp: 84 } }, 'controlled', 'routine', { start: '2026-03-22', end: '2026-04-05' }],
      ['2026-04-02', { vitals: { sbp: 148, dbp: 92 } }, 'uncontrolled', 'recheck', { start: '2026-04-02', end: '2026-04-16' }],
      ['2026-04-15', { vitals: { sbp: 146, dbp: 88 } }, 'uncontrolled', 'refer', { start: '2026-04-15', end: '2026-04-29' }],
      ['2026-04-28', { vitals: { sbp: 136, dbp: 86 } }, 'controlled', 'routine', { start: '2026-07-14', end: '2026-07-28' }],
      [
        '2026-07-20',
        { vitals: { sbp: 138, dbp: 86 }, adverseReaction: { present: true, description: '踝部水肿' } },
        'adverse-reaction',
        'recheck',
        { start: '2026-07-20', end: '2026-08-03' },
      ],
      ['2026-08-01', { vitals: { sbp: 185, dbp: 112 } }, 'uncontrolled', 'urgent-referral', { start: '2026-08-01', end: '2026-08-15' }],
      [
        '2026-08-12',
        { vitals: { sbp: 134, dbp: 82 }, complication: 'new' },
        'complication',
        'refer',
        { start: '2026-08-12', end: '2026-08-26' },
      ],
      [
        '2026-10-31',
        { vitals: { sbp: 128, dbp: 80 }, complication: 'stable' },
        'controlled',
        'routine',
        { start: '2027-01-17', end: '2027-01-31' },
      ],
    ];
    let previousTask = e.due.task as string;
    const results: any[] = [];
    for (const [date, body, classification, decision, window] of year) {
      const r = await followUp(c.vd, { episode, date, mode: 'clinic', ...body });
      expect(r.classification.code, date).toBe(classification);
      expect(r.decision.code, date).toBe(decision);
      expect({ start: r.nextDue.start, end: r.nextDue.end }, date).toEqual(window);
      expect(r.ruleVersion).toBe('nbphs-3-2017');
      expect(r.fulfilled, date).toEqual([previousTask]);
      const done = (await admin.get(previousTask)).json();
      expect(done.status).toBe('completed');
      expect(done.output[0].valueReference.reference).toBe(r.encounter);
      previousTask = r.nextDue.task;
      results.push(r);
    }
    // Referrals went through the referral module: a ServiceRequest and its workflow Task, urgent for 185/112.
    const referred = results.filter((r) => r.referral);
    expect(referred.map((r) => [r.date, r.referral.status, r.referral.urgency])).toEqual([
      ['2026-04-15', 'created', 'routine'],
      ['2026-08-01', 'created', 'urgent'],
      ['2026-08-12', 'created', 'routine'],
    ]);
    const urgent = (await admin.get(`ServiceRequest/${referred[1].referral.id}`)).json();
    expect(urgent.priority).toBe('urgent');
    expect(urgent.subject.reference).toBe(patient);
    expect(JSON.stringify(urgent)).toMatch(/185\/112/);
    expect(referred[1].referral.to).toBe('Organization/org-county');
    expect(referred[0].referral.to).toBe('Organization/org-town');

    // The record: the Encounter typed 随访 in the episode, its BP Observation, the classification with its rule version.
    const enc = (await admin.get(results[5].encounter)).json();
    expect(enc.type[0].text).toBe('高血压患者随访');
    expect(enc.episodeOfCare[0].reference).toBe(episode);
    const cls = (await admin.get(results[5].classification.observation)).json();
    expect(cls.valueCodeableConcept.coding[0]).toMatchObject({ code: 'uncontrolled', display: '控制不满意' });
    expect(cls.extension.find((x: any) => x.url.endsWith('chronic-rule-version')).valueString).toBe('nbphs-3-2017');
    const bp = (await admin.get(cls.derivedFrom[0].reference)).json();
    expect(bp.code.coding[0].code).toBe('85354-9');
    expect(bp.component.map((x: any) => x.valueQuantity.value)).toEqual([185, 112]);

    // One open due Task at the end: the routine one of the last follow-up.
    const detail = (await c.vd.get(`/api/chronic/enrolments/${e.id}`)).json();
    expect(detail.followUps).toHaveLength(8);
    expect(detail.due.filter((d: any) => d.status === 'open').map((d: any) => d.task_id)).toEqual([previousTask.slice(5)]);
  });

  it('a diabetic with low glucose is referred urgently; a resident leaves management (moved) and what is due is cancelled', async () => {
    const { admin, c } = await setup();
    const patient = await resident(admin, 'p3', '1958-09-09');
    const e = await enrolled(c.vd, patient, 'diabetes', '2026-06-01');
    const r = await followUp(c.vd, {
      patient,
      programme: 'diabetes',
      date: '2026-06-10',
      glucose: 3.5,
      vitals: { sbp: 128, dbp: 78 },
      symptoms: ['palpitation-sweating'],
    });
    expect(r).toMatchObject({
      classification: { code: 'uncontrolled' },
      urgent: true,
      decision: { code: 'urgent-referral' },
      referral: { status: 'created', urgency: 'urgent' },
    });
    const closed = await c.vd.request('POST', `/api/chronic/enrolments/${e.id}/close`, { reason: 'moved', date: '2026-07-01' });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({
      status: 'finished',
      end: '2026-07-01',
      exitReason: { code: 'moved', zh: '迁出' },
      cancelled: [r.nextDue.task],
    });
    expect((await admin.get(r.nextDue.task)).json().status).toBe('cancelled');
    const episode = (await admin.get(`EpisodeOfCare/${e.id}`)).json();
    expect(episode.status).toBe('finished');
    const after = await c.vd.request('POST', '/api/chronic/follow-ups', {
      episode: `EpisodeOfCare/${e.id}`,
      date: '2026-07-05',
      glucose: 6.0,
    });
    expect(after.statusCode).toBe(409);
    const badReason = await c.vd.request('POST', `/api/chronic/enrolments/${e.id}/close`, { reason: 'bored' });
    expect(badReason.statusCode).toBe(400);
  });

  it('bad input: impossible readings, future or pre-enrolment dates, a duplicate day — clear 400s, nothing written', async () => {
    const { admin, c } = await setup();
    const patient = await resident(admin, 'p4', '1960-02-02');
    const htn = await enrolled(c.vd, patient, 'hypertension', '2026-03-01');
    const dm = await enrolled(c.vd, patient, 'diabetes', '2026-03-01');
    await followUp(c.vd, { episode: `EpisodeOfCare/${htn.id}`, date: '2026-05-01', vitals: { sbp: 130, dbp: 80 } });
    const counts = async () => Promise.all(['Encounter', 'Observation', 'Task', 'ServiceRequest'].map((t) => count(admin, t)));
    const before = await counts();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2026-06-01', vitals: { sbp: 400, dbp: 20 } }, /收缩压 400 mmHg 不可能/],
      [{ episode: `EpisodeOfCare/${dm.id}`, date: '2026-06-01', glucose: -3 }, /空腹血糖 -3 mmol\/L 不可能/],
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2027-01-11', vitals: { sbp: 130, dbp: 80 } }, /晚于今天/],
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2027-01-10T12:00:00+08:00', vitals: { sbp: 130, dbp: 80 } }, /晚于今天|future/],
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2026-02-27', vitals: { sbp: 130, dbp: 80 } }, /早于纳入管理日期/],
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2026-05-01', vitals: { sbp: 128, dbp: 78 } }, /已有一次随访/],
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2026-06-01', vitals: { sbp: 80, dbp: 120 } }, /舒张压 120 不应高于/],
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2026-06-01', vitals: { sbp: 130 } }, /同时填写/],
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2026-06-01' }, /需填写血压/],
      [{ episode: `EpisodeOfCare/${dm.id}`, date: '2026-06-01', vitals: { sbp: 130, dbp: 80 } }, /需填写空腹血糖/],
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2026-06-01', vitals: { sbp: 'high', dbp: 80 } }, /must be a number/],
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2026-02-30', vitals: { sbp: 130, dbp: 80 } }, /日期格式不正确/],
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2026-06-01', vitals: { sbp: 130, dbp: 80 }, symptoms: ['itchy'] }, /未知症状/],
      [{ episode: `EpisodeOfCare/${htn.id}`, date: '2026-06-01', vitals: { sbp: 130, dbp: 80 }, complication: 'maybe' }, /complication/],
      [{ date: '2026-06-01', vitals: { sbp: 130, dbp: 80 } }, /episode/],
    ];
    for (const [body, message] of cases) {
      const res = await c.vd.request('POST', '/api/chronic/follow-ups', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().resourceType).toBe('OperationOutcome');
      expect(res.json().issue[0].details.text, JSON.stringify(body)).toMatch(message);
    }
    expect(await counts()).toEqual(before);
    const badEnrol = await c.vd.request('POST', '/api/chronic/enrolments', { patient, programme: 'asthma' });
    expect(badEnrol.statusCode).toBe(400);
  });
});
