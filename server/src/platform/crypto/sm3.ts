/**
 * SM3 hash (GB/T 32905-2016) and HMAC-SM3 from Node's OpenSSL build, plus a constant-time comparison.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type BinaryLike = string | Uint8Array;

/** SM3 digest (32 bytes). Strings are hashed as UTF-8. */
export function sm3(data: BinaryLike): Buffer {
  return createHash('sm3').update(data).digest();
}

export function sm3Hex(data: BinaryLike): string {
  return createHash('sm3').update(data).digest('hex');
}

/** HMAC-SM3 (RFC 2104 construction with SM3, 32-byte tag). */
export function hmacSm3(key: Uint8Array, ...parts: BinaryLike[]): Buffer {
  const h = createHmac('sm3', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Constant-time equality of two byte strings (false, still without early exit on content, when lengths differ). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    // Compare against itself to spend comparable time, then fail.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Derives a sub-key from a master secret: HMAC-SM3(master, "yiwang/" + purpose), truncated to `length` bytes
 * (at most 32). Keeps encryption, MAC and blind-index keys independent even when derived from one secret.
 */
export function deriveKey(master: Uint8Array, purpose: string, length = 32): Buffer {
  if (length > 32) throw new Error('deriveKey: at most 32 bytes');
  return hmacSm3(master, `yiwang/${purpose}`).subarray(0, length);
}
