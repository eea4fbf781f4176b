/**
 * Judges a result against the catalogue version in force on the result's date: numeric items (value and components
 * of an Observation) by their limits after unit conversion, coded findings by Observation.code / value and
 * DiagnosticReport.conclusionCode. A value whose unit cannot be converted to the item's unit is not compared: it is
 * returned as a problem ('unit-not-recognised'), so it can be reported instead of silently passing.
 */
import type { CodeableConcept, DiagnosticReport, Observation, Quantity } from '@medplum/fhirtypes';
import {
  unitText,
  versionInForce,
  type CatalogueCode,
  type CatalogueVersion,
  type FindingItem,
  type MeasurementItem,
} from './catalogue.js';
import { convert } from './units.js';

export type CriticalDirection = 'low' | 'high';

export interface CriticalFinding {
  kind: 'measurement' | 'finding';
  item: MeasurementItem | FindingItem;
  /** Where in the resource (FHIRPath-like), for the record and for errors. */
  path: string;
  /** Numeric items: the value as reported. */
  value?: Quantity;
  /** …and in the item's unit (what was compared). */
  valueInItemUnit?: number;
  direction?: CriticalDirection;
  /** The limit crossed, in the item's unit. */
  limit?: number;
  /** '<2.8 mmol/L' / '>6.2 mmol/L' / the finding's name. */
  limitText: string;
  /** What was found, for messages: '7.1 mmol/L' / '心室颤动'. */
  valueText: string;
}

export interface EvaluationProblem {
  kind: 'unit-not-recognised' | 'not-comparable';
  item: MeasurementItem;
  path: string;
  unit?: string;
  message: string;
}

export interface Evaluation {
  /** The catalogue version used (undefined: no version in force on the result's date). */
  version?: string;
  /** The date the version was chosen by. */
  resultDate: string;
  findings: CriticalFinding[];
  problems: EvaluationProblem[];
}

/** Statuses of confirmed results: a preliminary result is judged again when it becomes final. */
const CONFIRMED = new Set(['final', 'amended', 'corrected', 'appended']);

export function isConfirmed(resource: Observation | DiagnosticReport): boolean {
  return CONFIRMED.has(resource.status ?? '');
}

/** The result's own time: when it was measured, else when it was issued. */
export function resultTimeOf(resource: Observation | DiagnosticReport): string | undefined {
  return resource.effectiveDateTime ?? resource.effectivePeriod?.start ?? (resource as Observation).effectiveInstant ?? resource.issued;
}

const codingKey = (c: { system?: string; code?: string }): string => `${c.system ?? ''}|${c.code ?? ''}`;

function indexOf<T extends { codes: CatalogueCode[] }>(items: readonly T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) for (const c of item.codes) map.set(codingKey(c), item);
  return map;
}

function match<T>(index: Map<string, T>, concept: CodeableConcept | undefined): T | undefined {
  for (const c of concept?.coding ?? []) {
    const item = index.get(codingKey(c));
    if (item) return item;
  }
  return undefined;
}

/** Number printed without float noise and without trailing zeros. */
export const formatNumber = (n: number): string => String(Number(n.toPrecision(10)));

/** The unit of a reported quantity: the UCUM code when it is one, else the text as written. */
export function quantityUnit(q: Quantity): string | undefined {
  if (q.system === 'http://unitsofmeasure.org' && q.code) return q.code;
  return q.unit ?? q.code;
}

function judgeMeasurement(
  item: MeasurementItem,
  q: Quantity | undefined,
  path: string,
  out: { findings: CriticalFinding[]; problems: EvaluationProblem[] },
): void {
  if (!q || typeof q.value !== 'number') return;
  const unit = quantityUnit(q);
  const converted = !unit && item.unitOptional ? q.value : convert(q.value, unit ?? '', item.unit, item);
  const shown = `${formatNumber(q.value)}${(q.unit ?? q.code) ? ` ${q.unit ?? q.code}` : ''}`;
  if (converted === undefined) {
    out.problems.push({
      kind: 'unit-not-recognised',
      item,
      path,
      unit,
      message: `Unit not recognised: ${item.nameEn} (${item.name}) ${shown} cannot be compared with limits in ${unitText(item) || item.unit} (单位不识别，未判断是否危急)`,
    });
    return;
  }
  const cmp = q.comparator;
  // '<1.5' is known to be below 1.5: critical low when 1.5 ≤ low; it says nothing about a high limit (and '>' vice versa).
  const mayBeLow = !cmp || cmp === '<' || cmp === '<=';
  const mayBeHigh = !cmp || cmp === '>' || cmp === '>=';
  const u = unitText(item);
  const withUnit = (n: number) => `${formatNumber(n)}${u ? ` ${u}` : ''}`;
  let direction: CriticalDirection | undefined;
  if (item.low !== undefined && mayBeLow && (cmp ? converted <= item.low : converted < item.low)) direction = 'low';
  else if (item.high !== undefined && mayBeHigh && (cmp ? converted >= item.high : converted > item.high)) direction = 'high';
  if (!direction) return;
  const limit = direction === 'low' ? item.low! : item.high!;
  out.findings.push({
    kind: 'measurement',
    item,
    path,
    value: q,
    valueInItemUnit: converted,
    direction,
    limit,
    limitText: `${direction === 'low' ? '<' : '>'}${withUnit(limit)}`,
    valueText: `${cmp ?? ''}${shown}`,
  });
}

/**
 * Evaluates a result with the catalogue `versions` (all of them: the one in force on the result's date is chosen;
 * `fallbackDate` when the result carries no date — the time it was received).
 */
export function evaluateResult(
  resource: Observation | DiagnosticReport,
  versions: readonly CatalogueVersion[],
  fallbackDate: string,
): Evaluation {
  const resultDate = resultTimeOf(resource) ?? fallbackDate;
  const version = versionInForce(versions, resultDate);
  const out: Evaluation = { version: version?.version, resultDate, findings: [], problems: [] };
  if (!version) return out;
  const measurements = indexOf(version.measurements);
  const findings = indexOf(version.findings);
  const type = resource.resourceType;
  const addFinding = (item: FindingItem, path: string) => {
    if (out.findings.some((f) => f.item.id === item.id)) return;
    out.findings.push({ kind: 'finding', item, path, limitText: item.name, valueText: `${item.name} (${item.nameEn})` });
  };
  if (type === 'Observation') {
    const obs = resource;
    const item = match(measurements, obs.code);
    if (item) judgeMeasurement(item, obs.valueQuantity, 'Observation.valueQuantity', out);
    obs.component?.forEach((c, i) => {
      const ci = match(measurements, c.code);
      if (ci) judgeMeasurement(ci, c.valueQuantity, `Observation.component[${i}].valueQuantity`, out);
      const cf = match(findings, c.valueCodeableConcept);
      if (cf) addFinding(cf, `Observation.component[${i}].valueCodeableConcept`);
    });
    // A finding coded as the observation itself ('ventricular fibrillation': present) unless reported absent.
    const coded = match(findings, obs.code);
    if (coded && obs.valueBoolean !== false) addFinding(coded, 'Observation.code');
    const valued = match(findings, obs.valueCodeableConcept);
    if (valued) addFinding(valued, 'Observation.valueCodeableConcept');
  } else {
    resource.conclusionCode?.forEach((c, i) => {
      const f = match(findings, c);
      if (f) addFinding(f, `DiagnosticReport.conclusionCode[${i}]`);
    });
  }
  return out;
}

/**
 * What a result now reports for the measurement item `itemId` ('4.5 mmol/L'), for the notice of a correction; undefined
 * when the item is a finding or the result no longer carries a value for it.
 */
export function reportedValueText(
  resource: Observation | DiagnosticReport,
  versions: readonly CatalogueVersion[],
  fallbackDate: string,
  itemId: string,
): string | undefined {
  if (resource.resourceType !== 'Observation') return undefined;
  const version = versionInForce(versions, resultTimeOf(resource) ?? fallbackDate) ?? versions[versions.length - 1];
  const item = version?.measurements.find((m) => m.id === itemId);
  if (!item) return undefined;
  const codes = new Set(item.codes.map(codingKey));
  const hit = (c: CodeableConcept | undefined) => !!c?.coding?.some((x) => codes.has(codingKey(x)));
  const q = hit(resource.code) ? resource.valueQuantity : resource.component?.find((c) => hit(c.code))?.valueQuantity;
  if (!q || typeof q.value !== 'number') return undefined;
  return `${q.comparator ?? ''}${formatNumber(q.value)}${(q.unit ?? q.code) ? ` ${q.unit ?? q.code}` : ''}`;
}
