/** Authentication building blocks without a database: passwords, TOTP (RFC 6238 vectors), tokens, SMART scopes. */
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  checkPasswordComplexity,
  hashPassword,
  otpauthUri,
  parseScope,
  scopeAllows,
  scopeCovers,
  signToken,
  totpCode,
  TokenError,
  verifyPassword,
  verifyTotp,
  verifyToken,
  type AccessClaims,
  type Interaction,
} from '../src/platform/auth/index.js';

describe('passwords', () => {
  it('hashes with a per-password salt and verifies in constant time', async () => {
    const a = await hashPassword('Correct#Horse9');
    const b = await hashPassword('Correct#Horse9');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('Correct#Horse9', a)).toBe(true);
    expect(await verifyPassword('Correct#Horse8', a)).toBe(false);
    expect(await verifyPassword('Correct#Horse9', 'garbage')).toBe(false);
  });

  it('applies the 等保 level 3 complexity rule with English and Chinese messages', () => {
    expect(checkPasswordComplexity('Abcdef1!', 'zhang')).toEqual([]);
    expect(checkPasswordComplexity('abcdef12', 'zhang')).toHaveLength(1);
    const short = checkPasswordComplexity('Ab1!', 'zhang');
    expect(short.map((p) => p.code)).toEqual(['too-short']);
    expect(short[0]!.zh).toContain('至少');
    expect(checkPasswordComplexity('abcdefgh12', 'zhang').map((p) => p.code)).toEqual(['too-few-classes']);
    expect(checkPasswordComplexity('Zhang-2026x', 'zhang').map((p) => p.code)).toEqual(['contains-username']);
    expect(checkPasswordComplexity('ABCdef123', 'x1')).toEqual([]);
  });
});

describe('TOTP (RFC 6238, SHA-1)', () => {
  const key = Buffer.from('12345678901234567890');
  // Appendix B: T (seconds) → 8-digit TOTP; the 6-digit code is its last six digits.
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];
  it.each(vectors)('T=%i gives %s', (t, code) => {
    expect(totpCode(key, t * 1000, { digits: 8 })).toBe(code);
    expect(totpCode(key, t * 1000)).toBe(code.slice(2));
  });

  it('accepts ±1 step, rejects further drift and steps already used', () => {
    const secret = base32Encode(key);
    expect(base32Decode(secret)).toEqual(key);
    const t = 1111111111 * 1000;
    const code = totpCode(secret, t);
    const step = Math.floor(t / 30000);
    expect(verifyTotp(secret, code, t)).toBe(step);
    expect(verifyTotp(secret, code, t + 30000)).toBe(step);
    expect(verifyTotp(secret, code, t - 30000)).toBe(step);
    expect(verifyTotp(secret, code, t + 90000)).toBeUndefined();
    expect(verifyTotp(secret, code, t, { lastStep: step })).toBeUndefined();
    expect(verifyTotp(secret, '12345', t)).toBeUndefined();
    expect(otpauthUri(secret, 'zhang', 'Yiwang')).toMatch(
      /^otpauth:\/\/totp\/Yiwang%3Azhang\?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Yiwang/,
    );
  });
});

describe('access tokens (JWS, HMAC-SM3)', () => {
  const key = Buffer.alloc(32, 7);
  const claims: AccessClaims = {
    iss: 'yiwang',
    aud: 'yiwang',
    sub: 'u1',
    tenant: 't',
    roles: ['admin'],
    sid: 's1',
    scope: 'user/*.cruds',
    iat: 1000,
    exp: 1900,
    jti: 'j1',
  };
  const opts = { audience: 'yiwang', issuer: 'yiwang', now: 1500 };
  const problem = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as TokenError).problem;
    }
    return 'accepted';
  };

  it('signs with header alg HSM3 / typ JWT and verifies', () => {
    const token = signToken(claims, key);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'HSM3', typ: 'JWT' });
    expect(verifyToken(token, key, opts)).toEqual(claims);
  });

  it('rejects tampered, wrongly keyed, expired, wrong-audience and malformed tokens', () => {
    const token = signToken(claims, key);
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['admin', 'system'] })).toString('base64url');
    expect(problem(() => verifyToken(`${h}.${forged}.${s}`, key, opts))).toBe('bad-signature');
    expect(problem(() => verifyToken(token, Buffer.alloc(32, 8), opts))).toBe('bad-signature');
    expect(problem(() => verifyToken(token, key, { ...opts, now: 1900 }))).toBe('expired');
    expect(problem(() => verifyToken(signToken({ ...claims, aud: 'other' }, key), key, opts))).toBe('wrong-audience');
    expect(problem(() => verifyToken('abc', key, opts))).toBe('malformed');
    expect(problem(() => verifyToken('a.b.c', key, opts))).toBe('malformed');
    const none = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url');
    expect(problem(() => verifyToken(`${none}.${token.split('.')[1]}.`, key, opts))).toBe('malformed');
  });
});

describe('SMART scopes', () => {
  it('parses v1 and v2 forms', () => {
    expect(parseScope('user/Observation.read')).toMatchObject({ context: 'user', resourceType: 'Observation', version: 1 });
    expect([...parseScope('user/Observation.read')!.interactions].sort()).toEqual(['read', 'search']);
    expect([...parseScope('system/*.write')!.interactions].sort()).toEqual(['create', 'delete', 'update']);
    expect(parseScope('user/*.*')!.interactions.size).toBe(5);
    expect([...parseScope('patient/Observation.rs')!.interactions]).toEqual(['read', 'search']);
    expect(parseScope('system/*.cruds')!.version).toBe(2);
    expect(parseScope('patient/Observation.rs?category=laboratory')).toMatchObject({ query: 'category=laboratory' });
    for (const bad of [
      'openid',
      'user/Observation',
      'user/Observation.sr',
      'user/Observation.rr',
      'admin/*.read',
      'user/observation.read',
      'user/*.read?x=1',
    ]) {
      expect(parseScope(bad), bad).toBeUndefined();
    }
  });

  const table: [string[], string, Interaction, boolean][] = [
    [['user/Observation.read'], 'Observation', 'read', true],
    [['user/Observation.read'], 'Observation', 'search', true],
    [['user/Observation.read'], 'Observation', 'create', false],
    [['user/Observation.read'], 'Patient', 'read', false],
    [['patient/*.read'], 'Condition', 'search', true],
    [['patient/*.read'], 'Condition', 'update', false],
    [['system/*.write'], 'Encounter', 'create', true],
    [['system/*.write'], 'Encounter', 'delete', true],
    [['system/*.write'], 'Encounter', 'read', false],
    [['user/*.*'], 'MedicationRequest', 'delete', true],
    [['user/Observation.rs'], 'Observation', 'search', true],
    [['user/Observation.rs'], 'Observation', 'update', false],
    [['system/*.cruds'], 'Patient', 'update', true],
    [['system/Patient.cu'], 'Patient', 'read', false],
    [['system/Patient.cu'], 'Patient', 'update', true],
    [['openid', 'launch'], 'Patient', 'read', false],
    [[], 'Patient', 'read', false],
    [['user/Patient.r', 'user/Observation.s'], 'Observation', 'search', true],
  ];
  it.each(table)('%j on %s %s → %s', (scopes, type, interaction, expected) => {
    expect(scopeAllows(scopes, type, interaction)).toBe(expected);
  });

  it('checks requested scopes against granted ones', () => {
    expect(scopeCovers(['system/*.cruds'], 'system/Observation.rs')).toBe(true);
    expect(scopeCovers(['system/Observation.rs'], 'system/Observation.cruds')).toBe(false);
    expect(scopeCovers(['system/*.read'], 'user/Observation.read')).toBe(false);
  });
});
