/**
 * Search values with implicit ranges: a date '2020-05' means the whole of May 2020 and a number '100'
 * means [99.5, 100.5) — FHIR compares ranges, not points.
 */
import { badRequest } from '../outcomes.js';

export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

export function splitPrefix(value: string): { prefix: Prefix; rest: string } {
  const p = value.slice(0, 2) as Prefix;
  if (PREFIXES.includes(p) && /^[0-9\-+.]/.test(value.slice(2))) return { prefix: p, rest: value.slice(2) };
  return { prefix: 'eq', rest: value };
}

const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export interface InstantRange {
  start: string;
  end: string;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The instants a (partial) FHIR date or dateTime covers. Times without a zone are read as UTC. */
export function dateRange(value: string, expression: string): InstantRange {
  const m = DATE_RE.exec(value);
  if (!m) throw badRequest(`Invalid date '${value}': use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][Z|±hh:mm]`, expression);
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) : undefined;
  if (month !== undefined && (month < 1 || month > 12)) throw badRequest(`Invalid month in date '${value}'`, expression);
  const day = d ? Number(d) : undefined;
  if (day !== undefined && (day < 1 || day > daysIn(year, month as number))) throw badRequest(`Invalid day in date '${value}'`, expression);
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59))
    throw badRequest(`Invalid time in '${value}'`, expression);
  if (month === undefined) return { start: `${y}-01-01T00:00:00.000Z`, end: `${y}-12-31T23:59:59.999Z` };
  if (day === undefined) {
    return { start: `${y}-${mo}-01T00:00:00.000Z`, end: `${y}-${mo}-${String(daysIn(year, month)).padStart(2, '0')}T23:59:59.999Z` };
  }
  if (h === undefined) return { start: `${y}-${mo}-${d}T00:00:00.000Z`, end: `${y}-${mo}-${d}T23:59:59.999Z` };
  const zone = tz ?? 'Z';
  const base = `${y}-${mo}-${d}T${h}:${mi}`;
  if (s === undefined) {
    return { start: new Date(`${base}:00.000${zone}`).toISOString(), end: new Date(`${base}:59.999${zone}`).toISOString() };
  }
  if (frac === undefined) {
    return { start: new Date(`${base}:${s}.000${zone}`).toISOString(), end: new Date(`${base}:${s}.999${zone}`).toISOString() };
  }
  const instant = new Date(`${base}:${s}.${frac.slice(0, 3).padEnd(3, '0')}${zone}`).toISOString();
  return { start: instant, end: instant };
}

export interface NumberRange {
  value: number;
  low: number;
  high: number;
}

/** A number's implicit range follows its significant digits: 100 → [99.5, 100.5), 1.50 → [1.495, 1.505). */
export function numberRange(text: string, expression: string): NumberRange {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw badRequest(`Invalid number '${text}'`, expression);
  const value = Number(text);
  const mantissa = text.split(/[eE]/)[0];
  const exponent = Number(text.split(/[eE]/)[1] ?? 0);
  const decimals = mantissa.includes('.') ? mantissa.split('.')[1].length : 0;
  const half = 0.5 * Math.pow(10, exponent - decimals);
  return { value, low: value - half, high: value + half };
}
