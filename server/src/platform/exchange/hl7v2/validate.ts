/**
 * What Yiwang accepts. `validateMessage` never throws: it returns every problem found as a
 * `ParseError` (severity 'E' rejects, 'W' is reported in an AA acknowledgement).
 *
 * Accepted: HL7 v2.1–v2.8, processing id P/D/T, and the events below. Segment and field checks
 * cover what the FHIR mapping uses, so a message that passes can be mapped without guessing.
 */
import { charsetFromMsh18 } from './encoding.js';
import { checkHl7DateTime } from './datetime.js';
import { ParseError, type Hl7ErrorCode, type Hl7Location } from './errors.js';
import type { Hl7Message, Hl7Segment } from './message.js';

/** Supported message types and their trigger events. */
export const SUPPORTED_EVENTS: Readonly<Record<string, readonly string[]>> = {
  ADT: ['A01', 'A03', 'A04', 'A08', 'A40'],
  ORU: ['R01'],
  ORM: ['O01'],
  OML: ['O21'],
  SIU: ['S12'],
};

export const SUPPORTED_VERSION = /^2\.[1-8](\.\d{1,2})?$/;
const PROCESSING_IDS = new Set(['P', 'D', 'T']);

/** HL7 table 0001 (administrative sex) plus GB/T 2261.1 codes 0/1/2/9 used by Chinese systems. */
export const SEX_CODES = new Set(['M', 'F', 'O', 'U', 'A', 'N', 'X', '0', '1', '2', '9']);
/** HL7 table 0004 (patient class). */
export const PATIENT_CLASSES = new Set(['E', 'I', 'O', 'P', 'R', 'B', 'C', 'N', 'U']);
/** HL7 table 0125 (value type) for OBX-2. */
export const VALUE_TYPES = new Set([
  'AD',
  'CE',
  'CF',
  'CK',
  'CN',
  'CNE',
  'CP',
  'CWE',
  'CX',
  'DR',
  'DT',
  'DTM',
  'ED',
  'FT',
  'ID',
  'IS',
  'MA',
  'MO',
  'NA',
  'NM',
  'PN',
  'RP',
  'SN',
  'ST',
  'TM',
  'TN',
  'TS',
  'TX',
  'XAD',
  'XCN',
  'XON',
  'XPN',
  'XTN',
  'CQ',
  'NR',
  'SI',
]);
/** HL7 table 0085 (observation result status) for OBX-11. */
export const RESULT_STATUSES = new Set(['C', 'D', 'F', 'I', 'N', 'O', 'P', 'R', 'S', 'U', 'W', 'X']);

const MAX_ERRORS = 50;
const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const COMPARATOR_NUMBER_RE = /^(<=|>=|<|>)\s*[+-]?(\d+(\.\d*)?|\.\d+)$/;

class Collector {
  readonly errors: ParseError[] = [];
  add(code: Hl7ErrorCode, message: string, location: Hl7Location, severity: 'E' | 'W' = 'E'): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(new ParseError(code, message, location, severity));
  }
}

function loc(seg: Hl7Segment, field?: number, component?: number, repetition?: number): Hl7Location {
  const l: Hl7Location = { segment: seg.name, sequence: seg.occurrence };
  if (field !== undefined) l.field = field;
  if (repetition !== undefined) l.repetition = repetition;
  if (component !== undefined) l.component = component;
  return l;
}

function requireField(c: Collector, seg: Hl7Segment, field: number, what: string, component?: number): boolean {
  const f = seg.field(field);
  const empty = component === undefined ? f.isEmpty : f.rep(1).component(component).trim() === '';
  if (empty) c.add(101, `${what} (${seg.name}-${field}${component ? `.${component}` : ''}) is required`, loc(seg, field, component));
  return !empty;
}

function checkDate(c: Collector, seg: Hl7Segment, field: number, what: string, kind: 'TS' | 'DT' = 'TS', component = 1): void {
  seg.field(field).repetitions.forEach((rep, i) => {
    const problem = checkHl7DateTime(rep.component(component), kind);
    if (problem) c.add(102, `${what}: ${problem}`, loc(seg, field, component === 1 ? undefined : component, i > 0 ? i + 1 : undefined));
  });
}

/** Checks a parsed message against what Yiwang accepts; returns all problems (empty = accepted). */
export function validateMessage(msg: Hl7Message): ParseError[] {
  const c = new Collector();
  const msh = msg.header;

  if (!requireField(c, msh, 9, 'Message type', 1)) return c.errors;
  const type = msg.messageType;
  const event = msg.triggerEvent;
  if (!event) c.add(101, 'Trigger event (MSH-9.2) is required', loc(msh, 9, 2));
  requireField(c, msh, 10, 'Message control id');
  if (requireField(c, msh, 11, 'Processing id', 1)) {
    const pid = msh.get(11).trim().toUpperCase();
    if (!PROCESSING_IDS.has(pid)) c.add(202, `Processing id '${pid}' is not supported (P, D or T)`, loc(msh, 11, 1));
  }
  if (requireField(c, msh, 12, 'Version id', 1)) {
    const version = msg.version;
    if (!SUPPORTED_VERSION.test(version)) c.add(203, `Version '${version}' is not supported (2.1 to 2.8)`, loc(msh, 12, 1));
  }
  const msh18 = msh.get(18).trim();
  if (msh18 && !charsetFromMsh18(msh18)) c.add(103, `Character set '${msh18}' (MSH-18, table 0211) is not supported`, loc(msh, 18));
  checkDate(c, msh, 7, 'Message date/time');

  const events = SUPPORTED_EVENTS[type];
  if (!events) {
    c.add(200, `Message type '${type}' is not supported (${Object.keys(SUPPORTED_EVENTS).join(', ')})`, loc(msh, 9, 1));
    return c.errors;
  }
  if (event && !events.includes(event)) {
    c.add(201, `Event '${type}^${event}' is not supported (${events.map((e) => `${type}^${e}`).join(', ')})`, loc(msh, 9, 2));
    return c.errors;
  }

  const segs = msg.segments();
  const first = (name: string): Hl7Segment | undefined => segs.find((s) => s.name === name);
  const requireSegment = (name: string, what: string): Hl7Segment | undefined => {
    const s = first(name);
    if (!s) c.add(100, `Required segment ${name} (${what}) is missing`, { segment: name, sequence: 1 });
    return s;
  };
  const requireBefore = (before: string, after: string): void => {
    const a = first(before);
    const b = first(after);
    if (a && b && b.position < a.position) c.add(100, `${after} must come after ${before}`, loc(b));
  };

  requireSegment('PID', 'patient identification');
  if (type === 'ADT' && event !== 'A40') {
    requireSegment('PV1', 'patient visit');
    requireBefore('PID', 'PV1');
  }
  if (type === 'ADT' && event === 'A40') {
    requireSegment('MRG', 'merge patient information');
    requireBefore('PID', 'MRG');
  }
  if (type === 'ORU') {
    requireSegment('OBR', 'observation request');
    requireBefore('PID', 'OBR');
  }
  if (type === 'ORM') {
    requireSegment('ORC', 'common order');
    requireBefore('PID', 'ORC');
  }
  if (type === 'OML') {
    requireSegment('ORC', 'common order');
    requireSegment('OBR', 'observation request');
    requireBefore('PID', 'ORC');
  }
  if (type === 'SIU') requireSegment('SCH', 'schedule activity');

  for (const seg of segs) {
    switch (seg.name) {
      case 'EVN':
        checkDate(c, seg, 2, 'Recorded date/time');
        break;
      case 'PID': {
        requireField(c, seg, 3, 'Patient identifier list');
        requireField(c, seg, 5, 'Patient name');
        checkDate(c, seg, 7, 'Date/time of birth');
        checkDate(c, seg, 29, 'Patient death date/time');
        const sex = seg.get(8).trim().toUpperCase();
        if (sex && !SEX_CODES.has(sex)) c.add(103, `Administrative sex '${sex}' is not in table 0001`, loc(seg, 8));
        break;
      }
      case 'PV1': {
        requireField(c, seg, 2, 'Patient class');
        const cls = seg.get(2).trim().toUpperCase();
        if (cls && !PATIENT_CLASSES.has(cls)) c.add(103, `Patient class '${cls}' is not in table 0004`, loc(seg, 2), 'W');
        checkDate(c, seg, 44, 'Admit date/time');
        checkDate(c, seg, 45, 'Discharge date/time');
        break;
      }
      case 'MRG':
        requireField(c, seg, 1, 'Prior patient identifier list');
        break;
      case 'ORC':
        requireField(c, seg, 1, 'Order control');
        checkDate(c, seg, 9, 'Date/time of transaction');
        checkDate(c, seg, 7, 'Quantity/timing start', 'TS', 4);
        break;
      case 'OBR':
        requireField(c, seg, 4, 'Universal service identifier');
        checkDate(c, seg, 7, 'Observation date/time');
        checkDate(c, seg, 22, 'Results report/status change date/time');
        break;
      case 'OBX':
        checkObx(c, seg);
        break;
      case 'TQ1':
        checkDate(c, seg, 7, 'Start date/time');
        checkDate(c, seg, 8, 'End date/time');
        break;
      case 'SCH':
        if (seg.field(1).isEmpty && seg.field(2).isEmpty) {
          c.add(101, 'Placer or filler appointment id (SCH-1 or SCH-2) is required', loc(seg, 2));
        }
        checkDate(c, seg, 11, 'Appointment timing start', 'TS', 4);
        checkDate(c, seg, 11, 'Appointment timing end', 'TS', 5);
        break;
      case 'AIS':
      case 'AIP':
      case 'AIL':
      case 'AIG': {
        const f = { AIS: 4, AIP: 6, AIL: 6, AIG: 8 }[seg.name]!;
        checkDate(c, seg, f, 'Start date/time');
        break;
      }
    }
  }
  return c.errors;
}

function checkObx(c: Collector, seg: Hl7Segment): void {
  requireField(c, seg, 3, 'Observation identifier');
  requireField(c, seg, 11, 'Observation result status');
  const status = seg.get(11).trim().toUpperCase();
  if (status && !RESULT_STATUSES.has(status)) c.add(103, `Result status '${status}' is not in table 0085`, loc(seg, 11));
  checkDate(c, seg, 14, 'Date/time of the observation');
  const valueType = seg.get(2).trim().toUpperCase();
  const value = seg.field(5);
  if (value.isEmpty) return;
  if (!valueType) {
    c.add(101, 'Value type (OBX-2) is required when OBX-5 holds a value', loc(seg, 2));
    return;
  }
  if (!VALUE_TYPES.has(valueType)) {
    c.add(103, `Value type '${valueType}' is not in table 0125`, loc(seg, 2));
    return;
  }
  value.repetitions.forEach((rep, i) => {
    const v = rep.value.trim();
    const at = loc(seg, 5, undefined, i > 0 ? i + 1 : undefined);
    if (valueType === 'NM' && v !== '' && !NUMBER_RE.test(v)) {
      if (COMPARATOR_NUMBER_RE.test(v)) c.add(102, `'${v}' in an NM value should be sent as SN; read as a comparator and number`, at, 'W');
      else c.add(102, `'${v}' is not a number (value type NM)`, at);
    }
    if (valueType === 'DT' || valueType === 'TS' || valueType === 'DTM') {
      const problem = checkHl7DateTime(v, valueType === 'DT' ? 'DT' : 'TS');
      if (problem) c.add(102, `Observation value: ${problem}`, at);
    }
    if (valueType === 'SN') {
      const num1 = rep.component(2).trim();
      const num2 = rep.component(4).trim();
      if ((num1 && !NUMBER_RE.test(num1)) || (num2 && !NUMBER_RE.test(num2)))
        c.add(102, `'${rep.raw}' is not a structured numeric (SN)`, at);
    }
  });
}

/** True when the list holds an error (not only warnings). */
export function hasErrors(errors: readonly { severity?: string }[]): boolean {
  return errors.some((e) => e.severity === undefined || e.severity === 'E' || e.severity === 'F');
}
