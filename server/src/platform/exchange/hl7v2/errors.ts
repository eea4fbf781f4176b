/**
 * HL7 v2 errors with the codes of HL7 table 0357 (message error condition codes) and a location
 * that maps onto ERR-2 (ERL: segment ^ sequence ^ field ^ repetition ^ component ^ subcomponent).
 */

/** HL7 table 0357. */
export const Hl7ErrorCode = {
  /** Used for warnings in an accepted message (ERR-4 'W'). */
  MessageAccepted: 0,
  SegmentSequence: 100,
  RequiredFieldMissing: 101,
  DataType: 102,
  TableValueNotFound: 103,
  UnsupportedMessageType: 200,
  UnsupportedEventCode: 201,
  UnsupportedProcessingId: 202,
  UnsupportedVersionId: 203,
  UnknownKeyIdentifier: 204,
  DuplicateKeyIdentifier: 205,
  ApplicationRecordLocked: 206,
  ApplicationInternalError: 207,
} as const;
export type Hl7ErrorCode = (typeof Hl7ErrorCode)[keyof typeof Hl7ErrorCode];

export const HL7_ERROR_TEXT: Record<Hl7ErrorCode, string> = {
  0: 'Message accepted',
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  202: 'Unsupported processing id',
  203: 'Unsupported version id',
  204: 'Unknown key identifier',
  205: 'Duplicate key identifier',
  206: 'Application record locked',
  207: 'Application internal error',
};

/** HL7 table 0516 (error severity): Error, Warning, Information, Fatal. */
export type Hl7Severity = 'E' | 'W' | 'I' | 'F';

/** Where the problem is; numbers are 1-based as in HL7 (ERR-2). */
export interface Hl7Location {
  /** Segment id, e.g. 'PID'. */
  segment: string;
  /** Occurrence of that segment id in the message (1 = first PID). */
  sequence?: number;
  field?: number;
  repetition?: number;
  component?: number;
  subcomponent?: number;
}

/** What an ACK needs to describe one problem; `ParseError` satisfies it. */
export interface Hl7Issue {
  code: Hl7ErrorCode | number;
  message: string;
  location?: Hl7Location;
  severity?: Hl7Severity;
}

export function formatLocation(loc: Hl7Location | undefined): string {
  if (!loc) return '';
  let text = loc.segment;
  if (loc.sequence && loc.sequence > 1) text += `(${loc.sequence})`;
  if (loc.field !== undefined) {
    text += `-${loc.field}`;
    if (loc.repetition && loc.repetition > 1) text += `[${loc.repetition}]`;
    if (loc.component !== undefined) text += `.${loc.component}`;
    if (loc.subcomponent !== undefined) text += `.${loc.subcomponent}`;
  }
  return text;
}

/**
 * A message that cannot be accepted as it is. Thrown by the parser for structural problems and
 * returned (never thrown) by `validateMessage` for content problems.
 */
export class ParseError extends Error implements Hl7Issue {
  override readonly name = 'ParseError';
  readonly code: Hl7ErrorCode;
  readonly location: Hl7Location;
  readonly severity: Hl7Severity;
  /** The message without the location prefix (ERR-8 user message). */
  readonly detail: string;

  constructor(code: Hl7ErrorCode, message: string, location: Hl7Location, severity: Hl7Severity = 'E') {
    super(location.segment ? `${formatLocation(location)}: ${message}` : message);
    this.code = code;
    this.location = location;
    this.severity = severity;
    this.detail = message;
  }

  /** Text of the code in table 0357. */
  get codeText(): string {
    return HL7_ERROR_TEXT[this.code];
  }

  toJSON(): { code: number; codeText: string; message: string; location: Hl7Location; severity: Hl7Severity } {
    return { code: this.code, codeText: this.codeText, message: this.detail, location: this.location, severity: this.severity };
  }
}

export function isParseError(e: unknown): e is ParseError {
  return e instanceof ParseError;
}
