/**
 * TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, 30-second steps, 6 digits, accepting ±1 step of clock drift.
 * SHA-1 is what authenticator apps implement; HMAC-SHA-1 remains sound as a PRF for this use.
 * Replay (the same code twice) is prevented by the caller storing the last accepted step.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TotpOptions {
  /** Seconds per step (default 30). */
  period?: number;
  /** Code length (default 6). */
  digits?: number;
  /** Steps of drift accepted either side (default 1). */
  window?: number;
  algorithm?: 'sha1' | 'sha256' | 'sha512';
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const i = B32.indexOf(ch);
    if (i < 0) throw new Error('TOTP secret is not base32');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A new random secret (20 bytes, as RFC 4226 recommends), base32 for authenticator apps. */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** HOTP value for a counter (RFC 4226 dynamic truncation). */
export function hotp(key: Uint8Array, counter: number, digits = 6, algorithm: TotpOptions['algorithm'] = 'sha1'): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  const bin = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

export function totpStep(time: Date | number, period = 30): number {
  const ms = typeof time === 'number' ? time : time.getTime();
  return Math.floor(ms / 1000 / period);
}

/** The code for a moment (key as raw bytes or a base32 secret). */
export function totpCode(key: Uint8Array | string, time: Date | number, options: TotpOptions = {}): string {
  const raw = typeof key === 'string' ? base32Decode(key) : key;
  return hotp(raw, totpStep(time, options.period ?? 30), options.digits ?? 6, options.algorithm ?? 'sha1');
}

/**
 * Checks a code against the steps around `time`; returns the matching step (to be stored against replay), or
 * undefined. Steps at or before `lastStep` are never accepted.
 */
export function verifyTotp(
  key: Uint8Array | string,
  code: string,
  time: Date | number,
  options: TotpOptions & { lastStep?: number } = {},
): number | undefined {
  const digits = options.digits ?? 6;
  if (typeof code !== 'string' || !new RegExp(`^\\d{${digits}}$`).test(code)) return undefined;
  const raw = typeof key === 'string' ? base32Decode(key) : key;
  const current = totpStep(time, options.period ?? 30);
  const window = options.window ?? 1;
  let found: number | undefined;
  for (let step = current - window; step <= current + window; step++) {
    if (options.lastStep !== undefined && step <= options.lastStep) continue;
    const expected = hotp(raw, step, digits, options.algorithm ?? 'sha1');
    // Compare every candidate (no early exit) so timing does not reveal which step matched.
    if (timingSafeEqual(Buffer.from(expected), Buffer.from(code)) && found === undefined) found = step;
  }
  return found;
}

/** otpauth:// URI for QR codes (Key Uri Format of Google Authenticator). */
export function otpauthUri(secret: string, account: string, issuer: string, options: TotpOptions = {}): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  const params = new URLSearchParams({
    secret,
    issuer,
    algorithm: (options.algorithm ?? 'sha1').toUpperCase(),
    digits: String(options.digits ?? 6),
    period: String(options.period ?? 30),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}
