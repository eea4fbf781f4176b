/**
 * Delimiters (MSH-1/MSH-2), escape sequences and character sets (MSH-18) of HL7 v2.
 */
import iconv from 'iconv-lite';

/** The five (optionally six) encoding characters of a message. */
export interface EncodingCharacters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** v2.7+ truncation character (5th character of MSH-2), when present. */
  truncation?: string;
}

export const DEFAULT_ENCODING: Readonly<EncodingCharacters> = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
});

/** MSH-2 text for the given encoding characters. */
export function encodingCharactersText(enc: EncodingCharacters): string {
  return enc.component + enc.repetition + enc.escape + enc.subcomponent + (enc.truncation ?? '');
}

/**
 * Checks MSH-1/MSH-2 and returns a description of what is wrong, or undefined when they are valid.
 * Rules: 4 (or 5, with the v2.7 truncation character) distinct characters after the field separator,
 * none of them alphanumeric, whitespace or a segment terminator.
 */
export function checkEncodingCharacters(fieldSep: string, msh2: string): string | undefined {
  if (fieldSep.length !== 1) return 'missing field separator (MSH-1)';
  if (!isDelimiterChar(fieldSep)) return `invalid field separator '${printable(fieldSep)}' (MSH-1)`;
  if (msh2.length < 4) return `MSH-2 must hold 4 encoding characters (component, repetition, escape, subcomponent); got '${msh2}'`;
  if (msh2.length > 5) return `MSH-2 must hold 4 (or 5 with truncation) encoding characters; got '${msh2}'`;
  const all = fieldSep + msh2;
  for (const ch of msh2) {
    if (!isDelimiterChar(ch)) return `invalid encoding character '${printable(ch)}' in MSH-2`;
  }
  if (new Set(all).size !== all.length) return `encoding characters must be distinct; got '${all}'`;
  return undefined;
}

function isDelimiterChar(ch: string): boolean {
  return ch.length === 1 && !/[A-Za-z0-9\s]/.test(ch) && ch.charCodeAt(0) >= 0x21 && ch.charCodeAt(0) < 0x7f;
}

function printable(ch: string): string {
  return ch.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function encodingFromMsh(fieldSep: string, msh2: string): EncodingCharacters {
  return {
    field: fieldSep,
    component: msh2[0]!,
    repetition: msh2[1]!,
    escape: msh2[2]!,
    subcomponent: msh2[3]!,
    ...(msh2.length > 4 ? { truncation: msh2[4]! } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Escape sequences
// ---------------------------------------------------------------------------------------------

/**
 * Decodes HL7 escape sequences in a leaf value:
 * \F\ \S\ \T\ \R\ \E\ \P\ → delimiters; \Xhh…\ → bytes in the message character set;
 * \.br\ and \.sp n\ → line breaks; \H\ \N\ \.in\ \.ti\ \.fi\ \.nf\ \.ce\ \.sk n\ (formatting) and
 * \Cxxyy\ \Mxxyyzz\ (ISO 2022 switching) are dropped; \Zxx\ (local) and malformed sequences are
 * kept as they are.
 */
export function unescapeValue(value: string, enc: EncodingCharacters, charset = 'utf-8'): string {
  const esc = enc.escape;
  if (!esc || value.indexOf(esc) < 0) return value;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf(esc, i);
    if (start < 0) {
      out += value.slice(i);
      break;
    }
    out += value.slice(i, start);
    const end = value.indexOf(esc, start + 1);
    if (end < 0) {
      out += value.slice(start);
      break;
    }
    const body = value.slice(start + 1, end);
    const decoded = decodeEscape(body, enc, charset);
    if (decoded === undefined) {
      // Not an escape sequence: keep the escape character and continue after it.
      out += esc;
      i = start + 1;
      continue;
    }
    out += decoded;
    i = end + 1;
  }
  return out;
}

function decodeEscape(body: string, enc: EncodingCharacters, charset: string): string | undefined {
  switch (body) {
    case 'F':
      return enc.field;
    case 'S':
      return enc.component;
    case 'T':
      return enc.subcomponent;
    case 'R':
      return enc.repetition;
    case 'E':
      return enc.escape;
    case 'P':
      return enc.truncation ?? '#';
    case 'H':
    case 'N':
      return '';
    case '.br':
      return '\n';
  }
  if (body === '') return undefined;
  const kind = body[0];
  if (kind === 'X' || kind === 'x') {
    const hex = body.slice(1);
    if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
    return decodeBytes(Buffer.from(hex, 'hex'), charset);
  }
  if (kind === 'Z') return `${enc.escape}${body}${enc.escape}`;
  if ((kind === 'C' && /^C[0-9A-Fa-f]{4}$/.test(body)) || (kind === 'M' && /^M[0-9A-Fa-f]{4}([0-9A-Fa-f]{2})?$/.test(body))) return '';
  const fmt = /^\.(sp|in|ti|fi|nf|ce|sk)(?:\s*([+-]?\d+))?$/.exec(body);
  if (fmt) {
    const n = fmt[2] ? Math.max(0, parseInt(fmt[2], 10)) : 1;
    if (fmt[1] === 'sp') return '\n'.repeat(Math.min(n, 100));
    if (fmt[1] === 'sk') return ' '.repeat(Math.min(n, 100));
    return '';
  }
  return undefined;
}

/** Escapes delimiters and line breaks so that `value` can be placed in a leaf of a message. */
export function escapeValue(value: string, enc: EncodingCharacters = DEFAULT_ENCODING): string {
  let out = '';
  for (const ch of value) {
    if (ch === enc.escape) out += `${enc.escape}E${enc.escape}`;
    else if (ch === enc.field) out += `${enc.escape}F${enc.escape}`;
    else if (ch === enc.component) out += `${enc.escape}S${enc.escape}`;
    else if (ch === enc.subcomponent) out += `${enc.escape}T${enc.escape}`;
    else if (ch === enc.repetition) out += `${enc.escape}R${enc.escape}`;
    else if (enc.truncation && ch === enc.truncation) out += `${enc.escape}P${enc.escape}`;
    else if (ch === '\r') out += `${enc.escape}X0D${enc.escape}`;
    else if (ch === '\n') out += `${enc.escape}.br${enc.escape}`;
    else out += ch;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Character sets (MSH-18, HL7 table 0211)
// ---------------------------------------------------------------------------------------------

/** iconv-lite names of the character sets we decode; `undefined` when not supported. */
export function charsetFromMsh18(value: string): string | undefined {
  const v = value
    .trim()
    .toUpperCase()
    .replace(/[\s_]+/g, ' ');
  if (v === '') return undefined;
  const compact = v.replace(/[\s-]/g, '');
  if (compact === 'ASCII' || compact === 'USASCII') return 'ascii';
  if (['UNICODEUTF8', 'UTF8', 'UNICODE UTF8'].includes(compact)) return 'utf-8';
  if (/^GB18030(2000|2005|2022)?$/.test(compact) || compact === 'GBK' || compact === 'GB2312' || compact === 'CP936') return 'gb18030';
  const latin = /^8859\/(\d{1,2})$/.exec(v.replace(/\s/g, ''));
  if (latin) {
    const name = `iso-8859-${latin[1]}`;
    return iconv.encodingExists(name) ? name : undefined;
  }
  if (compact === 'ISO88591' || compact === 'LATIN1') return 'iso-8859-1';
  if (compact === 'BIG5') return 'big5';
  return undefined;
}

/** Decodes bytes in the given charset; 'ascii' decodes as UTF-8 (senders that claim ASCII often are not). */
export function decodeBytes(bytes: Buffer, charset: string): string {
  const cs = charset.toLowerCase();
  if (cs === 'utf-8' || cs === 'utf8' || cs === 'ascii') return bytes.toString('utf8');
  return iconv.decode(bytes, cs);
}

/** Encodes a message text for sending in the given charset (MSH-18 value or iconv name). */
export function encodeText(text: string, charset = 'utf-8'): Buffer {
  const cs = charsetFromMsh18(charset) ?? charset.toLowerCase();
  if (cs === 'utf-8' || cs === 'utf8' || cs === 'ascii') return Buffer.from(text, 'utf8');
  return iconv.encode(text, cs);
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    utf8Fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function stripBom(bytes: Buffer): Buffer {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}
