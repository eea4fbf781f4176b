/**
 * The parsed form of an HL7 v2 message: message → segments → fields → repetitions → components →
 * subcomponents. Values are kept as received (escaped) and decoded on access, so a message can be
 * written back unchanged and every accessor returns plain text.
 *
 * Numbering follows HL7: fields, repetitions, components and subcomponents are 1-based, and for
 * MSH/FHS/BHS field 1 is the field separator and field 2 the encoding characters.
 */
import { unescapeValue, type EncodingCharacters } from './encoding.js';

/** What every value needs to be decoded. */
export interface ValueContext {
  readonly encoding: EncodingCharacters;
  /** Character set used for \Xhh\ escapes (iconv name). */
  readonly charset: string;
}

/** HL7 explicit null: `""` means "delete this value" and reads as empty. */
const NULL_VALUE = '""';

function leaf(raw: string | undefined, ctx: ValueContext): string {
  if (raw === undefined || raw === '' || raw === NULL_VALUE) return '';
  return unescapeValue(raw, ctx.encoding, ctx.charset);
}

export class Hl7Repetition {
  constructor(
    /** components[c-1][s-1]: raw (escaped) subcomponent text. */
    readonly components: readonly (readonly string[])[],
    private readonly ctx: ValueContext,
    private readonly literal = false,
  ) {}

  /** Decoded value of a component (and subcomponent); '' when absent or null. */
  component(component = 1, subcomponent = 1): string {
    const raw = this.components[component - 1]?.[subcomponent - 1];
    return this.literal ? (raw ?? '') : leaf(raw, this.ctx);
  }

  /** Decoded subcomponents of a component. */
  subcomponents(component = 1): string[] {
    return (this.components[component - 1] ?? []).map((s) => (this.literal ? s : leaf(s, this.ctx)));
  }

  /** Raw (escaped) text of one component including its subcomponent separators. */
  rawComponent(component = 1): string {
    return (this.components[component - 1] ?? []).join(this.ctx.encoding.subcomponent);
  }

  get componentCount(): number {
    return this.components.length;
  }

  /** Decoded value of the first component (the usual "value" of a simple field). */
  get value(): string {
    return this.component(1, 1);
  }

  get raw(): string {
    if (this.literal) return this.components[0]?.[0] ?? '';
    const enc = this.ctx.encoding;
    return this.components.map((c) => c.join(enc.subcomponent)).join(enc.component);
  }

  /** True when no component holds a value (`""` counts as empty). */
  get isEmpty(): boolean {
    return this.components.every((c) => c.every((s) => s === '' || s === NULL_VALUE));
  }

  get isNull(): boolean {
    return this.raw === NULL_VALUE;
  }
}

export class Hl7Field {
  constructor(
    readonly repetitions: readonly Hl7Repetition[],
    /** Raw (escaped) text of the whole field, repetitions included. */
    readonly raw: string,
  ) {}

  /** One repetition (1-based); an empty repetition when absent. */
  rep(repetition = 1): Hl7Repetition {
    return this.repetitions[repetition - 1] ?? EMPTY_REPETITION;
  }

  /** Decoded component of the first repetition. */
  component(component = 1, subcomponent = 1): string {
    return this.rep(1).component(component, subcomponent);
  }

  /** Decoded first component of the first repetition. */
  get value(): string {
    return this.rep(1).value;
  }

  get isEmpty(): boolean {
    return this.repetitions.every((r) => r.isEmpty);
  }

  /** The field holds the explicit null `""`. */
  get isNull(): boolean {
    return this.raw === NULL_VALUE;
  }

  /** Non-empty repetitions. */
  get values(): Hl7Repetition[] {
    return this.repetitions.filter((r) => !r.isEmpty);
  }
}

const EMPTY_CONTEXT: ValueContext = {
  encoding: { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' },
  charset: 'utf-8',
};
const EMPTY_REPETITION = new Hl7Repetition([], EMPTY_CONTEXT);
const EMPTY_FIELD = new Hl7Field([], '');

/** Segments whose field 1 is the field separator and field 2 the encoding characters. */
export const HEADER_SEGMENTS = new Set(['MSH', 'FHS', 'BHS']);

export class Hl7Segment {
  /** fields[n] is field n; fields[0] is unused (the segment id). */
  readonly fields: readonly Hl7Field[];

  constructor(
    readonly name: string,
    fields: Hl7Field[],
    private readonly ctx: ValueContext,
    /** 1-based position of the segment in its message. */
    readonly position: number,
    /** 1-based occurrence of this segment id in its message (2 = the second OBX). */
    readonly occurrence: number,
  ) {
    this.fields = fields;
  }

  /** Field n (1-based); an empty field when absent. */
  field(n: number): Hl7Field {
    return this.fields[n] ?? EMPTY_FIELD;
  }

  /** Decoded value of field/component/subcomponent in the given repetition (all 1-based). */
  get(field: number, component = 1, subcomponent = 1, repetition = 1): string {
    return this.field(field).rep(repetition).component(component, subcomponent);
  }

  /** Highest field number present. */
  get fieldCount(): number {
    return this.fields.length - 1;
  }

  get encoding(): EncodingCharacters {
    return this.ctx.encoding;
  }

  get charset(): string {
    return this.ctx.charset;
  }

  toString(): string {
    const enc = this.ctx.encoding;
    if (HEADER_SEGMENTS.has(this.name)) {
      return [this.name + enc.field + this.field(2).raw, ...this.fields.slice(3).map((f) => f.raw)].join(enc.field);
    }
    return [this.name, ...this.fields.slice(1).map((f) => f.raw)].join(enc.field);
  }
}

/** Splits one raw field into repetitions, components and subcomponents. */
export function parseField(raw: string, ctx: ValueContext): Hl7Field {
  if (raw === '') return new Hl7Field([], '');
  const enc = ctx.encoding;
  const reps = raw.split(enc.repetition).map(
    (r) =>
      new Hl7Repetition(
        r.split(enc.component).map((c) => c.split(enc.subcomponent)),
        ctx,
      ),
  );
  return new Hl7Field(reps, raw);
}

function literalField(value: string, ctx: ValueContext): Hl7Field {
  return new Hl7Field([new Hl7Repetition([[value]], ctx, true)], value);
}

/**
 * Parses one segment line. For MSH/FHS/BHS the caller has already checked the encoding characters.
 * `name` must have been validated by the caller.
 */
export function parseSegment(line: string, ctx: ValueContext, position: number, occurrence: number): Hl7Segment {
  const enc = ctx.encoding;
  const parts = line.split(enc.field);
  const name = parts[0]!;
  const fields: Hl7Field[] = [EMPTY_FIELD];
  if (HEADER_SEGMENTS.has(name)) {
    fields.push(literalField(enc.field, ctx), literalField(parts[1] ?? '', ctx));
    for (let i = 2; i < parts.length; i++) fields.push(parseField(parts[i]!, ctx));
  } else {
    for (let i = 1; i < parts.length; i++) fields.push(parseField(parts[i]!, ctx));
  }
  return new Hl7Segment(name, fields, ctx, position, occurrence);
}

/** A parsed address such as `PID-5.1`, `OBX(2)-5`, `PID-3[2].4.2` or HAPI style `PID-3(2)-1`. */
export interface Hl7Path {
  segment: string;
  occurrence: number;
  field: number;
  repetition: number;
  component: number;
  subcomponent: number;
  /** Which parts the path names explicitly. */
  explicit: { repetition: boolean; component: boolean; subcomponent: boolean };
}

const PATH_RE = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\]|\((\d+)\))?[-.](\d+)(?:\[(\d+)\]|\((\d+)\))?(?:[-.](\d+)(?:[-.](\d+))?)?$/;

export function parsePath(path: string): Hl7Path {
  const m = PATH_RE.exec(path.trim());
  if (!m) throw new TypeError(`Invalid HL7 path '${path}' (expected e.g. 'PID-5.1', 'OBX(2)-5', 'PID-3[2].4')`);
  const num = (s: string | undefined, d: number): number => (s === undefined ? d : parseInt(s, 10));
  const p: Hl7Path = {
    segment: m[1]!,
    occurrence: num(m[2] ?? m[3], 1),
    field: num(m[4], 0),
    repetition: num(m[5] ?? m[6], 1),
    component: num(m[7], 1),
    subcomponent: num(m[8], 1),
    explicit: { repetition: (m[5] ?? m[6]) !== undefined, component: m[7] !== undefined, subcomponent: m[8] !== undefined },
  };
  if (p.occurrence < 1 || p.field < 1 || p.repetition < 1 || p.component < 1 || p.subcomponent < 1) {
    throw new TypeError(`Invalid HL7 path '${path}': positions are 1-based`);
  }
  return p;
}

export class Hl7Message {
  private readonly all: readonly Hl7Segment[];

  constructor(
    segments: Hl7Segment[],
    readonly encoding: EncodingCharacters,
    /** Character set the message was decoded with (iconv name, e.g. 'utf-8', 'gb18030'). */
    readonly charset: string,
    /** Raw MSH-18 as received ('' when absent). */
    readonly declaredCharset = '',
  ) {
    this.all = segments;
  }

  /** All segments, or all segments with the given id, in message order. */
  segments(name?: string): Hl7Segment[] {
    return name ? this.all.filter((s) => s.name === name) : [...this.all];
  }

  /** The n-th (1-based) segment with the given id. */
  segment(name: string, occurrence = 1): Hl7Segment | undefined {
    let n = 0;
    for (const s of this.all) if (s.name === name && ++n === occurrence) return s;
    return undefined;
  }

  get header(): Hl7Segment {
    return this.all[0]!;
  }

  /**
   * Decoded value at a path. Unnamed parts default to the first: `get('PID-5')` is PID-5.1 of the
   * first repetition; `get('PID-3[2].4.2')` is the second repetition's component 4, subcomponent 2.
   */
  get(path: string): string {
    const p = parsePath(path);
    return this.segment(p.segment, p.occurrence)?.get(p.field, p.component, p.subcomponent, p.repetition) ?? '';
  }

  /** Decoded values of a component in every repetition of a field: `getRepetitions('PID-3.1')`. */
  getRepetitions(path: string): string[] {
    const p = parsePath(path);
    const field = this.segment(p.segment, p.occurrence)?.field(p.field);
    return field ? field.repetitions.map((r) => r.component(p.component, p.subcomponent)) : [];
  }

  /** The field a path points to (component parts of the path are ignored). */
  field(path: string): Hl7Field | undefined {
    const p = parsePath(path);
    return this.segment(p.segment, p.occurrence)?.field(p.field);
  }

  get messageType(): string {
    return this.header.get(9, 1).trim().toUpperCase();
  }

  /** MSH-9.2, or EVN-1 for old messages that do not carry it in MSH. */
  get triggerEvent(): string {
    return (this.header.get(9, 2) || this.segment('EVN')?.get(1) || '').trim().toUpperCase();
  }

  get messageStructure(): string {
    return this.header.get(9, 3).trim().toUpperCase();
  }

  get controlId(): string {
    return this.header.get(10);
  }

  get processingId(): string {
    return this.header.get(11).trim();
  }

  get version(): string {
    return this.header.get(12).trim();
  }

  get sendingApplication(): string {
    return this.header.get(3);
  }

  get sendingFacility(): string {
    return this.header.get(4);
  }

  get receivingApplication(): string {
    return this.header.get(5);
  }

  get receivingFacility(): string {
    return this.header.get(6);
  }

  /** The message with CR segment separators, as it would be sent. */
  toString(): string {
    return this.all.map((s) => s.toString()).join('\r');
  }
}
