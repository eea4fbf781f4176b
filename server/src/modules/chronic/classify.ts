/**
 * The rule engine (pure: no database, no clock): classifies one follow-up by the rule version in force on its date and
 * says what happens next — the next follow-up's due window and whether to refer (routinely or urgently).
 *
 *   控制满意 controlled → next routine follow-up in 3 months;
 *   控制不满意 first uncontrolled, or 不良反应 adverse reaction → follow up within 2 weeks;
 *   two uncontrolled in a row, or 并发症 a new / worse complication → refer up, check within 2 weeks;
 *   urgent criteria (BP ≥ 180/110, glucose ≥ 16.7 or ≤ 3.9, alarm symptoms …) → urgent referral, check within 2 weeks.
 * The classification is the most severe that applies (并发症 > 不良反应 > 控制不满意 > 控制满意).
 */
import { chinaDay, type Programme, type RuleVersion, type Symptom, type Target } from './rules.js';

export type Classification = 'controlled' | 'uncontrolled' | 'adverse-reaction' | 'complication';
export const CLASSIFICATIONS: readonly Classification[] = ['controlled', 'uncontrolled', 'adverse-reaction', 'complication'];
export const CLASSIFICATION_TEXT: Record<Classification, { zh: string; en: string }> = {
  controlled: { zh: '控制满意', en: 'controlled' },
  uncontrolled: { zh: '控制不满意', en: 'uncontrolled' },
  'adverse-reaction': { zh: '不良反应', en: 'adverse drug reaction' },
  complication: { zh: '并发症', en: 'complication' },
};
const SEVERITY: Record<Classification, number> = { controlled: 0, uncontrolled: 1, 'adverse-reaction': 2, complication: 3 };

export type Decision = 'routine' | 'recheck' | 'refer' | 'urgent-referral';
export const DECISION_TEXT: Record<Decision, { zh: string; en: string }> = {
  routine: { zh: '3个月后常规随访', en: 'routine follow-up in 3 months' },
  recheck: { zh: '调整治疗，2周内随访', en: 'adjust treatment, follow up within 2 weeks' },
  refer: { zh: '转诊，2周内随访', en: 'refer, follow up within 2 weeks' },
  'urgent-referral': { zh: '紧急转诊，2周内随访', en: 'urgent referral, follow up within 2 weeks' },
};

/** Complication status at this follow-up: none, unchanged since the last one, new, or worse. */
export type ComplicationStatus = 'none' | 'stable' | 'new' | 'worse';

export interface Readings {
  sbp?: number;
  dbp?: number;
  /** Fasting glucose, mmol/L. */
  glucose?: number;
  hba1c?: number;
  heartRate?: number;
  temperature?: number;
}

export interface FollowUpFacts {
  programme: Programme;
  /** The follow-up's date (YYYY-MM-DD or an instant). */
  date: string;
  birthDate: string;
  readings: Readings;
  symptoms?: string[];
  adverseReaction?: boolean;
  complication?: ComplicationStatus;
  /** Whether the previous follow-up in the same programme episode was controlled (undefined: none before). */
  previousControlled?: boolean;
}

export interface Outcome {
  ruleVersion: string;
  classification: Classification;
  /** Whether the readings met the age-specific target. */
  controlled: boolean;
  urgent: boolean;
  decision: Decision;
  /** The next follow-up's window (YYYY-MM-DD, inclusive). */
  nextDue: { start: string; end: string };
  target: Target;
  /** Why, in words (Chinese, then English), for the form and the classification Observation. */
  reasons: string[];
}

/** Age in whole years on a day. */
export function ageOn(birthDate: string, day: string): number {
  const [by, bm, bd] = birthDate.slice(0, 10).split('-').map(Number) as [number, number, number];
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return y - by - (m < (bm ?? 1) || (m === bm && d < (bd ?? 1)) ? 1 : 0);
}

export function addDays(day: string, days: number): string {
  const t = Date.parse(`${day}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Calendar months later; the 31st of a shorter month becomes its last day. */
export function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d, last))).toISOString().slice(0, 10);
}

/** The age-specific target: the one with the highest `fromAge` not above the age. */
export function targetFor(rules: RuleVersion, programme: Programme, age: number): Target {
  const list = [...rules.programmes[programme].targets].sort((a, b) => a.fromAge - b.fromAge);
  return list.filter((t) => t.fromAge <= age).pop() ?? list[0]!;
}

/** Whether readings meet a target; undefined when the readings the target needs are missing. */
export function meetsTarget(target: Target, r: Readings): boolean | undefined {
  const checks: boolean[] = [];
  if (target.sbpBelow !== undefined || target.dbpBelow !== undefined) {
    if (r.sbp === undefined || r.dbp === undefined) return undefined;
    if (target.sbpBelow !== undefined) checks.push(r.sbp < target.sbpBelow);
    if (target.dbpBelow !== undefined) checks.push(r.dbp < target.dbpBelow);
  }
  if (target.fastingGlucoseBelow !== undefined) {
    if (r.glucose === undefined) return undefined;
    checks.push(r.glucose < target.fastingGlucoseBelow);
    if (target.fastingGlucoseAbove !== undefined) checks.push(r.glucose > target.fastingGlucoseAbove);
  }
  return checks.every(Boolean);
}

/** The urgent criteria met (empty when none), in words. */
export function urgentReasons(rules: RuleVersion, programme: Programme, r: Readings, symptoms: string[] = []): string[] {
  const u = rules.programmes[programme].urgent;
  const out: string[] = [];
  if (u.sbpAtLeast !== undefined && r.sbp !== undefined && r.sbp >= u.sbpAtLeast)
    out.push(`收缩压 ${r.sbp} ≥ ${u.sbpAtLeast} mmHg (SBP ≥ ${u.sbpAtLeast})`);
  if (u.dbpAtLeast !== undefined && r.dbp !== undefined && r.dbp >= u.dbpAtLeast)
    out.push(`舒张压 ${r.dbp} ≥ ${u.dbpAtLeast} mmHg (DBP ≥ ${u.dbpAtLeast})`);
  if (u.glucoseAtLeast !== undefined && r.glucose !== undefined && r.glucose >= u.glucoseAtLeast)
    out.push(`血糖 ${r.glucose} ≥ ${u.glucoseAtLeast} mmol/L (glucose ≥ ${u.glucoseAtLeast})`);
  if (u.glucoseAtMost !== undefined && r.glucose !== undefined && r.glucose <= u.glucoseAtMost)
    out.push(`血糖 ${r.glucose} ≤ ${u.glucoseAtMost} mmol/L (glucose ≤ ${u.glucoseAtMost})`);
  if (u.heartRateAbove !== undefined && r.heartRate !== undefined && r.heartRate > u.heartRateAbove)
    out.push(`心率 ${r.heartRate} > ${u.heartRateAbove} 次/分 (heart rate > ${u.heartRateAbove})`);
  if (u.temperatureAbove !== undefined && r.temperature !== undefined && r.temperature > u.temperatureAbove)
    out.push(`体温 ${r.temperature} > ${u.temperatureAbove} ℃ (temperature > ${u.temperatureAbove})`);
  const alarm = new Map<string, Symptom>(rules.programmes[programme].symptoms.filter((s) => s.urgent).map((s) => [s.code, s]));
  for (const code of symptoms) {
    const s = alarm.get(code);
    if (s) out.push(`危急症状：${s.zh} (alarm symptom: ${s.en})`);
  }
  return out;
}

/** Classifies a follow-up and plans what follows, by `rules` (the version in force on the follow-up's date). */
export function classify(rules: RuleVersion, f: FollowUpFacts): Outcome {
  const day = chinaDay(f.date);
  const age = ageOn(f.birthDate, day);
  const target = targetFor(rules, f.programme, age);
  const met = meetsTarget(target, f.readings);
  if (met === undefined) throw new Error(`A ${f.programme} follow-up needs the readings of its target (${JSON.stringify(target)})`);
  const reasons: string[] = [];
  const targetText = [
    target.sbpBelow !== undefined ? `血压 < ${target.sbpBelow}/${target.dbpBelow ?? '-'} mmHg` : '',
    target.fastingGlucoseBelow !== undefined
      ? `空腹血糖 ${target.fastingGlucoseAbove !== undefined ? `> ${target.fastingGlucoseAbove} 且 ` : ''}< ${target.fastingGlucoseBelow} mmol/L`
      : '',
  ]
    .filter(Boolean)
    .join('，');
  reasons.push(`${age} 岁目标：${targetText}；${met ? '达标 (on target)' : '未达标 (not on target)'}`);

  let classification: Classification = met ? 'controlled' : 'uncontrolled';
  const raise = (c: Classification) => {
    if (SEVERITY[c] > SEVERITY[classification]) classification = c;
  };
  if (f.adverseReaction) {
    raise('adverse-reaction');
    reasons.push('药物不良反应 (adverse drug reaction)');
  }
  const complicationChanged = f.complication === 'new' || f.complication === 'worse';
  if (complicationChanged) {
    raise('complication');
    reasons.push(f.complication === 'new' ? '新发并发症 (new complication)' : '并发症加重 (complication worse)');
  }

  const urgent = urgentReasons(rules, f.programme, f.readings, f.symptoms);
  reasons.push(...urgent);
  const twoUncontrolled = !met && f.previousControlled === false;
  if (twoUncontrolled) reasons.push('连续两次控制不满意 (uncontrolled twice in a row)');

  let decision: Decision;
  if (urgent.length) decision = 'urgent-referral';
  else if (complicationChanged || twoUncontrolled) decision = 'refer';
  else if (!met || f.adverseReaction) decision = 'recheck';
  else decision = 'routine';

  const iv = rules.intervals;
  let nextDue: Outcome['nextDue'];
  if (decision === 'routine') {
    const end = addMonths(day, iv.routine.months);
    nextDue = { start: addDays(end, -iv.routine.windowDays), end };
  } else if (decision === 'recheck') {
    nextDue = { start: day, end: addDays(day, iv.recheck.days) };
  } else {
    nextDue = { start: day, end: addDays(day, iv.referralCheck.days) };
  }
  return { ruleVersion: rules.version, classification, controlled: met, urgent: urgent.length > 0, decision, nextDue, target, reasons };
}
