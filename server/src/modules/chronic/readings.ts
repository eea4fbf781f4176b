/**
 * Readings in Observations from any source (the demo county, HL7 v2 results, other modules, devices): a blood
 * pressure panel with components, separate systolic/diastolic Observations, fasting glucose under its usual LOINC
 * codes, HbA1c and heart rate.
 */
import type { Observation } from '@medplum/fhirtypes';
import { GLUCOSE_CODES, LOINC, LOINC_CODES } from './model.js';

export interface ObservedReadings {
  sbp?: number;
  dbp?: number;
  glucose?: number;
  hba1c?: number;
  heartRate?: number;
}

const codesOf = (cc: Observation['code'] | undefined): string[] =>
  (cc?.coding ?? []).filter((c) => !c.system || c.system === LOINC).map((c) => c.code ?? '');

/** The readings one Observation carries (empty when none of interest, or when it is not final/amended). */
export function readingsOf(o: Observation): ObservedReadings {
  if (o.status && !['final', 'amended', 'corrected', 'preliminary'].includes(o.status)) return {};
  const out: ObservedReadings = {};
  const codes = codesOf(o.code);
  const value = o.valueQuantity?.value;
  for (const c of o.component ?? []) {
    const cc = codesOf(c.code);
    const v = c.valueQuantity?.value;
    if (typeof v !== 'number') continue;
    if (cc.includes(LOINC_CODES.sbp)) out.sbp = v;
    if (cc.includes(LOINC_CODES.dbp)) out.dbp = v;
  }
  if (typeof value === 'number') {
    if (codes.includes(LOINC_CODES.sbp)) out.sbp = value;
    if (codes.includes(LOINC_CODES.dbp)) out.dbp = value;
    if (codes.some((c) => GLUCOSE_CODES.includes(c))) out.glucose = value;
    if (codes.includes(LOINC_CODES.hba1c)) out.hba1c = value;
    if (codes.includes(LOINC_CODES.heartRate)) out.heartRate = value;
  }
  return out;
}

/** Readings of several Observations merged (the latest value of each kind wins). */
export function mergeReadings(list: Observation[]): ObservedReadings {
  const sorted = [...list].sort((a, b) => (a.effectiveDateTime ?? '').localeCompare(b.effectiveDateTime ?? ''));
  return sorted.reduce<ObservedReadings>((acc, o) => ({ ...acc, ...readingsOf(o) }), {});
}
