/**
 * The follow-up form as the server receives it (national fields: symptoms, vitals, lifestyle, medication adherence,
 * adverse reactions, complications), checked before anything is written: impossible readings (outside the plausible
 * ranges of the rule version in force on the follow-up's date), a date in the future, missing readings the programme
 * needs. Every refusal is a 400 naming the field, in Chinese and English.
 */
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { ComplicationStatus, Readings } from './classify.js';
import { MODES, type FollowUpMode } from './model.js';
import { PROGRAMMES, type Measure, type Programme, type RuleVersion } from './rules.js';

export interface Lifestyle {
  /** Cigarettes a day. */
  smokingPerDay?: number;
  /** Alcohol, liang (两) of spirits a day. */
  alcoholPerDay?: number;
  exerciseTimesPerWeek?: number;
  exerciseMinutes?: number;
  salt?: 'light' | 'medium' | 'heavy';
  psychology?: 'good' | 'fair' | 'poor';
  compliance?: 'good' | 'fair' | 'poor';
  /** Staple food, grams a day (diabetes form). */
  stapleGrams?: number;
}

export type Adherence = 'regular' | 'intermittent' | 'none';
export const ADHERENCE: readonly Adherence[] = ['regular', 'intermittent', 'none'];

export interface FollowUpInput {
  /** 'EpisodeOfCare/<id>', or `patient` + `programme` for the resident's active enrolment. */
  episode?: string;
  patient?: string;
  programme?: Programme;
  /** YYYY-MM-DD (county day) or a date-time with offset. */
  date: string;
  mode: FollowUpMode;
  readings: Readings & { weight?: number; height?: number; waist?: number };
  symptoms: string[];
  lifestyle: Lifestyle;
  adherence?: Adherence;
  adverseReaction?: { present: boolean; description?: string };
  complication: ComplicationStatus;
  medication?: string;
  note?: string;
  /** A clinic visit credited as this follow-up (医防融合): its Encounter. */
  creditEncounter?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const FIELD_ZH: Record<Measure, string> = {
  sbp: '收缩压',
  dbp: '舒张压',
  glucose: '空腹血糖',
  hba1c: '糖化血红蛋白',
  heartRate: '心率',
  temperature: '体温',
  weight: '体重',
  height: '身高',
  waist: '腰围',
};
const UNIT: Record<Measure, string> = {
  sbp: 'mmHg',
  dbp: 'mmHg',
  glucose: 'mmol/L',
  hba1c: '%',
  heartRate: '/min',
  temperature: '℃',
  weight: 'kg',
  height: 'cm',
  waist: 'cm',
};

function num(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw badRequest(`'${name}' must be a number (${name} 应为数字)`, name);
  return n;
}

function oneOf<T extends string>(v: unknown, list: readonly T[], name: string): T | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (!list.includes(v as T)) throw badRequest(`'${name}' must be one of ${list.join(', ')}`, name);
  return v as T;
}

/** Checks readings against the plausible ranges of `rules` (impossible values are typing errors, not patients). */
export function checkPlausible(rules: RuleVersion, readings: Partial<Record<Measure, number>>): void {
  for (const [k, v] of Object.entries(readings) as [Measure, number | undefined][]) {
    if (v === undefined) continue;
    const [min, max] = rules.plausible[k];
    if (v < min || v > max)
      throw badRequest(
        `${k} ${v} ${UNIT[k]} is not a possible reading, expected ${min}–${max} (${FIELD_ZH[k]} ${v} ${UNIT[k]} 不可能，请核对，应在 ${min}–${max} 之间)`,
        k,
      );
  }
  if (readings.sbp !== undefined && readings.dbp !== undefined && readings.dbp >= readings.sbp)
    throw badRequest(`Diastolic must be below systolic (舒张压 ${readings.dbp} 不应高于或等于收缩压 ${readings.sbp})`, 'dbp');
  if ((readings.sbp === undefined) !== (readings.dbp === undefined))
    throw badRequest('Give both systolic and diastolic pressure (收缩压和舒张压需同时填写)', readings.sbp === undefined ? 'sbp' : 'dbp');
}

/** The body as typed input; dates and readings are checked against the rules later, when the date is known. */
export function parseFollowUpInput(body: unknown): FollowUpInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object (请求体应为JSON对象)');
  const b = body as Record<string, unknown>;
  const episode = b.episode === undefined ? undefined : String(b.episode);
  if (episode !== undefined && !/^(EpisodeOfCare\/)?[A-Za-z0-9\-.]{1,64}$/.test(episode))
    throw badRequest("'episode' must be 'EpisodeOfCare/<id>'", 'episode');
  const patient = b.patient === undefined ? undefined : String(b.patient);
  if (patient !== undefined && !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient))
    throw badRequest("'patient' must be 'Patient/<id>'", 'patient');
  const programme = oneOf(b.programme, PROGRAMMES, 'programme');
  if (!episode && !(patient && programme)) throw badRequest("Give 'episode', or 'patient' and 'programme' (请指定管理记录)", 'episode');
  const date = typeof b.date === 'string' ? b.date : '';
  if (!(DAY.test(date) || DATE_TIME.test(date)) || Number.isNaN(Date.parse(date)) || (DAY.test(date) && !realDay(date)))
    throw badRequest("'date' must be a date YYYY-MM-DD or a date-time with offset (随访日期格式不正确)", 'date');
  const mode = oneOf(b.mode, MODES, 'mode') ?? 'clinic';
  const v = (b.vitals ?? {}) as Record<string, unknown>;
  if (typeof v !== 'object') throw badRequest("'vitals' must be an object", 'vitals');
  const readings: FollowUpInput['readings'] = {};
  for (const k of ['sbp', 'dbp', 'heartRate', 'temperature', 'weight', 'height', 'waist'] as const) {
    const n = num(v[k], k);
    if (n !== undefined) readings[k] = n;
  }
  for (const k of ['glucose', 'hba1c'] as const) {
    const n = num(b[k] ?? v[k], k);
    if (n !== undefined) readings[k] = n;
  }
  for (const k of ['sbp', 'dbp', 'heartRate'] as const) {
    if (readings[k] !== undefined && !Number.isInteger(readings[k]))
      throw badRequest(`'${k}' must be a whole number (${FIELD_ZH[k]}应为整数)`, k);
  }
  const symptoms = b.symptoms === undefined ? [] : b.symptoms;
  if (!Array.isArray(symptoms) || symptoms.some((s) => typeof s !== 'string'))
    throw badRequest("'symptoms' must be a list of codes", 'symptoms');
  const l = (b.lifestyle ?? {}) as Record<string, unknown>;
  const lifestyle: Lifestyle = {};
  for (const k of ['smokingPerDay', 'alcoholPerDay', 'exerciseTimesPerWeek', 'exerciseMinutes', 'stapleGrams'] as const) {
    const n = num(l[k], `lifestyle.${k}`);
    if (n !== undefined && (n < 0 || n > 2000)) throw badRequest(`'lifestyle.${k}' must be between 0 and 2000`, `lifestyle.${k}`);
    if (n !== undefined) lifestyle[k] = n;
  }
  const levels = ['good', 'fair', 'poor'] as const;
  const salt = oneOf(l.salt, ['light', 'medium', 'heavy'] as const, 'lifestyle.salt');
  if (salt) lifestyle.salt = salt;
  const psychology = oneOf(l.psychology, levels, 'lifestyle.psychology');
  if (psychology) lifestyle.psychology = psychology;
  const compliance = oneOf(l.compliance, levels, 'lifestyle.compliance');
  if (compliance) lifestyle.compliance = compliance;
  const adherence = oneOf(b.adherence, ADHERENCE, 'adherence');
  let adverseReaction: FollowUpInput['adverseReaction'];
  if (typeof b.adverseReaction === 'boolean') adverseReaction = { present: b.adverseReaction };
  else if (b.adverseReaction && typeof b.adverseReaction === 'object') {
    const a = b.adverseReaction as Record<string, unknown>;
    if (typeof a.present !== 'boolean') throw badRequest("'adverseReaction.present' must be true or false", 'adverseReaction');
    adverseReaction = {
      present: a.present,
      ...(typeof a.description === 'string' && a.description.trim() ? { description: a.description.trim() } : {}),
    };
  } else if (b.adverseReaction !== undefined)
    throw badRequest("'adverseReaction' must be true/false or { present, description }", 'adverseReaction');
  const complication = oneOf(b.complication, ['none', 'stable', 'new', 'worse'] as const, 'complication') ?? 'none';
  const text = (x: unknown, name: string) => {
    if (x === undefined || x === null || x === '') return undefined;
    if (typeof x !== 'string' || x.length > 2000) throw badRequest(`'${name}' must be a text of at most 2000 characters`, name);
    return x.trim() || undefined;
  };
  const creditEncounter = b.creditEncounter === undefined ? undefined : String(b.creditEncounter);
  if (creditEncounter !== undefined && !/^Encounter\/[A-Za-z0-9\-.]{1,64}$/.test(creditEncounter))
    throw badRequest("'creditEncounter' must be 'Encounter/<id>'", 'creditEncounter');
  return {
    episode: episode && !episode.startsWith('EpisodeOfCare/') ? `EpisodeOfCare/${episode}` : episode,
    patient,
    programme,
    date,
    mode,
    readings,
    symptoms: symptoms as string[],
    lifestyle,
    adherence,
    adverseReaction,
    complication,
    medication: text(b.medication, 'medication'),
    note: text(b.note, 'note'),
    creditEncounter,
  };
}

function realDay(day: string): boolean {
  return new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) === day;
}

/** Checks the parts that depend on the programme and its rules: required readings, symptom codes, plausibility. */
export function checkForProgramme(input: FollowUpInput, programme: Programme, rules: RuleVersion): void {
  const prog = rules.programmes[programme];
  checkPlausible(rules, input.readings);
  if (prog.requires.includes('bp') && (input.readings.sbp === undefined || input.readings.dbp === undefined))
    throw badRequest('A hypertension follow-up needs the blood pressure (高血压随访需填写血压)', 'sbp');
  if (prog.requires.includes('glucose') && input.readings.glucose === undefined)
    throw badRequest('A diabetes follow-up needs the fasting glucose (糖尿病随访需填写空腹血糖)', 'glucose');
  const known = new Set(prog.symptoms.map((s) => s.code));
  const unknown = input.symptoms.filter((s) => !known.has(s));
  if (unknown.length) throw badRequest(`Unknown symptom code(s) ${unknown.join(', ')} for ${programme} (未知症状)`, 'symptoms');
}
