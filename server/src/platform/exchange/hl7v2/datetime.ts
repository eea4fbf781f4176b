/**
 * HL7 v2 dates and times: TS/DTM `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]` and DT `YYYY[MM[DD]]`,
 * checked for real calendar values and converted to FHIR date, dateTime and instant.
 */

export interface Hl7DateTime {
  year: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  /** Fraction of a second as written (1–4 digits). */
  fraction?: string;
  /** Offset as written, e.g. '+0800'. */
  offset?: string;
}

const TS_RE = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?([+-]\d{4})?$/;
const DT_RE = /^(\d{4})(?:(\d{2})(?:(\d{2}))?)?$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Parses a TS/DTM (or DT with `kind` 'DT'); returns a description of the problem when invalid.
 * Only the first component is read (TS.2, degree of precision, is ignored).
 */
export function parseHl7DateTime(value: string, kind: 'TS' | 'DT' = 'TS'): Hl7DateTime | string {
  const v = value.trim();
  const m = (kind === 'DT' ? DT_RE : TS_RE).exec(v);
  if (!m) {
    return kind === 'DT' ? `'${v}' is not a date (YYYY[MM[DD]])` : `'${v}' is not a date/time (YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ])`;
  }
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : parseInt(s, 10));
  const dt: Hl7DateTime = { year: num(m[1])! };
  if (dt.year < 1) return `'${v}': year 0000 is not valid`;
  dt.month = num(m[2]);
  dt.day = num(m[3]);
  if (kind === 'TS') {
    dt.hour = num(m[4]);
    dt.minute = num(m[5]);
    dt.second = num(m[6]);
    if (m[7]) dt.fraction = m[7];
    if (m[8]) dt.offset = m[8];
  }
  if (dt.month !== undefined && (dt.month < 1 || dt.month > 12)) return `'${v}': month ${m[2]} is out of range`;
  if (dt.day !== undefined && (dt.day < 1 || dt.day > daysIn(dt.year, dt.month!)))
    return `'${v}': day ${m[3]} does not exist in that month`;
  if (dt.hour !== undefined && dt.hour > 23) return `'${v}': hour ${m[4]} is out of range`;
  if (dt.minute !== undefined && dt.minute > 59) return `'${v}': minute ${m[5]} is out of range`;
  if (dt.second !== undefined && dt.second > 59) return `'${v}': second ${m[6]} is out of range`;
  if (dt.offset) {
    const oh = parseInt(dt.offset.slice(1, 3), 10);
    const om = parseInt(dt.offset.slice(3, 5), 10);
    const minutes = (oh * 60 + om) * (dt.offset[0] === '-' ? -1 : 1);
    if (om > 59 || minutes > 14 * 60 || minutes < -12 * 60) return `'${v}': time zone offset ${dt.offset} is out of range`;
  }
  return dt;
}

/** Problem description, or undefined when `value` is empty or a valid TS/DT. */
export function checkHl7DateTime(value: string, kind: 'TS' | 'DT' = 'TS'): string | undefined {
  if (value.trim() === '' || value === '""') return undefined;
  const r = parseHl7DateTime(value, kind);
  return typeof r === 'string' ? r : undefined;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function fhirOffset(offset: string | undefined, defaultOffset: string): string {
  if (!offset) return defaultOffset;
  return `${offset.slice(0, 3)}:${offset.slice(3, 5)}`;
}

/** FHIR `date` (YYYY, YYYY-MM or YYYY-MM-DD); time and offset are dropped. */
export function toFhirDate(value: string): string | undefined {
  const v = value.trim();
  if (v === '' || v === '""') return undefined;
  const dt = parseHl7DateTime(v, 'TS');
  if (typeof dt === 'string') return undefined;
  let out = pad(dt.year, 4);
  if (dt.month !== undefined) out += `-${pad(dt.month)}`;
  if (dt.day !== undefined) out += `-${pad(dt.day)}`;
  return out;
}

/**
 * FHIR `dateTime`. A time needs an offset in FHIR: when the HL7 value has none, `defaultOffset`
 * (the sender's zone, '+08:00' for China) is used. Hour-only values get ':00' minutes.
 */
export function toFhirDateTime(value: string, defaultOffset = '+08:00'): string | undefined {
  const v = value.trim();
  if (v === '' || v === '""') return undefined;
  const dt = parseHl7DateTime(v, 'TS');
  if (typeof dt === 'string') return undefined;
  let out = pad(dt.year, 4);
  if (dt.month === undefined) return out;
  out += `-${pad(dt.month)}`;
  if (dt.day === undefined) return out;
  out += `-${pad(dt.day)}`;
  if (dt.hour === undefined) return out;
  out += `T${pad(dt.hour)}:${pad(dt.minute ?? 0)}:${pad(dt.second ?? 0)}`;
  if (dt.fraction) out += `.${dt.fraction}`;
  return out + fhirOffset(dt.offset, defaultOffset);
}

/** FHIR `instant` (needs a full time); undefined when the value is less precise than a day. */
export function toFhirInstant(value: string, defaultOffset = '+08:00'): string | undefined {
  const dt = toFhirDateTime(value, defaultOffset);
  return dt && dt.length > 10 ? dt : undefined;
}

/** HL7 TS for a JavaScript date in the given offset (minutes east of UTC); default: local zone. */
export function formatHl7DateTime(date: Date, offsetMinutes = -date.getTimezoneOffset()): string {
  const shifted = new Date(date.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${pad(shifted.getUTCFullYear(), 4)}${pad(shifted.getUTCMonth() + 1)}${pad(shifted.getUTCDate())}` +
    `${pad(shifted.getUTCHours())}${pad(shifted.getUTCMinutes())}${pad(shifted.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}
