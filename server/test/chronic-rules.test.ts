/**
 * The chronic follow-up rule engine (pure): every rule with dated scenarios — a patient's year of follow-ups with the
 * expected classifications, due windows and referrals; age-specific targets; a rule-version change; the shipped data.
 */
import { describe, expect, it } from 'vitest';
import { addMonths, ageOn, classify, type FollowUpFacts, type Outcome } from '../src/modules/chronic/classify.js';
import { loadRules, rulesInForce, validateRules, type RuleVersion } from '../src/modules/chronic/rules.js';

const versions = loadRules();
const nbphs = versions[0]!;

/** Runs a sequence of follow-ups like the server does: each with the rules in force on its date and the previous control. */
function year(
  vs: readonly RuleVersion[],
  base: Omit<FollowUpFacts, 'date' | 'readings'>,
  visits: [string, FollowUpFacts['readings'], Partial<FollowUpFacts>?][],
) {
  let previousControlled: boolean | undefined;
  const out: Outcome[] = [];
  for (const [date, readings, extra] of visits) {
    const o = classify(rulesInForce(vs, date), { ...base, date, readings, previousControlled, ...extra });
    previousControlled = o.controlled;
    out.push(o);
  }
  return out;
}

describe('chronic rules: shipped data', () => {
  it('loads the national rules (第三版) with their targets and intervals', () => {
    expect(nbphs.version).toBe('nbphs-3-2017');
    expect(nbphs.effective).toBe('2017-02-28');
    expect(nbphs.intervals.routine.months).toBe(3);
    expect(nbphs.programmes.hypertension.targets).toContainEqual({ fromAge: 65, sbpBelow: 150, dbpBelow: 90 });
    expect(rulesInForce(versions, '2026-12-05').version).toBe('nbphs-3-2017');
    expect(() => rulesInForce(versions, '2010-01-01')).toThrow(/No chronic follow-up rules/);
  });

  it('refuses a broken rule file at load', () => {
    const broken = structuredClone(nbphs) as RuleVersion;
    broken.programmes.hypertension.targets = [{ fromAge: 65, sbpBelow: 150, dbpBelow: 90 }];
    expect(() => validateRules(broken, 'x.json')).toThrow(/target from age 0/);
    const badDate = { ...structuredClone(nbphs), effective: '2026-13-01' } as RuleVersion;
    expect(() => validateRules(badDate, 'y.json')).toThrow(/effective/);
  });
});

describe('chronic rules: a hypertensive patient’s year (born 1970-03-10)', () => {
  const base = { programme: 'hypertension' as const, birthDate: '1970-03-10' };
  const visits: [string, FollowUpFacts['readings'], Partial<FollowUpFacts>?][] = [
    ['2026-01-05', { sbp: 132, dbp: 84 }],
    ['2026-04-02', { sbp: 148, dbp: 92 }],
    ['2026-04-15', { sbp: 146, dbp: 88 }],
    ['2026-04-28', { sbp: 136, dbp: 86 }],
    ['2026-07-20', { sbp: 138, dbp: 86 }, { adverseReaction: true }],
    ['2026-08-01', { sbp: 185, dbp: 112 }],
    ['2026-08-12', { sbp: 134, dbp: 82 }, { complication: 'new' }],
    ['2026-10-31', { sbp: 128, dbp: 80 }, { complication: 'stable' }],
  ];
  const o = year(versions, base, visits);

  it('classifies each follow-up (the most severe applies)', () => {
    expect(o.map((x) => x.classification)).toEqual([
      'controlled',
      'uncontrolled',
      'uncontrolled',
      'controlled',
      'adverse-reaction',
      'uncontrolled',
      'complication',
      'controlled',
    ]);
    expect(o.every((x) => x.ruleVersion === 'nbphs-3-2017')).toBe(true);
  });

  it('decides the next step: routine, 2-week recheck, referral, urgent referral', () => {
    expect(o.map((x) => x.decision)).toEqual(['routine', 'recheck', 'refer', 'routine', 'recheck', 'urgent-referral', 'refer', 'routine']);
    expect(o.map((x) => x.urgent)).toEqual([false, false, false, false, false, true, false, false]);
    expect(o[5]!.reasons.join(' ')).toMatch(/收缩压 185 ≥ 180.*舒张压 112 ≥ 110/);
    expect(o[2]!.reasons.join(' ')).toMatch(/连续两次控制不满意/);
  });

  it('computes the due windows: 3 months (shown 2 weeks before), or within 2 weeks', () => {
    expect(o.map((x) => x.nextDue)).toEqual([
      { start: '2026-03-22', end: '2026-04-05' },
      { start: '2026-04-02', end: '2026-04-16' },
      { start: '2026-04-15', end: '2026-04-29' },
      { start: '2026-07-14', end: '2026-07-28' },
      { start: '2026-07-20', end: '2026-08-03' },
      { start: '2026-08-01', end: '2026-08-15' },
      { start: '2026-08-12', end: '2026-08-26' },
      { start: '2027-01-17', end: '2027-01-31' },
    ]);
  });

  it('an alarm symptom alone makes the referral urgent', () => {
    const r = classify(nbphs, { ...base, date: '2026-05-01', readings: { sbp: 150, dbp: 95 }, symptoms: ['chest-pain'] });
    expect(r.decision).toBe('urgent-referral');
    expect(r.reasons.join(' ')).toMatch(/心悸胸痛/);
    const plain = classify(nbphs, { ...base, date: '2026-05-01', readings: { sbp: 130, dbp: 80 }, symptoms: ['headache-dizziness'] });
    expect(plain.decision).toBe('routine');
  });

  it('the urgent limits are inclusive: 180/110 is urgent, 179/109 is not', () => {
    expect(classify(nbphs, { ...base, date: '2026-05-01', readings: { sbp: 180, dbp: 100 } }).urgent).toBe(true);
    expect(classify(nbphs, { ...base, date: '2026-05-01', readings: { sbp: 150, dbp: 110 } }).urgent).toBe(true);
    expect(classify(nbphs, { ...base, date: '2026-05-01', readings: { sbp: 179, dbp: 109 } }).urgent).toBe(false);
  });
});

describe('chronic rules: age-specific target (< 150/90 from 65)', () => {
  const base = { programme: 'hypertension' as const, birthDate: '1961-05-01' };
  it('145/85 is uncontrolled the day before the 65th birthday and controlled on it', () => {
    expect(ageOn('1961-05-01', '2026-04-30')).toBe(64);
    expect(classify(nbphs, { ...base, date: '2026-04-30', readings: { sbp: 145, dbp: 85 } }).classification).toBe('uncontrolled');
    expect(classify(nbphs, { ...base, date: '2026-05-01', readings: { sbp: 145, dbp: 85 } }).classification).toBe('controlled');
    expect(classify(nbphs, { ...base, date: '2026-05-01', readings: { sbp: 150, dbp: 85 } }).classification).toBe('uncontrolled');
    expect(classify(nbphs, { ...base, date: '2026-05-01', readings: { sbp: 140, dbp: 90 } }).classification).toBe('uncontrolled');
  });
  it('the follow-up date is county time (UTC+8): 2026-04-30T17:00Z is already the birthday', () => {
    expect(classify(nbphs, { ...base, date: '2026-04-30T17:00:00Z', readings: { sbp: 145, dbp: 85 } }).classification).toBe('controlled');
  });
});

describe('chronic rules: type-2 diabetes', () => {
  const base = { programme: 'diabetes' as const, birthDate: '1958-09-09' };
  const at = (readings: FollowUpFacts['readings'], extra: Partial<FollowUpFacts> = {}) =>
    classify(nbphs, { ...base, date: '2026-06-01', readings, ...extra });
  it('controlled below 7.0 mmol/L fasting', () => {
    expect(at({ glucose: 6.4 }).classification).toBe('controlled');
    expect(at({ glucose: 7.0 }).classification).toBe('uncontrolled');
    expect(at({ glucose: 8.6 }).decision).toBe('recheck');
    expect(at({ glucose: 8.6 }, { previousControlled: false }).decision).toBe('refer');
  });
  it('urgent: glucose ≥ 16.7 or ≤ 3.9, BP ≥ 180/110, heart rate > 100, temperature > 39, ketotic breath', () => {
    expect(at({ glucose: 16.7 }).decision).toBe('urgent-referral');
    expect(at({ glucose: 3.9 }).decision).toBe('urgent-referral');
    expect(at({ glucose: 3.9 }).classification).toBe('uncontrolled');
    expect(at({ glucose: 4.0 }).decision).toBe('routine');
    expect(at({ glucose: 6.0, sbp: 182, dbp: 100 }).decision).toBe('urgent-referral');
    expect(at({ glucose: 6.0, heartRate: 101 }).decision).toBe('urgent-referral');
    expect(at({ glucose: 6.0, heartRate: 100 }).decision).toBe('routine');
    expect(at({ glucose: 6.0, temperature: 39.2 }).decision).toBe('urgent-referral');
    expect(at({ glucose: 6.0 }, { symptoms: ['ketotic-breath'] }).decision).toBe('urgent-referral');
  });
  it('needs the glucose its target names', () => {
    expect(() => at({ sbp: 130, dbp: 80 })).toThrow(/needs the readings/);
  });
  it('a worse complication with controlled glucose is classed 并发症 and referred', () => {
    const r = at({ glucose: 6.2 }, { complication: 'worse' });
    expect(r.classification).toBe('complication');
    expect(r.decision).toBe('refer');
    expect(r.nextDue).toEqual({ start: '2026-06-01', end: '2026-06-15' });
  });
});

describe('chronic rules: a new version applies from its date and never to earlier follow-ups', () => {
  const strict = structuredClone(nbphs) as RuleVersion;
  strict.version = 'county-2026-07';
  strict.effective = '2026-07-01';
  strict.programmes.hypertension.targets = [
    { fromAge: 0, sbpBelow: 130, dbpBelow: 80 },
    { fromAge: 65, sbpBelow: 140, dbpBelow: 90 },
  ];
  strict.intervals.routine = { months: 2, windowDays: 7 };
  const vs = [nbphs, validateRules(strict)];
  const base = { programme: 'hypertension' as const, birthDate: '1970-03-10' };

  it('135/85 on 06-30 is controlled (old version); on 07-01 it is uncontrolled (new version)', () => {
    const [before, after] = year(vs, base, [
      ['2026-06-30', { sbp: 135, dbp: 85 }],
      ['2026-07-01', { sbp: 135, dbp: 85 }],
    ]);
    expect(before).toMatchObject({ ruleVersion: 'nbphs-3-2017', classification: 'controlled', nextDue: { end: '2026-09-30' } });
    expect(after).toMatchObject({ ruleVersion: 'county-2026-07', classification: 'uncontrolled', decision: 'recheck' });
  });

  it('the new routine interval (2 months, shown a week before) applies to follow-ups from its date', () => {
    const r = classify(rulesInForce(vs, '2026-08-01'), { ...base, date: '2026-08-01', readings: { sbp: 120, dbp: 75 } });
    expect(r.nextDue).toEqual({ start: '2026-09-24', end: '2026-10-01' });
  });
});

describe('calendar arithmetic', () => {
  it('adds months keeping the day or using the last day of a shorter month', () => {
    expect(addMonths('2026-11-30', 3)).toBe('2027-02-28');
    expect(addMonths('2027-11-30', 3)).toBe('2028-02-29');
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2026-12-05', 3)).toBe('2027-03-05');
  });
});
