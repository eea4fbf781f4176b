/**
 * How chronic disease management is written in FHIR (docs/chronic.md) — the modelling other modules and external
 * systems rely on:
 *   enrolment   EpisodeOfCare (type urn:yiwang:episode-type|hypertension|diabetes, managingOrganization, careManager,
 *               team → CareTeam of village doctor + township GP + county specialist, diagnosis → Condition,
 *               status active | finished with the exit reason, risk grade extension);
 *   follow-up   Encounter (type …/encounter-type|<programme>-follow-up, text 高血压患者随访 / 糖尿病患者随访,
 *               episodeOfCare) with its Observations (BP panel, glucose, HbA1c, vitals, lifestyle and adherence) and a
 *               classification Observation (控制满意 / 控制不满意 / 不良反应 / 并发症) carrying the rule version used;
 *   due         Task (code …/chronic|follow-up-due, focus the EpisodeOfCare, restriction.period the due window),
 *               completed by the follow-up Encounter that fulfils it (Task.output).
 */
import type { CodeableConcept, Coding, Extension } from '@medplum/fhirtypes';
import { CLASSIFICATION_TEXT, DECISION_TEXT, type Classification, type Decision } from './classify.js';
import type { Programme } from './rules.js';

export const EPISODE_TYPE_SYSTEM = 'urn:yiwang:episode-type';
export const CHRONIC_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/chronic';
export const CLASSIFICATION_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/chronic-classification';
export const DECISION_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/chronic-decision';
export const SYMPTOM_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/chronic-symptom';
export const LIFESTYLE_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/chronic-lifestyle';
export const ENCOUNTER_TYPE_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/encounter-type';
export const DUE_KIND_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/chronic-due-kind';
export const RULE_VERSION_EXTENSION = 'https://yiwang.cn/fhir/StructureDefinition/chronic-rule-version';
export const RISK_GRADE_EXTENSION = 'https://yiwang.cn/fhir/StructureDefinition/chronic-risk-grade';
export const EXIT_REASON_EXTENSION = 'https://yiwang.cn/fhir/StructureDefinition/chronic-exit-reason';
export const SOURCE_EXTENSION = 'https://yiwang.cn/fhir/StructureDefinition/chronic-follow-up-source';
export const HOME_READING_SYSTEM = 'https://yiwang.cn/fhir/CodeSystem/observation-source';
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cn';

export const PROGRAMME_TEXT: Record<Programme, { zh: string; en: string; followUp: string; icd: string; icdText: string }> = {
  hypertension: {
    zh: '高血压患者健康管理',
    en: 'Hypertension management',
    followUp: '高血压患者随访',
    icd: 'I10.x00',
    icdText: '特发性(原发性)高血压',
  },
  diabetes: {
    zh: '2型糖尿病患者健康管理',
    en: 'Type-2 diabetes management',
    followUp: '糖尿病患者随访',
    icd: 'E11.900',
    icdText: '2型糖尿病',
  },
};

export type RiskGrade = 'low' | 'medium' | 'high' | 'very-high';
export const RISK_GRADES: readonly RiskGrade[] = ['low', 'medium', 'high', 'very-high'];
export const RISK_TEXT: Record<RiskGrade, string> = { low: '低危', medium: '中危', high: '高危', 'very-high': '很高危' };

export type ExitReason = 'moved' | 'died' | 'lost';
export const EXIT_REASONS: readonly ExitReason[] = ['moved', 'died', 'lost'];
export const EXIT_TEXT: Record<ExitReason, string> = { moved: '迁出', died: '死亡', lost: '失访' };

/** 门诊 / 家庭 / 电话 — the national form's follow-up mode, as Encounter.class. */
export type FollowUpMode = 'clinic' | 'home' | 'phone';
export const MODES: readonly FollowUpMode[] = ['clinic', 'home', 'phone'];
export const MODE_CLASS: Record<FollowUpMode, Coding> = {
  clinic: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
  home: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HH', display: 'home health' },
  phone: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR', display: 'virtual' },
};

/** How a follow-up came to be: recorded on the form, or a clinic visit elsewhere credited by the doctor (医防融合). */
export type FollowUpSource = 'form' | 'credited-visit';

export type DueKind = 'first' | 'routine' | 'recheck' | 'referral-check';
export const DUE_TEXT: Record<DueKind, string> = {
  first: '首次随访',
  routine: '常规随访',
  recheck: '2周内复查随访',
  'referral-check': '转诊后2周内随访',
};

export const LOINC_CODES = {
  bpPanel: '85354-9',
  sbp: '8480-6',
  dbp: '8462-4',
  glucose: '14771-0',
  hba1c: '4548-4',
  heartRate: '8867-4',
  temperature: '8310-5',
  weight: '29463-7',
  height: '8302-2',
  waist: '8280-0',
  bmi: '39156-5',
} as const;

/** Codes that carry a fasting/random glucose reading in data from other sources (labs, devices, the demo county). */
export const GLUCOSE_CODES = ['14771-0', '1558-6', '2339-0', '2345-7', '15074-8', '41653-7'];

export const episodeType = (p: Programme): CodeableConcept => ({
  coding: [{ system: EPISODE_TYPE_SYSTEM, code: p, display: PROGRAMME_TEXT[p].zh }],
  text: `${PROGRAMME_TEXT[p].zh} (${PROGRAMME_TEXT[p].en})`,
});

export const encounterType = (p: Programme): CodeableConcept => ({
  coding: [{ system: ENCOUNTER_TYPE_SYSTEM, code: `${p}-follow-up`, display: PROGRAMME_TEXT[p].followUp }],
  text: PROGRAMME_TEXT[p].followUp,
});

export const chronicCode = (code: string, display: string): CodeableConcept => ({
  coding: [{ system: CHRONIC_SYSTEM, code, display }],
  text: display,
});

export const classificationConcept = (c: Classification): CodeableConcept => ({
  coding: [{ system: CLASSIFICATION_SYSTEM, code: c, display: CLASSIFICATION_TEXT[c].zh }],
  text: `${CLASSIFICATION_TEXT[c].zh} (${CLASSIFICATION_TEXT[c].en})`,
});

export const decisionConcept = (d: Decision): CodeableConcept => ({
  coding: [{ system: DECISION_SYSTEM, code: d, display: DECISION_TEXT[d].zh }],
  text: `${DECISION_TEXT[d].zh} (${DECISION_TEXT[d].en})`,
});

export const ruleVersionExtension = (version: string): Extension => ({ url: RULE_VERSION_EXTENSION, valueString: version });

/** County day (YYYY-MM-DD) → an instant at 09:00 Beijing time, for resources that need a dateTime. */
export const dayTime = (day: string): string => `${day}T09:00:00+08:00`;
