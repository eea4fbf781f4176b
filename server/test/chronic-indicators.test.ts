/**
 * Worklists and indicators on a hand-checked small population (both engines, clock at 2026-12-20, month 2026-12,
 * window 2026-01-01 … 2026-12-31). Village A (dr-village), village B (dr-village2), both under the township centre.
 *
 * Hypertension (born 1970: target < 140/90)
 *   H1 A  enrolled 01-02; 01-05 C, 04-02 C, 07-01 C, 10-01 U        → 4 follow-ups: standard ✓; latest U: control ✗; due: recheck to 10-15 (overdue)
 *   H2 A  enrolled 01-02; 03-01 C, 06-01 C                          → 2 < 4: standard ✗; control ✓; due: routine to 09-01 (overdue)
 *   H3 A  enrolled 11-01; 11-05 C by phone                          → needs 1 face-to-face, has 0: ✗; control ✓; due: 2027-01-22…02-05
 *   H4 B  enrolled 09-15; 09-20 U, 10-01 C                          → needs ceil(108/91.25)=2: ✓; control ✓; due: 12-18…2027-01-01 (due)
 *   H5 A  enrolled 01-02; died 06-01                                → not under management
 *   H6 A  enrolled 01-02; 11-20 185/112 urgent                      → 1 < 4: ✗; control ✗; due: referral check 11-20…12-04 (overdue, missed)
 *   A: managed 4, standard 1/4, BP control 2/4 · B: 1, 1/1, 1/1 · total 5, 2/5, 3/5
 * Diabetes
 *   D1 A  enrolled 01-02; 01-10 6.2 (HbA1c 6.5), 04-10 6.5, 07-10 6.8, 10-10 8.0; lab HbA1c 7.5 on 11-01
 *                                                                   → standard ✓; control ✗; latest HbA1c 7.5: tested, not < 7
 *   D2 A  enrolled 01-02; 02-01 6.0, 05-01 6.1                      → standard ✗; control ✓; no HbA1c
 *   D3 A  enrolled 01-02; 12-01 3.5 urgent, 12-10 6.0 (HbA1c 6.8)   → standard ✗; control ✓; HbA1c < 7 ✓; referral check done 12-10 ≤ 12-15
 *   A: managed 3, standard 1/3, glucose control 2/3, HbA1c < 7 1/3 (tested 2)
 * Referral follow-up completion, December: D3 done in time, H6 missed → A 1/2, total 1/2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YiwangApp } from '../src/app.js';
import { ManualClock } from '../src/platform/clock.js';
import { monthWindow, requiredFollowUps } from '../src/modules/chronic/indicators.js';
import { adminClient, clockedApp, ENGINES } from './helpers/db.js';
import { chronicCounty, enrolled, followUp, put, resident } from './chronic-fixtures.js';

describe('indicator arithmetic helpers', () => {
  it('windows and required follow-ups', () => {
    expect(monthWindow('2026-12')).toEqual({ start: '2026-01-01', end: '2026-12-31' });
    expect(monthWindow('2026-03')).toEqual({ start: '2025-04-01', end: '2026-03-31' });
    const w = monthWindow('2026-12');
    expect(requiredFollowUps('2020-01-01', w)).toBe(4);
    expect(requiredFollowUps('2026-09-15', w)).toBe(2);
    expect(requiredFollowUps('2026-11-01', w)).toBe(1);
  });
});

describe.each(ENGINES)('chronic worklists and indicators on %s', (engine) => {
  let yiwang: YiwangApp;
  const clock = new ManualClock('2026-12-20T10:00:00+08:00');

  beforeAll(async () => {
    yiwang = await clockedApp(engine, clock);
  });
  afterAll(async () => {
    await yiwang?.close();
  });

  it('due lists per village and doctor, and the indicators of a hand-checked population', async () => {
    const admin = await adminClient(yiwang);
    const c = await chronicCounty(admin);
    const htn = async (id: string, village: 'A' | 'B', start: string, visits: [string, number, number, string?][]) => {
      const [org, dr, client] = village === 'A' ? ['org-village', 'dr-village', c.vd] : ['org-village2', 'dr-village2', c.vd2];
      const patient = await resident(admin, id, '1970-01-01', org, dr, id);
      const e = await enrolled(client, patient, 'hypertension', start);
      for (const [date, sbp, dbp, mode] of visits)
        await followUp(client, { episode: `EpisodeOfCare/${e.id}`, date, vitals: { sbp, dbp }, mode: mode ?? 'clinic' });
      return e;
    };
    const dm = async (id: string, start: string, visits: [string, number, number?][]) => {
      const patient = await resident(admin, id, '1970-01-01', 'org-village', 'dr-village', id);
      const e = await enrolled(c.vd, patient, 'diabetes', start);
      for (const [date, glucose, hba1c] of visits)
        await followUp(c.vd, { episode: `EpisodeOfCare/${e.id}`, date, glucose, ...(hba1c ? { hba1c } : {}) });
      return patient;
    };
    await htn('H1', 'A', '2026-01-02', [
      ['2026-01-05', 130, 80],
      ['2026-04-02', 132, 82],
      ['2026-07-01', 135, 85],
      ['2026-10-01', 150, 95],
    ]);
    await htn('H2', 'A', '2026-01-02', [
      ['2026-03-01', 130, 80],
      ['2026-06-01', 128, 78],
    ]);
    await htn('H3', 'A', '2026-11-01', [['2026-11-05', 130, 80, 'phone']]);
    await htn('H4', 'B', '2026-09-15', [
      ['2026-09-20', 150, 95],
      ['2026-10-01', 138, 85],
    ]);
    const h5 = await htn('H5', 'A', '2026-01-02', [['2026-03-01', 130, 80]]);
    const closed = await c.vd.request('POST', `/api/chronic/enrolments/${h5.id}/close`, { reason: 'died', date: '2026-06-01' });
    expect(closed.statusCode, closed.body).toBe(200);
    await htn('H6', 'A', '2026-01-02', [['2026-11-20', 185, 112]]);
    const d1 = await dm('D1', '2026-01-02', [
      ['2026-01-10', 6.2, 6.5],
      ['2026-04-10', 6.5],
      ['2026-07-10', 6.8],
      ['2026-10-10', 8.0],
    ]);
    await put(admin, {
      resourceType: 'Observation',
      id: 'lab-a1c',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
      subject: { reference: d1 },
      effectiveDateTime: '2026-11-01T09:00:00+08:00',
      valueQuantity: { value: 7.5, unit: '%' },
    });
    await dm('D2', '2026-01-02', [
      ['2026-02-01', 6.0],
      ['2026-05-01', 6.1],
    ]);
    await dm('D3', '2026-01-02', [
      ['2026-12-01', 3.5],
      ['2026-12-10', 6.0, 6.8],
    ]);

    // Due lists.
    const due = async (client: typeof c.vd, view: string) => {
      const res = await client.get(`/api/chronic/due?view=${view}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const a = await due(c.vd, 'due');
    expect(a.items.map((i: any) => `${i.patient.name}:${i.kind}:${i.end}:${i.overdue}`)).toEqual(
      [
        'H2:routine:2026-09-01:true',
        'D2:routine:2026-08-01:true',
        'H1:recheck:2026-10-15:true',
        'D1:recheck:2026-10-24:true',
        'H6:referral-check:2026-12-04:true',
      ].sort((x, y) => x.split(':')[2]!.localeCompare(y.split(':')[2]!)),
    );
    expect(a.summary).toEqual([
      {
        organization: 'Organization/org-village',
        organizationName: '大观镇金龙村卫生室',
        practitioner: 'Practitioner/dr-village',
        practitionerName: '陈村医',
        due: 5,
        overdue: 5,
        upcoming: 0,
      },
    ]);
    const b = await due(c.vd2, 'due');
    expect(b.items.map((i: any) => `${i.patient.name}:${i.start}:${i.end}:${i.overdue}`)).toEqual(['H4:2026-12-18:2027-01-01:false']);
    const town = await due(c.gp, 'overdue');
    expect(town.items).toHaveLength(5);
    expect(town.summary.map((s: any) => [s.practitionerName, s.due, s.overdue])).toEqual([
      ['陈村医', 5, 5],
      ['刘村医', 1, 0],
    ]);
    const all = await due(c.vd, 'all');
    expect(all.items.map((i: any) => i.patient.name).sort()).toEqual(['D1', 'D2', 'D3', 'H1', 'H2', 'H3', 'H6']);
    expect((await c.vd.get('/api/chronic/due?view=soon')).statusCode).toBe(400);

    // Indicators.
    const res = await c.gp.get('/api/chronic/indicators?month=2026-12');
    expect(res.statusCode, res.body).toBe(200);
    const ind = res.json();
    expect(ind.window).toEqual({ start: '2026-01-01', end: '2026-12-31' });
    const rowA = ind.rows.find((r: any) => r.organization === 'Organization/org-village');
    const rowB = ind.rows.find((r: any) => r.organization === 'Organization/org-village2');
    const r = (n: number, d: number) => ({ numerator: n, denominator: d, rate: d ? Math.round((n / d) * 10000) / 10000 : null });
    expect(rowA.organizationName).toBe('大观镇金龙村卫生室');
    expect(rowA.hypertension).toEqual({ managed: 4, standardManagement: r(1, 4), bpControl: r(2, 4) });
    expect(rowB.hypertension).toEqual({ managed: 1, standardManagement: r(1, 1), bpControl: r(1, 1) });
    expect(rowA.diabetes).toEqual({
      managed: 3,
      standardManagement: r(1, 3),
      glucoseControl: r(2, 3),
      hba1cBelow7: { ...r(1, 3), tested: 2 },
    });
    expect(rowA.referralFollowUp).toEqual(r(1, 2));
    expect(rowB.referralFollowUp).toEqual(r(0, 0));
    expect(ind.total.hypertension).toEqual({ managed: 5, standardManagement: r(2, 5), bpControl: r(3, 5) });
    expect(ind.total.referralFollowUp).toEqual(r(1, 2));
    // The village doctor sees their own village only; a month earlier the window moves and December's checks are not due.
    const mine = (await c.vd.get('/api/chronic/indicators?month=2026-12')).json();
    expect(mine.rows.map((x: any) => x.organization)).toEqual(['Organization/org-village']);
    const nov = (await c.gp.get('/api/chronic/indicators?month=2026-11')).json();
    expect(nov.total.referralFollowUp).toEqual(r(0, 0));
    expect(nov.total.hypertension.managed).toBe(5);
    expect((await c.gp.get('/api/chronic/indicators?month=2026-13')).statusCode).toBe(400);
  });
});
