/**
 * ORU^R01 → Observation per OBX and DiagnosticReport per OBR (with the ServiceRequest it answers,
 * Patient and Encounter created when missing).
 *
 * | HL7                              | FHIR                                                                  |
 * |----------------------------------|-----------------------------------------------------------------------|
 * | OBR-3 filler (else OBR-2 placer) | Observation.identifier: `<filler>-<set id>[-<sub-id>]`, system        |
 * | + OBX-1 set id (+ OBX-4 sub-id)  | `<base>obx:<sender>`; the conditional update key, so a re-sent or     |
 * |                                  | corrected result replaces it. OBX after an SPM get `S<SPM-1>-` in     |
 * |                                  | the key and are not DiagnosticReport results                          |
 * | OBX-3 (CE/CWE)                   | Observation.code (LN → http://loinc.org)                              |
 * | OBX-2 + OBX-5                    | value[x]: NM → valueQuantity (OBX-6 unit, UCUM code when known);      |
 * |                                  | SN → valueQuantity (with comparator) / valueRange (1-2) / valueRatio  |
 * |                                  | (1:2, 1/2) / valueString; ST/TX/FT → valueString (repetitions joined  |
 * |                                  | by new lines); CE/CWE/CNE → valueCodeableConcept; DT/TS/DTM →         |
 * |                                  | valueDateTime; TM → valueTime; CQ → valueQuantity; NM with < or > →   |
 * |                                  | valueQuantity.comparator; ED/RP are not mapped (warning)              |
 * | OBX-6                            | valueQuantity.unit / system http://unitsofmeasure.org / code          |
 * | OBX-7                            | referenceRange (low/high from "3.5-5.5", ">10", "<5"; text always)    |
 * | OBX-8 (repeating)                | interpretation (v3-ObservationInterpretation: H, L, HH, LL, A, AA, N, |
 * |                                  | <, >, POS, NEG …; ↑ ↓ 高 低 阳性 阴性 accepted)                             |
 * | OBX-11                           | status: F → final, C → corrected, P/R/S → preliminary, I/O →          |
 * |                                  | registered, D/W → entered-in-error, X → cancelled, U → final          |
 * | OBX-14 (else OBR-7)              | effectiveDateTime                                                     |
 * | OBR-22                           | Observation.issued / DiagnosticReport.issued                          |
 * | OBX-16                           | performer (Practitioner)                                              |
 * | OBX-17                           | method                                                                |
 * | NTE after OBX                    | note                                                                  |
 * | OBR-2 / OBR-3                    | DiagnosticReport.identifier (PLAC / FILL); key: filler, else placer   |
 * | OBR-4                            | DiagnosticReport.code                                                 |
 * | OBR-7 / OBR-8                    | DiagnosticReport.effectiveDateTime / effectivePeriod                  |
 * | OBR-24                           | DiagnosticReport.category (v2-0074) and Observation.category          |
 * |                                  | (laboratory / imaging / procedure when the section is known)          |
 * | OBR-25                           | DiagnosticReport.status: F → final, C → corrected, P → preliminary,   |
 * |                                  | A/R → partial, O/I/S → registered, X → cancelled, else unknown        |
 * | ORC/OBR                          | ServiceRequest (basedOn), created when missing (see map-order.ts)     |
 */
import type {
  Annotation,
  CodeableConcept,
  DiagnosticReport,
  Identifier,
  Observation,
  Practitioner,
  ObservationReferenceRange,
  Quantity,
  Reference,
} from '@medplum/fhirtypes';
import { encounterEntry, patientEntry } from './map-adt.js';
import { clean, codeableConcept, codeSystemUri, identifierQuery, practitionerRef, UCUM, type MapContext } from './map-common.js';
import { orderIdentifiers, serviceRequestEntry, type OrderGroup } from './map-order.js';
import type { Hl7Repetition, Hl7Segment } from './message.js';

const OBS_STATUS: Record<string, Observation['status']> = {
  F: 'final',
  C: 'corrected',
  P: 'preliminary',
  R: 'preliminary',
  S: 'preliminary',
  I: 'registered',
  O: 'registered',
  D: 'entered-in-error',
  W: 'entered-in-error',
  X: 'cancelled',
  U: 'final',
  N: 'final',
};
const REPORT_STATUS: Record<string, DiagnosticReport['status']> = {
  F: 'final',
  C: 'corrected',
  P: 'preliminary',
  A: 'partial',
  R: 'partial',
  O: 'registered',
  I: 'registered',
  S: 'registered',
  X: 'cancelled',
};

const INTERPRETATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const INTERPRETATIONS: Record<string, string> = {
  L: 'Low',
  H: 'High',
  LL: 'Critical low',
  HH: 'Critical high',
  '<': 'Off scale low',
  '>': 'Off scale high',
  N: 'Normal',
  A: 'Abnormal',
  AA: 'Critical abnormal',
  U: 'Significant change up',
  D: 'Significant change down',
  B: 'Better',
  W: 'Worse',
  S: 'Susceptible',
  R: 'Resistant',
  I: 'Intermediate',
  MS: 'moderately susceptible',
  VS: 'very susceptible',
  POS: 'Positive',
  NEG: 'Negative',
  IND: 'Indeterminate',
  DET: 'Detected',
  ND: 'Not detected',
  E: 'Equivocal',
  NR: 'Non-reactive',
  RR: 'Reactive',
  WR: 'Weakly reactive',
  EX: 'outside threshold',
  HU: 'Significantly high',
  LU: 'Significantly low',
  CAR: 'Carrier',
  SDD: 'Susceptible-dose dependent',
  NS: 'Non-susceptible',
  QCF: 'Quality control failure',
  TOX: 'Cytotoxic substance present',
  EXP: 'Expected',
  UNE: 'Unexpected',
};
/** Flags Chinese LIS systems commonly send. */
const INTERPRETATION_ALIASES: Record<string, string> = {
  '↑': 'H',
  '↓': 'L',
  '↑↑': 'HH',
  '↓↓': 'LL',
  高: 'H',
  低: 'L',
  偏高: 'H',
  偏低: 'L',
  正常: 'N',
  异常: 'A',
  阳性: 'POS',
  阴性: 'NEG',
  '+': 'POS',
  '-': 'NEG',
  'H*': 'HH',
  'L*': 'LL',
};

/** Lab unit spellings → UCUM codes. */
const UCUM_UNITS: Record<string, string> = {
  '%': '%',
  'mg/dl': 'mg/dL',
  'g/dl': 'g/dL',
  'g/l': 'g/L',
  'mg/l': 'mg/L',
  'ug/l': 'ug/L',
  'μg/l': 'ug/L',
  'µg/l': 'ug/L',
  'ng/ml': 'ng/mL',
  'pg/ml': 'pg/mL',
  'ug/ml': 'ug/mL',
  'μg/ml': 'ug/mL',
  'ng/l': 'ng/L',
  'ug/dl': 'ug/dL',
  'mmol/l': 'mmol/L',
  'umol/l': 'umol/L',
  'μmol/l': 'umol/L',
  'µmol/l': 'umol/L',
  'nmol/l': 'nmol/L',
  'pmol/l': 'pmol/L',
  'mol/l': 'mol/L',
  'meq/l': 'meq/L',
  'u/l': 'U/L',
  'iu/l': '[IU]/L',
  'miu/ml': 'm[IU]/mL',
  'uiu/ml': 'u[IU]/mL',
  'μiu/ml': 'u[IU]/mL',
  'µiu/ml': 'u[IU]/mL',
  'iu/ml': '[IU]/mL',
  'u/ml': 'U/mL',
  'mu/l': 'mU/L',
  'miu/l': 'm[IU]/L',
  'ku/l': 'kU/L',
  '10^9/l': '10*9/L',
  '10*9/l': '10*9/L',
  '×10^9/l': '10*9/L',
  'x10^9/l': '10*9/L',
  '10e9/l': '10*9/L',
  'giga/l': '10*9/L',
  'giga.l-1': '10*9/L',
  '10^12/l': '10*12/L',
  '10*12/l': '10*12/L',
  '×10^12/l': '10*12/L',
  'x10^12/l': '10*12/L',
  'tera/l': '10*12/L',
  'tera.l-1': '10*12/L',
  '10^3/ul': '10*3/uL',
  '10*3/ul': '10*3/uL',
  '10^6/ul': '10*6/uL',
  '10*6/ul': '10*6/uL',
  '/ul': '/uL',
  '/hpf': '/[HPF]',
  '/lpf': '/[LPF]',
  fl: 'fL',
  pg: 'pg',
  g: 'g',
  kg: 'kg',
  mg: 'mg',
  ug: 'ug',
  cm: 'cm',
  mm: 'mm',
  m: 'm',
  l: 'L',
  ml: 'mL',
  dl: 'dL',
  mmhg: 'mm[Hg]',
  kpa: 'kPa',
  bpm: '/min',
  'beats/min': '/min',
  '/min': '/min',
  '次/分': '/min',
  '次/min': '/min',
  '°c': 'Cel',
  '℃': 'Cel',
  cel: 'Cel',
  s: 's',
  sec: 's',
  min: 'min',
  h: 'h',
  d: 'd',
  'mm/h': 'mm/h',
  'ml/min': 'mL/min',
  'ml/min/1.73m2': 'mL/min/{1.73_m2}',
  'kg/m2': 'kg/m2',
  'g/24h': 'g/(24.h)',
  'mg/24h': 'mg/(24.h)',
  'mosm/kg': 'mosm/kg',
  'copies/ml': '{copies}/mL',
  'cells/ul': '{cells}/uL',
};

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const toNumber = (s: string): number | undefined => (NUMBER_RE.test(s.trim()) ? Number(s.trim()) : undefined);

/** Anything with numbered components: a repetition, or one component's subcomponents. */
interface Components {
  component(c?: number): string;
}

/** OBX-6 (CE) → unit fields of a Quantity. */
function unitOf(rep: Components, ctx: MapContext): Pick<Quantity, 'unit' | 'system' | 'code'> {
  let code = rep.component(1).trim();
  let text = rep.component(2).trim();
  const system = rep.component(3).trim();
  if (!code && !text) return {};
  if (!system && /10$/.test(code) && /^\d+\s*\//.test(text)) {
    // '10^9/L' sent without escaping the '^' (common in LIS data): one unit, not code^text.
    code = `${code}^${text}`;
    text = '';
  }
  if (system.toUpperCase() === 'UCUM') return { unit: text || code, system: UCUM, code };
  const ucum = UCUM_UNITS[code.toLowerCase()] ?? UCUM_UNITS[text.toLowerCase()];
  if (ucum) return { unit: code || text, system: UCUM, code: ucum };
  const sys = system ? codeSystemUri(system, ctx) : undefined;
  return clean({ unit: code || text, system: sys, code: sys ? code : undefined });
}

function quantity(value: number, unit: Pick<Quantity, 'unit' | 'system' | 'code'>, comparator?: Quantity['comparator']): Quantity {
  return clean<Quantity>({ value, comparator, ...unit });
}

const COMPARATORS = new Set(['<', '<=', '>', '>=']);

/** OBX-7 → reference range ("3.5-5.5", "3.5~5.5", ">10", "<5", "≤5"); text is always kept. */
export function referenceRange(text: string, unit: Pick<Quantity, 'unit' | 'system' | 'code'>): ObservationReferenceRange | undefined {
  const raw = text.trim();
  if (!raw) return undefined;
  const v = raw.replace(/≤/g, '<=').replace(/≥/g, '>=').replace(/\s+/g, '');
  const range = /^([+-]?\d+(?:\.\d+)?)(?:-|–|—|~|～|to)([+-]?\d+(?:\.\d+)?)$/.exec(v);
  if (range) return { low: quantity(Number(range[1]), unit), high: quantity(Number(range[2]), unit), text: raw };
  const cmp = /^(<=|>=|<|>)([+-]?\d+(?:\.\d+)?)$/.exec(v);
  if (cmp) {
    const n = quantity(Number(cmp[2]), unit);
    return cmp[1]!.startsWith('<') ? { high: n, text: raw } : { low: n, text: raw };
  }
  return { text: raw };
}

function interpretation(rep: Hl7Repetition): CodeableConcept | undefined {
  const raw = rep.component(1).trim();
  if (!raw) return undefined;
  const code = INTERPRETATION_ALIASES[raw] ?? raw.toUpperCase();
  const display = INTERPRETATIONS[code];
  if (display) return { coding: [{ system: INTERPRETATION_SYSTEM, code, display }] };
  return { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0078', code: raw }], text: rep.component(2).trim() || raw };
}

type ObservationValue = Pick<
  Observation,
  'valueQuantity' | 'valueString' | 'valueCodeableConcept' | 'valueDateTime' | 'valueTime' | 'valueRange' | 'valueRatio'
>;

/** OBX-2 + OBX-5 (+ OBX-6) → value[x]. */
function observationValue(obx: Hl7Segment, ctx: MapContext): ObservationValue {
  const type = obx.get(2).trim().toUpperCase();
  const reps = obx.field(5).values;
  if (reps.length === 0) return {};
  const first = reps[0]!;
  const unit = unitOf(obx.field(6).rep(1), ctx);
  switch (type) {
    case 'NM': {
      const v = first.value.trim();
      const n = toNumber(v);
      if (n !== undefined) return { valueQuantity: quantity(n, unit) };
      const cmp = /^(<=|>=|<|>)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))$/.exec(v);
      if (cmp) return { valueQuantity: quantity(Number(cmp[2]), unit, cmp[1] as Quantity['comparator']) };
      return { valueString: v };
    }
    case 'SN': {
      const comparator = first.component(1).trim();
      const n1 = toNumber(first.component(2));
      const sep = first.component(3).trim();
      const n2 = toNumber(first.component(4));
      if (n1 !== undefined && !sep && n2 === undefined) {
        if (!comparator || comparator === '=') return { valueQuantity: quantity(n1, unit) };
        if (COMPARATORS.has(comparator)) return { valueQuantity: quantity(n1, unit, comparator as Quantity['comparator']) };
      }
      if (n1 !== undefined && n2 !== undefined && !comparator) {
        if (sep === '-') return { valueRange: { low: quantity(n1, unit), high: quantity(n2, unit) } };
        if (sep === ':' || sep === '/') return { valueRatio: { numerator: { value: n1 }, denominator: { value: n2 } } };
      }
      const text = [comparator, first.component(2).trim(), sep, first.component(4).trim()].join('');
      return text ? { valueString: text } : {};
    }
    case 'ST':
    case 'TX':
    case 'FT':
    case 'ID':
    case 'IS':
      return { valueString: reps.map((r) => r.value).join('\n') };
    case 'CE':
    case 'CWE':
    case 'CNE': {
      const cc = codeableConcept(first, ctx);
      return cc ? { valueCodeableConcept: cc } : {};
    }
    case 'DT':
    case 'TS':
    case 'DTM': {
      const dt = ctx.dateTime(first.value);
      return dt ? { valueDateTime: dt } : {};
    }
    case 'TM': {
      const m = /^(\d{2})(\d{2})?(\d{2})?/.exec(first.value.trim());
      return m ? { valueTime: `${m[1]}:${m[2] ?? '00'}:${m[3] ?? '00'}` } : {};
    }
    case 'CQ': {
      const n = toNumber(first.component(1));
      const u = first.component(2, 1) ? unitOf(new SubRep(first, 2), ctx) : unit;
      return n !== undefined ? { valueQuantity: quantity(n, u) } : {};
    }
    default:
      ctx.warn(`OBX value type ${type || '(none)'} is not mapped to an Observation value`);
      return {};
  }
}

/** The subcomponents of one component read as components (CQ units are a CE inside a component). */
class SubRep implements Components {
  constructor(
    private readonly rep: Hl7Repetition,
    private readonly c: number,
  ) {}
  component(n = 1): string {
    return this.rep.component(this.c, n);
  }
}

const SECTION_CATEGORY: Record<string, [string, string]> = {};
for (const s of [
  'LAB',
  'HM',
  'CH',
  'HEM',
  'MB',
  'MCB',
  'SR',
  'SP',
  'BLB',
  'IMM',
  'CP',
  'CG',
  'TX',
  'VR',
  'PAR',
  'MYC',
  'URN',
  'SER',
  'OSL',
  'HLA',
]) {
  SECTION_CATEGORY[s] = ['laboratory', 'Laboratory'];
}
for (const s of ['RAD', 'CT', 'US', 'NMR', 'NMS', 'XRC', 'RUS', 'CUS', 'OUS', 'VUS', 'RX', 'MR'])
  SECTION_CATEGORY[s] = ['imaging', 'Imaging'];
for (const s of ['EC', 'CTH', 'PF', 'ICU', 'OT', 'PHY', 'PT', 'VUS']) SECTION_CATEGORY[s] ??= ['procedure', 'Procedure'];

interface ResultGroup extends OrderGroup {
  results: Reference[];
  obxCount: number;
  serviceRequest?: Reference;
  /** Set id of the SPM whose observations follow (specimen observations are not report results). */
  specimen?: string;
}

/** ORU^R01 → Patient, Encounter, ServiceRequest, Observations and DiagnosticReports. */
export function mapOru(ctx: MapContext): void {
  let subject: Reference | undefined;
  let patientKey: Identifier | undefined;
  let encounter: Reference | undefined;
  let pendingOrc: Hl7Segment | undefined;
  let group: ResultGroup | undefined;
  let orphans: ResultGroup | undefined;
  let lastObservation: Observation | undefined;
  let index = 0;
  let last = '';

  const flush = (): void => {
    if (group && subject && group.obr) reportEntry(group, ctx, subject, encounter);
    group = undefined;
  };

  for (const seg of ctx.msg.segments()) {
    switch (seg.name) {
      case 'PID': {
        flush();
        const p = patientEntry(seg, ctx, 'POST');
        subject = p.subject;
        patientKey = p.key;
        encounter = undefined;
        orphans = undefined;
        break;
      }
      case 'PV1':
        if (subject) encounter = encounterEntry(seg, ctx, subject, patientKey, seg.field(45).isEmpty ? 'in-progress' : 'finished', 'POST');
        break;
      case 'ORC':
        flush();
        pendingOrc = seg;
        break;
      case 'OBR':
        flush();
        group = { orc: pendingOrc, obr: seg, notes: [], dg1: [], index: ++index, results: [], obxCount: 0 };
        pendingOrc = undefined;
        if (subject) {
          const status = REPORT_STATUS[seg.get(25).trim().toUpperCase()] === 'final' ? 'completed' : 'active';
          group.serviceRequest = serviceRequestEntry(group, ctx, subject, encounter, 'POST', status);
        }
        break;
      case 'TQ1':
        if (group && !group.tq1) group.tq1 = seg;
        break;
      case 'SPM':
        if (group) group.specimen = seg.get(1).trim() || String(seg.occurrence);
        break;
      case 'OBX': {
        if (!subject) break;
        let g = group;
        if (!g) {
          orphans ??= { notes: [], dg1: [], index: 0, results: [], obxCount: 0 };
          g = orphans;
        }
        g.obxCount++;
        lastObservation = observationEntry(seg, g, ctx, subject, encounter);
        break;
      }
      case 'NTE': {
        const text = seg
          .field(3)
          .repetitions.map((r) => r.value)
          .join('\n')
          .trim();
        if (!text) break;
        if (last === 'OBX' && lastObservation) lastObservation.note = [...(lastObservation.note ?? []), { text } as Annotation];
        else if (group && (last === 'OBR' || last === 'ORC' || last === 'TQ1')) group.notes.push(text);
        break;
      }
    }
    if (seg.name !== 'NTE') last = seg.name;
    if (seg.name !== 'OBX' && seg.name !== 'NTE') lastObservation = undefined;
  }
  flush();
}

function category(group: OrderGroup): CodeableConcept[] | undefined {
  const section = group.obr?.get(24).trim().toUpperCase() ?? '';
  const c = SECTION_CATEGORY[section];
  return c
    ? [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: c[0], display: c[1] }] }]
    : undefined;
}

function observationEntry(
  obx: Hl7Segment,
  group: ResultGroup,
  ctx: MapContext,
  subject: Reference,
  encounter: Reference | undefined,
): Observation {
  const { placer, filler } = orderIdentifiers(group, ctx);
  const setId = obx.get(1).trim() || String(group.obxCount);
  const subId = obx.get(4).trim();
  const suffix = `${group.specimen ? `S${group.specimen}-` : ''}${setId}${subId ? `-${subId}` : ''}`;
  const identifier: Identifier = filler
    ? { system: ctx.localSystem('obx'), value: `${filler.value}-${suffix}` }
    : placer
      ? { system: ctx.localSystem('obx-placer'), value: `${placer.value}-${suffix}` }
      : { system: ctx.localSystem('obx-message'), value: `${ctx.msg.controlId}-${group.index}-${suffix}` };
  if (!filler && !placer) ctx.warn('OBX without placer or filler order number: observations are keyed by message control id');
  if (ctx.builder.has(`Observation?${identifierQuery(identifier)}`)) {
    ctx.warn(`OBX(${obx.occurrence}) repeats set id ${suffix} within its order: keyed by its position`);
    identifier.value += `@${obx.position}`;
  }
  const unit = unitOf(obx.field(6).rep(1), ctx);
  const range = referenceRange(obx.get(7), unit);
  const performer = obx
    .field(16)
    .values.map((r) => practitionerRef(r, ctx))
    .filter((r): r is Reference<Practitioner> => !!r);
  const observation = clean<Observation>({
    resourceType: 'Observation',
    identifier: [identifier],
    basedOn: group.serviceRequest ? [group.serviceRequest] : undefined,
    status: OBS_STATUS[obx.get(11).trim().toUpperCase()] ?? 'unknown',
    category: category(group),
    code: codeableConcept(obx.field(3).rep(1), ctx) ?? { text: 'unknown' },
    subject,
    encounter,
    effectiveDateTime: ctx.dateTime(obx.get(14)) ?? ctx.dateTime(group.obr?.get(7) ?? ''),
    issued: ctx.instant(group.obr?.get(22) ?? ''),
    performer,
    ...observationValue(obx, ctx),
    interpretation: obx.field(8).values.map((r) => interpretation(r)),
    referenceRange: range ? [range] : undefined,
    method: codeableConcept(obx.field(17).rep(1), ctx),
  } as Observation);
  const ref = ctx.builder.add(observation, 'PUT', identifierQuery(identifier));
  if (!group.specimen) group.results.push({ reference: ref });
  return observation;
}

function reportEntry(group: ResultGroup, ctx: MapContext, subject: Reference, encounter: Reference | undefined): void {
  const obr = group.obr!;
  const { placer, filler } = orderIdentifiers(group, ctx);
  const key = filler ?? placer ?? { system: ctx.localSystem('report-message'), value: `${ctx.msg.controlId}-${group.index}` };
  const identifier = [placer, filler].filter((i): i is Identifier => !!i);
  if (!filler && !placer) identifier.push(key);
  const start = ctx.dateTime(obr.get(7));
  const end = ctx.dateTime(obr.get(8));
  const section = obr.get(24).trim();
  const report = clean<DiagnosticReport>({
    resourceType: 'DiagnosticReport',
    identifier,
    basedOn: group.serviceRequest ? [group.serviceRequest] : undefined,
    status: REPORT_STATUS[obr.get(25).trim().toUpperCase()] ?? 'unknown',
    category: section
      ? [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: section.toUpperCase() }] }, ...(category(group) ?? [])]
      : undefined,
    code: codeableConcept(obr.field(4).rep(1), ctx) ?? { text: 'unknown' },
    subject,
    encounter,
    ...(start && end ? { effectivePeriod: { start, end } } : { effectiveDateTime: start }),
    issued: ctx.instant(obr.get(22)),
    result: group.results,
    conclusion: group.notes.length ? group.notes.join('\n') : undefined,
  } as DiagnosticReport);
  ctx.builder.add(report, 'PUT', identifierQuery(key));
}
