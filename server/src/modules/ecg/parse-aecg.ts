/**
 * HL7 v3 Annotated ECG (aECG, the FDA's ECG exchange format), read with fast-xml-parser: the rhythm series'
 * sequence set holds a time sequence (GLIST_TS: head and increment) and one SLIST_PQ per lead (MDC_ECG_LEAD_* code,
 * origin and scale in µV or mV, digits). Measurements the device annotated (heart rate, PR, QRS, QT, QTc) and the
 * subject's demographics come along. Entities are not expanded (no external or recursive entities reach the parser).
 */
import { XMLParser } from 'fast-xml-parser';
import { badRequest } from '../../platform/fhir/outcomes.js';
import type { MeasurementKey } from './model.js';
import type { RawTracing } from './tracing.js';

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  processEntities: false,
  parseAttributeValue: false,
  parseTagValue: false,
  isArray: (name) => name === 'component',
});

const UNIT_TO_UV: Record<string, number> = { uV: 1, mV: 1000, V: 1_000_000 };
const TIME_TO_S: Record<string, number> = { s: 1, ms: 0.001 };
const ANNOTATIONS: Record<string, MeasurementKey> = {
  MDC_ECG_HEART_RATE: 'hr',
  MDC_ECG_TIME_PD_PR: 'pr',
  MDC_ECG_TIME_PD_QRS: 'qrs',
  MDC_ECG_TIME_PD_QT: 'qt',
  MDC_ECG_TIME_PD_QTc: 'qtc',
};

const asNode = (v: unknown): Node | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined);
const list = (v: unknown): Node[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(asNode).filter((x): x is Node => !!x);
const attr = (n: Node | undefined, key: string): string | undefined => {
  const v = n?.[key];
  return typeof v === 'string' ? v : undefined;
};
const child = (n: Node | undefined, key: string): Node | undefined => asNode(n?.[key]);

/** Every node under `n` (depth first) with the given element name. */
function findAll(n: unknown, name: string, out: Node[] = []): Node[] {
  if (Array.isArray(n)) for (const x of n) findAll(x, name, out);
  else if (asNode(n)) {
    for (const [k, v] of Object.entries(n as Node)) {
      if (k === name) out.push(...list(v));
      findAll(v, name, out);
    }
  }
  return out;
}

/** HL7 TS (YYYYMMDDHHMMSS[.fff]) → FHIR dateTime in China time when it has no zone. */
function hl7Time(ts: string | undefined): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?/.exec(ts ?? '');
  if (!m) return undefined;
  if (!m[4]) return `${m[1]}-${m[2]}-${m[3]}`;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5] ?? '00'}:${m[6] ?? '00'}+08:00`;
}

export function isAecg(text: string): boolean {
  return /<(\w+:)?AnnotatedECG[\s>]/.test(text.slice(0, 4000));
}

export function parseAecg(text: string): RawTracing {
  let doc: Node;
  try {
    doc = parser.parse(text, true) as Node;
  } catch (err) {
    throw badRequest(`The XML cannot be read (${String((err as Error)?.message ?? err).slice(0, 120)}) — XML文件格式错误`, 'file');
  }
  const root = child(doc, 'AnnotatedECG');
  if (!root) throw badRequest('The XML is not an HL7 aECG (no AnnotatedECG root element) — XML文件不是HL7 aECG心电图', 'file');
  const series = findAll(root, 'series');
  const rhythm = series.find((s) => attr(child(s, 'code'), 'code') === 'RHYTHM') ?? series[0];
  const sequences = findAll(rhythm, 'sequence');
  const time = sequences.find((s) => /^TIME_/.test(attr(child(s, 'code'), 'code') ?? ''));
  const increment = child(child(time, 'value'), 'increment');
  const step = Number(attr(increment, 'value')) * (TIME_TO_S[attr(increment, 'unit') ?? 's'] ?? NaN);
  if (!(step > 0)) throw badRequest('The aECG has no time sequence with an increment (缺少采样间隔)', 'sampleRate');
  const leadSeqs = sequences.filter((s) => /^MDC_ECG_LEAD_/.test(attr(child(s, 'code'), 'code') ?? ''));
  if (!leadSeqs.length) throw badRequest('The aECG has no lead sequences (MDC_ECG_LEAD_*) — aECG中没有导联数据', 'leads');
  const scales = leadSeqs.map((s) => {
    const v = child(s, 'value');
    const scale = child(v, 'scale');
    const origin = child(v, 'origin');
    return {
      name: attr(child(s, 'code'), 'code')!,
      factor: Number(attr(scale, 'value') ?? 1) * (UNIT_TO_UV[attr(scale, 'unit') ?? 'uV'] ?? NaN),
      origin: Number(attr(origin, 'value') ?? 0) * (UNIT_TO_UV[attr(origin, 'unit') ?? 'uV'] ?? NaN),
      digits: String(v?.digits ?? ''),
    };
  });
  const first = scales[0]!;
  if (scales.some((s) => Math.abs(s.factor - first.factor) > 1e-9 || s.origin !== first.origin))
    throw badRequest('The leads of the aECG use different scales (各导联幅度刻度不一致)', 'file');
  const measurements: RawTracing['measurements'] = {};
  for (const a of findAll(root, 'annotation')) {
    const key = ANNOTATIONS[attr(child(a, 'code'), 'code') ?? ''];
    const value = Number(attr(child(a, 'value'), 'value'));
    if (key && Number.isFinite(value) && measurements[key] === undefined) measurements[key] = value;
  }
  const person = findAll(root, 'subjectDemographicPerson')[0];
  const nameNode = person?.name;
  const name = typeof nameNode === 'string' ? nameNode : undefined;
  const gender = attr(child(person, 'administrativeGenderCode'), 'code');
  const birth = hl7Time(attr(child(person, 'birthTime'), 'value'));
  const subjectId = attr(findAll(root, 'trialSubject')[0] && child(findAll(root, 'trialSubject')[0], 'id'), 'extension');
  const acquiredAt = hl7Time(attr(child(child(root, 'effectiveTime'), 'low'), 'value'));
  return {
    format: 'aecg',
    sampleRate: Math.round((1 / step) * 1000) / 1000,
    factor: first.factor,
    origin: first.origin,
    leads: scales.map((s) => ({ name: s.name, samples: s.digits.trim() ? s.digits.trim().split(/\s+/).map(Number) : [] })),
    measurements,
    ...(acquiredAt ? { acquiredAt } : {}),
    patient: {
      ...(subjectId ? { id: subjectId } : {}),
      ...(name?.trim() ? { name: name.trim() } : {}),
      ...(birth ? { birthDate: birth.slice(0, 10) } : {}),
      ...(gender === 'M' ? { gender: 'male' } : gender === 'F' ? { gender: 'female' } : {}),
    },
  };
}
