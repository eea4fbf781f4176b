/**
 * Original-mode acknowledgements (ACK): MSH with sender and receiver swapped, MSA with the original
 * control id, and one v2.5-style ERR per problem (ERR-2 location, ERR-3 code from table 0357,
 * ERR-4 severity, ERR-8 user message; ERR-1 as well for messages older than v2.5).
 *
 * The ACK uses the encoding characters of the message it answers, so raw header fields are echoed
 * unchanged; for input whose MSH cannot be parsed the standard `|^~\&` and whatever could be
 * recovered from the broken header are used. The ACK carries MSH-18 of the original, so the caller
 * should encode it with `encodeText(ack, message.charset)` before sending.
 */
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_ENCODING,
  charsetFromMsh18,
  checkEncodingCharacters,
  decodeBytes,
  encodingCharactersText,
  escapeValue,
  type EncodingCharacters,
} from './encoding.js';
import { formatHl7DateTime } from './datetime.js';
import { HL7_ERROR_TEXT, ParseError, type Hl7ErrorCode, type Hl7Issue, type Hl7Location } from './errors.js';
import type { Hl7Message } from './message.js';
import { decodeInput, parseMessage, type ParseOptions } from './parser.js';
import { hasErrors, validateMessage } from './validate.js';

export type AckCode = 'AA' | 'AE' | 'AR';

export interface AckOptions {
  code: AckCode;
  /** Problems to report, one ERR segment each. */
  errors?: readonly Hl7Issue[];
  /** MSH-10 of the ACK; default: generated. */
  controlId?: string;
  /** MSH-7 of the ACK; default: now. */
  now?: Date;
  /** Offset (minutes east of UTC) used for MSH-7; default: the server's zone. */
  utcOffsetMinutes?: number;
  /** MSH-3/MSH-4 of the ACK; default: MSH-5/MSH-6 of the original (the receiver it was sent to). */
  sendingApplication?: string;
  sendingFacility?: string;
  /** MSA-3 text; default: the first error message for messages older than v2.5. */
  text?: string;
}

/** Header facts needed to answer, whether the message parsed or not (raw = escaped in `encoding`). */
interface AckHeader {
  encoding: EncodingCharacters;
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  event: string;
  controlId: string;
  processingId: string;
  version: string;
  charset: string;
}

function headerOf(msg: Hl7Message): AckHeader {
  const msh = msg.header;
  return {
    encoding: msg.encoding,
    sendingApplication: msh.field(3).raw,
    sendingFacility: msh.field(4).raw,
    receivingApplication: msh.field(5).raw,
    receivingFacility: msh.field(6).raw,
    event: escapeValue(msg.triggerEvent, msg.encoding),
    controlId: msh.field(10).rep(1).rawComponent(1),
    processingId: /^[PDT]$/.test(msg.processingId) ? msh.field(11).raw : 'P',
    version: /^2\.\d+(\.\d+)*$/.test(msg.version) ? msh.field(12).rep(1).rawComponent(1) : '2.5',
    charset: msh.field(18).rep(1).rawComponent(1),
  };
}

/**
 * Best effort for input that does not parse: finds 'MSH', takes the next character as field
 * separator when it is plausible, and keeps only plain text from the fields it can find.
 */
export function recoverHeader(input: Buffer | Uint8Array | string): AckHeader {
  let text: string;
  try {
    text = decodeInput(input).text;
  } catch {
    text = typeof input === 'string' ? input : decodeBytes(Buffer.from(input), 'latin1');
  }
  const at = text.indexOf('MSH');
  const enc = DEFAULT_ENCODING;
  const empty: AckHeader = {
    encoding: enc,
    sendingApplication: '',
    sendingFacility: '',
    receivingApplication: '',
    receivingFacility: '',
    event: '',
    controlId: '',
    processingId: 'P',
    version: '2.5',
    charset: '',
  };
  if (at < 0) return empty;
  const line = text.slice(at).split(/\r\n|\r|\n/)[0]!;
  let fieldSep = line.charAt(3);
  if (!fieldSep || /[A-Za-z0-9\s]/.test(fieldSep)) fieldSep = '|';
  const parts = line.split(fieldSep);
  const msh2 = parts[1] ?? '';
  const brokenEncoding = checkEncodingCharacters(fieldSep, msh2) !== undefined;
  const comp = !brokenEncoding ? msh2[0]! : msh2[0] && !/[A-Za-z0-9\s]/.test(msh2[0]) ? msh2[0] : '^';
  // MSH-n is parts[n-1]; keep the first component as plain text and escape it for the ACK.
  const plain = (n: number, component = 1): string => {
    const v = (parts[n - 1] ?? '').split(comp)[component - 1] ?? '';
    return escapeValue(v.replace(/[\x00-\x1f]/g, '').slice(0, 200), enc);
  };
  const version = plain(12);
  const processingId = plain(11);
  return {
    encoding: enc,
    sendingApplication: plain(3),
    sendingFacility: plain(4),
    receivingApplication: plain(5),
    receivingFacility: plain(6),
    event: plain(9, 2),
    controlId: plain(10),
    processingId: /^[PDT]$/.test(processingId) ? processingId : 'P',
    version: /^2\.\d+(\.\d+)*$/.test(version) ? version : '2.5',
    charset: charsetFromMsh18(plain(18)) ? plain(18) : '',
  };
}

function newControlId(): string {
  return (Date.now().toString(36) + randomBytes(5).toString('hex')).toUpperCase().slice(0, 20);
}

function versionBefore25(version: string): boolean {
  const m = /^2\.(\d+)/.exec(version);
  return !!m && parseInt(m[1]!, 10) < 5;
}

function erl(l: Hl7Location | undefined, enc: EncodingCharacters): string {
  if (!l || !l.segment) return '';
  const parts = [
    l.segment,
    l.sequence ?? 1,
    l.field ?? '',
    l.repetition ?? (l.field !== undefined ? 1 : ''),
    l.component ?? '',
    l.subcomponent ?? '',
  ];
  return trimTrailing(parts.map((p) => escapeValue(String(p), enc))).join(enc.component);
}

function trimTrailing(parts: string[]): string[] {
  let n = parts.length;
  while (n > 0 && parts[n - 1] === '') n--;
  return parts.slice(0, n);
}

function errSegment(issue: Hl7Issue, enc: EncodingCharacters, old: boolean): string {
  const code = issue.code;
  const codeText = HL7_ERROR_TEXT[code as Hl7ErrorCode] ?? 'Application error';
  const message = issue instanceof ParseError ? issue.detail : issue.message;
  const e = (s: string): string => escapeValue(s.replace(/[\r\n]+/g, ' '), enc);
  const fields: string[] = ['ERR'];
  // ERR-1 (ELD, up to v2.4): segment ^ sequence ^ field ^ code&text&HL70357
  fields[1] =
    old && issue.location
      ? [
          e(issue.location.segment),
          issue.location.sequence ?? 1,
          issue.location.field ?? '',
          [code, e(codeText), 'HL70357'].join(enc.subcomponent),
        ].join(enc.component)
      : '';
  fields[2] = erl(issue.location, enc);
  fields[3] = [String(code), e(codeText), 'HL70357'].join(enc.component);
  fields[4] = issue.severity ?? 'E';
  fields[5] = '';
  fields[6] = '';
  fields[7] = '';
  fields[8] = e(message);
  return fields.join(enc.field);
}

/**
 * Builds an ACK for a parsed message, or for raw input (which is parsed here; when even MSH cannot
 * be parsed the ACK is built from what can be recovered, and the parse error is reported unless
 * `errors` is given).
 */
export function buildAck(input: Hl7Message | Buffer | Uint8Array | string, options: AckOptions): string {
  let header: AckHeader;
  let errors = options.errors;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    try {
      header = headerOf(parseMessage(input));
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      header = recoverHeader(input);
      errors ??= [e];
    }
  } else {
    header = headerOf(input);
  }
  const enc = header.encoding;
  const old = versionBefore25(header.version);
  const now = options.now ?? new Date();
  const msh = [
    'MSH',
    encodingCharactersText(enc),
    options.sendingApplication !== undefined ? escapeValue(options.sendingApplication, enc) : header.receivingApplication,
    options.sendingFacility !== undefined ? escapeValue(options.sendingFacility, enc) : header.receivingFacility,
    header.sendingApplication,
    header.sendingFacility,
    formatHl7DateTime(now, options.utcOffsetMinutes),
    '',
    header.event ? ['ACK', header.event, 'ACK'].join(enc.component) : 'ACK',
    escapeValue(options.controlId ?? newControlId(), enc),
    header.processingId || 'P',
    header.version || '2.5',
  ];
  if (header.charset) {
    // msh[n] is MSH-(n+1): msh[1] holds MSH-2.
    while (msh.length < 17) msh.push('');
    msh[17] = header.charset;
  }
  const list = errors ?? [];
  const text = options.text ?? (old && list[0] ? (list[0] instanceof ParseError ? list[0].detail : list[0].message) : '');
  const msa = ['MSA', options.code, header.controlId];
  if (text) msa.push(escapeValue(text.replace(/[\r\n]+/g, ' ').slice(0, 80), enc));
  const lines = [msh.join(enc.field), msa.join(enc.field), ...list.map((i) => errSegment(i, enc, old))];
  return lines.join('\r');
}

/** AR for problems with the header, type, event, processing id or version; AE for content; else AA. */
export function ackCodeFor(errors: readonly Hl7Issue[]): AckCode {
  const serious = errors.filter((e) => hasErrors([e]));
  if (serious.length === 0) return 'AA';
  if (serious.some((e) => (e.code >= 200 && e.code <= 206) || e.location?.segment === 'MSH')) return 'AR';
  return 'AE';
}

export interface AcceptResult {
  /** The parsed message, unless it could not be parsed. */
  message?: Hl7Message;
  /** Parse and validation problems (warnings included). */
  errors: ParseError[];
  code: AckCode;
  /** The acknowledgement to send back. */
  ack: string;
}

/**
 * Parse + validate + acknowledge in one step, for receivers (MLLP listener, POST /hl7/v2):
 * when `code` is 'AA' the message can be mapped; otherwise send `ack` and stop.
 */
export function acceptMessage(
  input: Buffer | Uint8Array | string,
  options: ParseOptions & Omit<AckOptions, 'code' | 'errors'> = {},
): AcceptResult {
  let message: Hl7Message;
  try {
    message = parseMessage(input, options);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return { errors: [e], code: 'AR', ack: buildAck(input, { ...options, code: 'AR', errors: [e] }) };
  }
  const errors = validateMessage(message);
  const code = ackCodeFor(errors);
  return { message, errors, code, ack: buildAck(message, { ...options, code, errors }) };
}
