/**
 * HL7 v2 (ER7, "pipe and hat") parser: bytes or text → `Hl7Message`, and batch/file envelopes
 * (FHS/BHS … BTS/FTS) → messages. Structural problems throw `ParseError`; content checks are in
 * validate.ts.
 *
 * Bytes are decoded by MSH-18 read from the raw bytes first (delimiters are ASCII, so the header is
 * readable before decoding). Without MSH-18 (or with 'ASCII', which many senders claim while sending
 * something else) the bytes are read as UTF-8 when they are valid UTF-8, otherwise in
 * `defaultCharset` (GB18030, the usual encoding of Chinese HIS/LIS systems that do not say).
 */
import {
  checkEncodingCharacters,
  charsetFromMsh18,
  decodeBytes,
  encodingFromMsh,
  isValidUtf8,
  stripBom,
  type EncodingCharacters,
} from './encoding.js';
import { ParseError } from './errors.js';
import { Hl7Message, Hl7Segment, parseSegment, type ValueContext } from './message.js';

export interface ParseOptions {
  /** iconv name used when MSH-18 is absent/ASCII and the bytes are not valid UTF-8. Default 'gb18030'. */
  defaultCharset?: string;
}

export interface DecodedInput {
  text: string;
  /** iconv name the text was decoded with. */
  charset: string;
  /** MSH-18 as found in the input ('' when absent). */
  declaredCharset: string;
}

const SEGMENT_ID = /^[A-Z][A-Z0-9]{2}$/;
const BATCH_SEGMENTS = new Set(['FHS', 'BHS', 'BTS', 'FTS']);

/** Splits text into segment lines on CR, LF or CRLF; blank lines are dropped. */
export function splitSegments(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');
}

/** Removes MLLP framing bytes and a BOM that may surround a message posted as it came off the wire. */
function stripFraming(text: string): string {
  let t = text;
  if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
  if (t.charCodeAt(0) === 0x0b) t = t.slice(1);
  t = t.replace(/\x1c\r?$/, '');
  return t;
}

/** Reads MSH-18 (first repetition, first component) from a raw MSH line. */
function msh18Of(line: string): string {
  const fieldSep = line[3];
  if (!fieldSep) return '';
  const parts = line.split(fieldSep);
  // parts[1] is MSH-2, so MSH-n is parts[n-1].
  const msh2 = parts[1] ?? '';
  const raw = parts[17] ?? '';
  const rep = msh2[1] ? raw.split(msh2[1])[0]! : raw;
  return (msh2[0] ? rep.split(msh2[0])[0]! : rep).trim();
}

function firstMshLine(text: string): string | undefined {
  for (const line of text.split(/\r\n|\r|\n/)) {
    const l = line.replace(/^[\ufeff\x0b]/, '');
    if (l.startsWith('MSH')) return l;
  }
  return undefined;
}

/** Decodes input bytes following MSH-18 (see the module comment); strings only lose their BOM. */
export function decodeInput(input: Buffer | Uint8Array | string, options: ParseOptions = {}): DecodedInput {
  if (typeof input === 'string') {
    const text = stripFraming(input);
    const declared = msh18Of(firstMshLine(text) ?? '');
    const cs = charsetFromMsh18(declared);
    return { text, charset: cs && cs !== 'ascii' ? cs : 'utf-8', declaredCharset: declared };
  }
  const bytes = stripBom(Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  const latin = bytes.toString('latin1');
  const mshLine = firstMshLine(latin);
  let declared = mshLine ? msh18Of(mshLine) : '';
  let charset = charsetFromMsh18(declared);
  if (declared && !charset && mshLine) {
    // A GB18030 trail byte equal to a delimiter in MSH-3…17 shifts the fields of the byte view;
    // read the header again from its GB18030 decoding.
    const again = msh18Of(decodeBytes(Buffer.from(mshLine, 'latin1'), 'gb18030'));
    if (charsetFromMsh18(again)) {
      declared = again;
      charset = charsetFromMsh18(again);
    }
  }
  if (!charset || charset === 'ascii') charset = isValidUtf8(bytes) ? 'utf-8' : (options.defaultCharset ?? 'gb18030');
  return { text: stripFraming(decodeBytes(bytes, charset)), charset, declaredCharset: declared };
}

function segmentName(line: string, fieldSep: string): string {
  const i = line.indexOf(fieldSep);
  return i < 0 ? line : line.slice(0, i);
}

/** Reads the encoding characters of an MSH/FHS/BHS line, throwing a precise error when broken. */
export function headerEncoding(line: string, segment: string): EncodingCharacters {
  const fieldSep = line.charAt(3);
  if (fieldSep === '') throw new ParseError(101, `${segment}-1 (field separator) is missing`, { segment, sequence: 1, field: 1 });
  const end = line.indexOf(fieldSep, 4);
  const msh2 = end < 0 ? line.slice(4) : line.slice(4, end);
  const problem = checkEncodingCharacters(fieldSep, msh2);
  if (problem) {
    const field = problem.includes('MSH-1') ? 1 : 2;
    throw new ParseError(102, problem.replace(/MSH-/g, `${segment}-`), { segment, sequence: 1, field });
  }
  return encodingFromMsh(fieldSep, msh2);
}

/** Builds a message from its segment lines (the first must be MSH). */
function buildMessage(lines: string[], decoded: DecodedInput): Hl7Message {
  const first = lines[0];
  if (first === undefined) throw new ParseError(100, 'Empty message: MSH segment missing', { segment: 'MSH', sequence: 1 });
  if (!first.startsWith('MSH')) {
    const name = first.slice(0, 3);
    const hint = BATCH_SEGMENTS.has(name) ? ` (${name} starts a batch; use parseBatch)` : '';
    throw new ParseError(100, `Message must begin with MSH, found '${printableStart(first)}'${hint}`, { segment: 'MSH', sequence: 1 });
  }
  const enc = headerEncoding(first, 'MSH');
  const ctx: ValueContext = { encoding: enc, charset: decoded.charset };
  const counts = new Map<string, number>();
  const segments: Hl7Segment[] = [];
  lines.forEach((line, i) => {
    const name = segmentName(line, enc.field);
    if (!SEGMENT_ID.test(name)) {
      throw new ParseError(100, `Segment ${i + 1} has an invalid segment id '${printableStart(name)}'`, {
        segment: SEGMENT_ID.test(name.slice(0, 3)) ? name.slice(0, 3) : 'UNK',
        sequence: i + 1,
      });
    }
    if (i > 0 && (name === 'MSH' || BATCH_SEGMENTS.has(name))) {
      throw new ParseError(
        100,
        `Unexpected ${name} at segment ${i + 1}: the input holds more than one message or a batch envelope (use parseBatch)`,
        { segment: name, sequence: (counts.get(name) ?? 0) + 1 },
      );
    }
    const occurrence = (counts.get(name) ?? 0) + 1;
    counts.set(name, occurrence);
    segments.push(parseSegment(line, ctx, i + 1, occurrence));
  });
  return new Hl7Message(segments, enc, decoded.charset, decoded.declaredCharset);
}

function printableStart(s: string): string {
  const t = s.slice(0, 20).replace(/[\x00-\x1f\x7f]/g, '?');
  return s.length > 20 ? `${t}…` : t;
}

/** Parses exactly one message. Throws `ParseError` (code from table 0357) when it is malformed. */
export function parseMessage(input: Buffer | Uint8Array | string, options: ParseOptions = {}): Hl7Message {
  const decoded = decodeInput(input, options);
  return buildMessage(splitSegments(decoded.text), decoded);
}

export interface Hl7Batch {
  /** FHS segment of a file, when present. */
  fileHeader?: Hl7Segment;
  fileTrailer?: Hl7Segment;
  batches: Array<{ header?: Hl7Segment; trailer?: Hl7Segment; messages: Hl7Message[] }>;
  /** All messages of all batches, in order. */
  messages: Hl7Message[];
}

/**
 * Parses a file/batch (FHS? {BHS? {MSH…} BTS?} FTS?) or simply several messages in a row; a single
 * message is a batch of one. Missing trailers (BTS, FTS) are tolerated; a header inside an open batch
 * or file, segments outside a message and wrong BTS-1/FTS-1 counts are errors (code 100).
 */
export function parseBatch(input: Buffer | Uint8Array | string, options: ParseOptions = {}): Hl7Batch {
  const decoded = decodeInput(input, options);
  const lines = splitSegments(decoded.text);
  const result: Hl7Batch = { batches: [], messages: [] };
  type Batch = Hl7Batch['batches'][number];
  let batch: Batch | undefined;
  let batchOpen = false; // an explicit BHS without its BTS yet
  let msgLines: string[] | undefined;
  let msgStart = 0;
  let fileClosed = false;
  let headerEnc: EncodingCharacters | undefined;

  const flushMessage = (): void => {
    if (!msgLines) return;
    let msg: Hl7Message;
    try {
      msg = buildMessage(msgLines, decoded);
    } catch (e) {
      if (e instanceof ParseError) {
        throw new ParseError(e.code, `message ${result.messages.length + 1} (line ${msgStart}): ${e.detail}`, e.location, e.severity);
      }
      throw e;
    }
    if (!batch) {
      batch = { messages: [] };
      result.batches.push(batch);
    }
    batch.messages.push(msg);
    result.messages.push(msg);
    msgLines = undefined;
  };
  const envelope = (line: string, name: string, n: number): Hl7Segment => {
    const enc = name === 'FHS' || name === 'BHS' ? headerEncoding(line, name) : (headerEnc ?? encodingOf(lines));
    if (name === 'FHS' || name === 'BHS') headerEnc = enc;
    return parseSegment(line, { encoding: enc, charset: decoded.charset }, n, 1);
  };
  const checkCount = (seg: Hl7Segment, actual: number, what: string): void => {
    const declared = seg.get(1).trim();
    if (declared !== '' && (!/^\d+$/.test(declared) || parseInt(declared, 10) !== actual)) {
      throw new ParseError(100, `${seg.name}-1 declares ${declared} ${what} but ${actual} were found`, {
        segment: seg.name,
        sequence: 1,
        field: 1,
      });
    }
  };

  lines.forEach((line, i) => {
    const n = i + 1;
    const name = line.slice(0, 3);
    if (fileClosed) throw new ParseError(100, `Segment '${printableStart(line)}' after FTS (line ${n})`, { segment: 'FTS', sequence: 1 });
    switch (name) {
      case 'FHS':
        if (i !== 0)
          throw new ParseError(100, `FHS must be the first segment of a file (found at line ${n})`, { segment: 'FHS', sequence: 1 });
        result.fileHeader = envelope(line, name, n);
        return;
      case 'BHS':
        flushMessage();
        if (batchOpen)
          throw new ParseError(100, `BHS at line ${n} before the BTS of the previous batch`, {
            segment: 'BHS',
            sequence: result.batches.length + 1,
          });
        batch = { header: envelope(line, name, n), messages: [] };
        result.batches.push(batch);
        batchOpen = true;
        return;
      case 'BTS': {
        flushMessage();
        const trailer = envelope(line, name, n);
        if (!batch) {
          batch = { messages: [] };
          result.batches.push(batch);
        }
        batch.trailer = trailer;
        checkCount(trailer, batch.messages.length, 'messages');
        batch = undefined;
        batchOpen = false;
        return;
      }
      case 'FTS': {
        flushMessage();
        const trailer = envelope(line, name, n);
        // A missing BTS is tolerated: FTS closes the open batch too.
        batch = undefined;
        batchOpen = false;
        result.fileTrailer = trailer;
        checkCount(trailer, result.batches.length, 'batches');
        fileClosed = true;
        return;
      }
      case 'MSH':
        flushMessage();
        msgLines = [line];
        msgStart = n;
        return;
      default:
        if (!msgLines) {
          const seg = SEGMENT_ID.test(name) ? name : 'UNK';
          throw new ParseError(100, `Segment '${printableStart(line)}' at line ${n} is outside a message (no MSH before it)`, {
            segment: seg,
            sequence: 1,
          });
        }
        msgLines.push(line);
    }
  });
  flushMessage();
  return result;
}

function encodingOf(lines: string[]): EncodingCharacters {
  const header = lines.find((l) => l.startsWith('MSH') || l.startsWith('FHS') || l.startsWith('BHS'));
  return header
    ? headerEncoding(header, header.slice(0, 3))
    : { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' };
}
