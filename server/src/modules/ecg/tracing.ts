/**
 * The normalised tracing every accepted format becomes (DICOM waveform, HL7 aECG, JSON, CSV): the twelve standard
 * leads, one sample rate, integer samples with a factor to microvolts. The checks here are the same for every
 * format, so a file is judged by what it holds, not by how it was sent: all twelve leads (a 400 names the missing
 * ones), a sample rate a diagnostic recording can have, equal lengths, a duration long enough for the 3×4 layout.
 * Limb leads are never derived from two others: a file that lacks III, aVR, aVL or aVF is refused rather than
 * completed with computed signals a reader might take for recorded ones.
 */
import { badRequest } from '../../platform/fhir/outcomes.js';
import { LEADS, leadOf, type Lead, type MeasurementKey } from './model.js';

export type TracingFormat = 'dicom' | 'aecg' | 'json' | 'csv';

export interface Tracing {
  format: TracingFormat;
  /** Samples per second. */
  sampleRate: number;
  /** Microvolts per sample unit (value in µV = origin + sample × factor). */
  factor: number;
  origin: number;
  leads: Record<Lead, number[]>;
  /** When the recording was made (from the file), if it says. */
  acquiredAt?: string;
  /** Measurements the device wrote into the file. */
  measurements: Partial<Record<MeasurementKey, number>>;
  /** Demographics the file carries (DICOM, aECG), checked against the requested resident. */
  patient?: { id?: string; name?: string; birthDate?: string; gender?: string };
  device?: string;
}

/** What the parsers hand over: leads under whatever names the file used. */
export interface RawTracing extends Omit<Tracing, 'leads'> {
  leads: { name: string; samples: number[] }[];
}

export const SAMPLE_RATE = { min: 100, max: 16_000 } as const;
/** 2.5 s fills one column of the 3×4 layout; longer than 5 minutes is a Holter recording, not a resting ECG. */
export const DURATION_SECONDS = { min: 2.5, max: 300 } as const;

const bad = (message: string, field = 'file') => badRequest(message, field);

/** Checks and normalises a parsed tracing (400 naming what is wrong; the caller has written nothing yet). */
export function normalise(raw: RawTracing): Tracing {
  if (!Number.isFinite(raw.sampleRate) || raw.sampleRate < SAMPLE_RATE.min || raw.sampleRate > SAMPLE_RATE.max)
    throw bad(
      `Sample rate ${raw.sampleRate} Hz is out of range (${SAMPLE_RATE.min}–${SAMPLE_RATE.max} Hz) — 采样率${raw.sampleRate}Hz超出范围`,
      'sampleRate',
    );
  if (!(raw.factor > 0) || !Number.isFinite(raw.origin)) throw bad('The tracing has no usable amplitude scale (幅度刻度无效)');
  const found = new Map<Lead, number[]>();
  const unknown: string[] = [];
  for (const { name, samples } of raw.leads) {
    const lead = leadOf(name);
    if (!lead) unknown.push(name);
    else if (found.has(lead)) throw bad(`Lead ${lead} appears twice (导联${lead}重复)`);
    else found.set(lead, samples);
  }
  const missing = LEADS.filter((l) => !found.has(l));
  if (missing.length)
    throw bad(
      `A 12-lead ECG needs leads ${LEADS.join(', ')}; the file has ${found.size} of them${unknown.length ? ` (and ${unknown.length} unrecognised: ${unknown.slice(0, 5).join(', ')})` : ''}; missing: ${missing.join(', ')} — 导联数不正确，缺少导联：${missing.join('、')}`,
      'leads',
    );
  const lengths = new Set(LEADS.map((l) => found.get(l)!.length));
  if (lengths.size > 1)
    throw bad(`The leads have different numbers of samples (${[...lengths].join(', ')}) — 各导联采样点数不一致`, 'leads');
  const n = [...lengths][0]!;
  const seconds = n / raw.sampleRate;
  if (seconds < DURATION_SECONDS.min || seconds > DURATION_SECONDS.max)
    throw bad(
      `The recording lasts ${seconds.toFixed(2)} s; a resting ECG lasts ${DURATION_SECONDS.min}–${DURATION_SECONDS.max} s — 记录时长${seconds.toFixed(1)}秒不符合要求`,
      'leads',
    );
  for (const l of LEADS)
    if (found.get(l)!.some((v) => !Number.isFinite(v)))
      throw bad(`Lead ${l} holds values that are not numbers (导联${l}含非数值)`, 'leads');
  return { ...raw, leads: Object.fromEntries(LEADS.map((l) => [l, found.get(l)!])) as Record<Lead, number[]> };
}

/** Samples per lead and the recording's length in seconds. */
export const durationOf = (t: Pick<Tracing, 'leads' | 'sampleRate'>): number => t.leads.I.length / t.sampleRate;
