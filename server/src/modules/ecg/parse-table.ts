/**
 * Simple tracings from devices and scripts without DICOM or aECG:
 *   JSON {sampleRate, unit?: 'uV'|'mV' (default uV), leads: {I: [...], II: [...], …}, measurements?: {hr, pr, qrs, qt, qtc},
 *        acquiredAt?}
 *   CSV  a header row of lead names, one row per sample (comma, semicolon or tab); the sample rate and unit come from
 *        the upload's query (?sampleRate=500&unit=mV) or a first line '# sampleRate=500 unit=mV'.
 */
import { badRequest } from '../../platform/fhir/outcomes.js';
import { MEASUREMENT_KEYS, type MeasurementKey } from './model.js';
import type { RawTracing } from './tracing.js';

const UNIT_TO_UV: Record<string, number> = { uV: 1, µV: 1, mV: 1000 };

export interface TableOptions {
  sampleRate?: number;
  unit?: string;
}

function factorOf(unit: string | undefined): number {
  const u = unit ?? 'uV';
  const f = UNIT_TO_UV[u];
  if (!f) throw badRequest(`'unit' must be uV or mV, not '${u}' (幅度单位应为uV或mV)`, 'unit');
  return f;
}

function rateOf(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw badRequest("'sampleRate' (samples per second, 采样率) is required", 'sampleRate');
  return n;
}

export function parseJsonTracing(body: unknown, options: TableOptions = {}): RawTracing {
  const b = body as Record<string, unknown>;
  if (!b || typeof b !== 'object' || Array.isArray(b) || !b.leads || typeof b.leads !== 'object' || Array.isArray(b.leads))
    throw badRequest('A JSON tracing is {sampleRate, unit?, leads: {I: [...], II: [...], …}} (JSON格式应包含leads对象)', 'leads');
  const leads = Object.entries(b.leads as Record<string, unknown>).map(([name, samples]) => {
    if (!Array.isArray(samples) || samples.some((x) => typeof x !== 'number'))
      throw badRequest(`Lead '${name}' must be a list of numbers (导联${name}应为数值数组)`, 'leads');
    return { name, samples: samples as number[] };
  });
  const measurements: RawTracing['measurements'] = {};
  const m = (b.measurements ?? {}) as Record<string, unknown>;
  for (const key of MEASUREMENT_KEYS) if (typeof m[key] === 'number') measurements[key as MeasurementKey] = m[key];
  const acquiredAt = typeof b.acquiredAt === 'string' && !Number.isNaN(Date.parse(b.acquiredAt)) ? b.acquiredAt : undefined;
  return {
    format: 'json',
    sampleRate: rateOf(b.sampleRate ?? options.sampleRate),
    factor: factorOf(typeof b.unit === 'string' ? b.unit : options.unit),
    origin: 0,
    leads,
    measurements,
    ...(acquiredAt ? { acquiredAt } : {}),
  };
}

/** A header row whose cells are mostly lead names: the sign of a CSV tracing. */
export function looksLikeCsv(text: string): boolean {
  const first = text.split(/\r?\n/).find((l) => l.trim() && !l.startsWith('#')) ?? '';
  return /[,;\t]/.test(first) && /\b(I|II|V1|aVR|MDC_ECG_LEAD_I)\b/i.test(first);
}

export function parseCsvTracing(text: string, options: TableOptions = {}): RawTracing {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const meta: Record<string, string> = {};
  while (lines[0]?.startsWith('#')) {
    for (const m of lines.shift()!.matchAll(/(\w+)\s*=\s*([^\s,;]+)/g)) meta[m[1]!] = m[2]!;
  }
  const sep = [',', ';', '\t'].find((s) => lines[0]?.includes(s)) ?? ',';
  const names = (lines.shift() ?? '').split(sep).map((s) => s.trim().replace(/^"|"$/g, ''));
  const columns = names.map(() => [] as number[]);
  for (const [i, line] of lines.entries()) {
    const cells = line.split(sep);
    if (cells.length !== names.length)
      throw badRequest(`CSV row ${i + 2} has ${cells.length} values for ${names.length} leads (第${i + 2}行列数不正确)`, 'file');
    cells.forEach((c, j) => columns[j]!.push(Number(c)));
  }
  return {
    format: 'csv',
    sampleRate: rateOf(options.sampleRate ?? meta.sampleRate),
    factor: factorOf(options.unit ?? meta.unit),
    origin: 0,
    leads: names.map((name, j) => ({ name, samples: columns[j]! })),
    measurements: {},
  };
}
