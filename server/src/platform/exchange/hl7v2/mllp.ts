/**
 * MLLP (Minimal Lower Layer Protocol) framing: <VT 0x0B> message <FS 0x1C><CR 0x0D>.
 * `MllpDecoder` is a push parser for TCP data: chunks may split a frame anywhere or carry several
 * frames; bytes outside frames are reported as garbage rather than silently dropped.
 */
import { encodeText } from './encoding.js';

export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;

/** Frames a message. Strings are encoded in `charset` (MSH-18 value or iconv name; default UTF-8). */
export function mllpEncode(message: string | Buffer | Uint8Array, charset = 'utf-8'): Buffer {
  const body =
    typeof message === 'string' ? encodeText(message, charset) : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const out = Buffer.allocUnsafe(body.length + 3);
  out[0] = MLLP_START;
  body.copy(out, 1);
  out[body.length + 1] = MLLP_END;
  out[body.length + 2] = MLLP_CR;
  return out;
}

export type MllpEvent =
  | { type: 'message'; payload: Buffer }
  | {
      type: 'garbage';
      bytes: Buffer;
      /** outside-frame: bytes between frames; unterminated: a frame cut by a new start block or the end of the stream; too-large: a frame over `maxFrameBytes` (discarded up to the next start block). */
      reason: 'outside-frame' | 'unterminated' | 'too-large';
    };

export interface MllpDecoderOptions {
  /** Largest accepted frame; default 16 MiB. */
  maxFrameBytes?: number;
  /** Accept FS not followed by CR as the end of a frame (some senders omit the CR). Default true. */
  lenientEnd?: boolean;
}

export class MllpDecoder {
  private readonly maxFrameBytes: number;
  private readonly lenientEnd: boolean;
  /** Bytes of the current frame (after VT), or of garbage when outside a frame. */
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  /** A frame grew too large: skip until the next start block. */
  private skipping = false;
  /** The previous chunk ended with FS inside a frame; the next byte decides. */
  private pendingEnd = false;

  constructor(options: MllpDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 16 * 1024 * 1024;
    this.lenientEnd = options.lenientEnd ?? true;
  }

  /** Feeds a chunk; returns complete messages and garbage found so far, in stream order. */
  push(chunk: Buffer | Uint8Array): MllpEvent[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const events: MllpEvent[] = [];
    let i = 0;
    if (this.pendingEnd && buf.length > 0) {
      this.pendingEnd = false;
      if (buf[0] === MLLP_CR) {
        this.emitFrame(events);
        i = 1;
      } else if (this.lenientEnd) {
        this.emitFrame(events);
      } else {
        this.append(Buffer.from([MLLP_END]), events);
      }
    }
    while (i < buf.length) {
      if (!this.inFrame) {
        const start = buf.indexOf(MLLP_START, i);
        const end = start < 0 ? buf.length : start;
        if (end > i && !this.skipping) this.appendGarbage(buf.subarray(i, end));
        if (start < 0) break;
        this.flushGarbage(events);
        this.skipping = false;
        this.inFrame = true;
        i = start + 1;
        continue;
      }
      const fs = buf.indexOf(MLLP_END, i);
      const vt = buf.indexOf(MLLP_START, i);
      if (vt >= 0 && (fs < 0 || vt < fs)) {
        // A new start block before the end of this frame: the frame is cut.
        if (this.append(buf.subarray(i, vt), events)) this.emitGarbage(events, 'unterminated');
        this.inFrame = false;
        i = vt; // continue outside a frame, at the new start block
        continue;
      }
      if (fs < 0) {
        this.append(buf.subarray(i), events);
        break;
      }
      if (!this.append(buf.subarray(i, fs), events)) {
        i = fs + 1; // too large: skipping up to the next start block
        continue;
      }
      if (fs + 1 >= buf.length) {
        this.pendingEnd = true;
        break;
      }
      if (buf[fs + 1] === MLLP_CR) {
        this.emitFrame(events);
        i = fs + 2;
      } else if (this.lenientEnd) {
        this.emitFrame(events);
        i = fs + 1;
      } else {
        this.append(buf.subarray(fs, fs + 1), events);
        i = fs + 1;
      }
    }
    if (!this.inFrame) this.flushGarbage(events);
    return events;
  }

  /** End of stream: an unfinished frame (or trailing garbage) is reported. */
  end(): MllpEvent[] {
    const events: MllpEvent[] = [];
    if (this.pendingEnd) {
      this.pendingEnd = false;
      if (this.lenientEnd) this.emitFrame(events);
      else this.append(Buffer.from([MLLP_END]), events);
    }
    if (this.inFrame) {
      this.emitGarbage(events, 'unterminated');
      this.inFrame = false;
    }
    this.skipping = false;
    this.flushGarbage(events);
    this.reset();
    return events;
  }

  /** Bytes held for an unfinished frame. */
  get buffered(): number {
    return this.size;
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
  }

  /** Adds bytes to the current frame; false when the frame became too large (and was dropped). */
  private append(bytes: Buffer, events: MllpEvent[]): boolean {
    if (this.skipping) return false;
    if (bytes.length === 0) return true;
    this.parts.push(Buffer.from(bytes)); // copy: callers may reuse their chunk buffers
    this.size += bytes.length;
    if (this.size > this.maxFrameBytes) {
      this.emitGarbage(events, 'too-large');
      this.inFrame = false;
      this.skipping = true;
      return false;
    }
    return true;
  }

  private emitFrame(events: MllpEvent[]): void {
    events.push({ type: 'message', payload: Buffer.concat(this.parts, this.size) });
    this.reset();
    this.inFrame = false;
  }

  private emitGarbage(events: MllpEvent[], reason: 'unterminated' | 'too-large'): void {
    events.push({ type: 'garbage', bytes: Buffer.concat(this.parts, this.size), reason });
    this.reset();
  }

  // Stray bytes outside frames are reported when the next frame starts or at the end of a push.
  private garbage: Buffer[] = [];
  private appendGarbage(bytes: Buffer): void {
    this.garbage.push(Buffer.from(bytes));
  }

  private flushGarbage(events: MllpEvent[]): void {
    if (this.garbage.length === 0) return;
    events.push({ type: 'garbage', bytes: Buffer.concat(this.garbage), reason: 'outside-frame' });
    this.garbage = [];
  }
}
