/**
 * Access tokens: compact JWS (RFC 7515) signed with HMAC-SM3, header `{"alg":"HSM3","typ":"JWT"}`.
 * HSM3 is not a registered JOSE algorithm; it names HMAC-SM3 (商用密码) the way HS256 names HMAC-SHA-256.
 */
import { hmacSm3, constantTimeEqual } from '../crypto/sm3.js';

export const TOKEN_ALG = 'HSM3';

export interface AccessClaims {
  iss: string;
  aud: string | string[];
  sub: string;
  tenant: string;
  roles: string[];
  sid: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
}

export type TokenProblem = 'malformed' | 'bad-signature' | 'wrong-audience' | 'wrong-issuer' | 'expired' | 'not-yet-valid';

export class TokenError extends Error {
  constructor(
    readonly problem: TokenProblem,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function signToken(claims: AccessClaims, key: Uint8Array, keyId?: string): string {
  const header = keyId ? { alg: TOKEN_ALG, typ: 'JWT', kid: keyId } : { alg: TOKEN_ALG, typ: 'JWT' };
  const input = `${b64json(header)}.${b64json(claims)}`;
  return `${input}.${hmacSm3(key, input).toString('base64url')}`;
}

const PART = /^[A-Za-z0-9_-]+$/;

function decodePart(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new TokenError('malformed', `token ${what} is not a JSON object`);
}

export interface VerifyOptions {
  audience: string;
  issuer: string;
  /** Seconds since the epoch. */
  now: number;
  /** Allowed clock skew for iat (seconds, default 60). */
  skew?: number;
}

/** Verifies signature, then audience, issuer and lifetime; returns the claims or throws TokenError. */
export function verifyToken(token: string, key: Uint8Array, options: VerifyOptions): AccessClaims {
  if (typeof token !== 'string' || token.length > 8192) throw new TokenError('malformed', 'token is not a compact JWS');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) throw new TokenError('malformed', 'token is not a compact JWS');
  const [h, p, s] = parts as [string, string, string];
  const header = decodePart(h, 'header');
  if (header.alg !== TOKEN_ALG || header.typ !== 'JWT') throw new TokenError('malformed', `token algorithm must be ${TOKEN_ALG}`);
  const expected = hmacSm3(key, `${h}.${p}`);
  if (!constantTimeEqual(expected, Buffer.from(s, 'base64url'))) throw new TokenError('bad-signature', 'token signature is invalid');
  const c = decodePart(p, 'payload');
  const strings = ['iss', 'sub', 'tenant', 'sid', 'scope', 'jti'] as const;
  if (
    !strings.every((k) => typeof c[k] === 'string') ||
    typeof c.iat !== 'number' ||
    typeof c.exp !== 'number' ||
    !Array.isArray(c.roles) ||
    !c.roles.every((r) => typeof r === 'string')
  ) {
    throw new TokenError('malformed', 'token claims are incomplete');
  }
  const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
  if (!aud.includes(options.audience)) throw new TokenError('wrong-audience', 'token is not meant for this service (audience)');
  if (c.iss !== options.issuer) throw new TokenError('wrong-issuer', 'token was issued by someone else');
  if (c.exp <= options.now) throw new TokenError('expired', 'token has expired');
  if (c.iat > options.now + (options.skew ?? 60)) throw new TokenError('not-yet-valid', 'token is issued in the future');
  return c as unknown as AccessClaims;
}
