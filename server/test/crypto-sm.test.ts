import { createCipheriv } from 'node:crypto';
import smCrypto from 'sm-crypto';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, deriveKey, hmacSm3, sm3, sm3Hex } from '../src/platform/crypto/index.js';

describe('SM3 (GB/T 32905-2016)', () => {
  it('matches the standard example A.1: "abc"', () => {
    expect(sm3Hex('abc')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });

  it('matches the standard example A.2: "abcd" × 16 (512 bits, two blocks after padding)', () => {
    expect(sm3Hex('abcd'.repeat(16))).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  });

  it('hashes strings as UTF-8 and bytes as given', () => {
    expect(sm3('健康').equals(sm3(Buffer.from('健康', 'utf8')))).toBe(true);
    expect(sm3('')).toHaveLength(32);
    expect(sm3Hex('健康')).toBe(smCrypto.sm3('健康'));
  });

  it('HMAC-SM3 agrees with an independent implementation (sm-crypto)', () => {
    for (const [key, msg] of [
      ['00112233445566778899aabbccddeeff', 'abc'],
      ['0b'.repeat(20), 'Hi There'],
      ['aa'.repeat(131), '居民健康档案'],
    ] as const) {
      expect(hmacSm3(Buffer.from(key, 'hex'), msg).toString('hex')).toBe(smCrypto.sm3(msg, { key }));
    }
  });

  it('HMAC over several parts equals HMAC over their concatenation', () => {
    const k = Buffer.alloc(32, 7);
    expect(hmacSm3(k, 'ab', 'c').equals(hmacSm3(k, 'abc'))).toBe(true);
  });

  it('derives independent sub-keys per purpose', () => {
    const master = Buffer.alloc(32, 1);
    expect(deriveKey(master, 'a').equals(deriveKey(master, 'b'))).toBe(false);
    expect(deriveKey(master, 'a', 16)).toHaveLength(16);
    expect(() => deriveKey(master, 'a', 33)).toThrow();
  });

  it('compares in constant time, false for different lengths', () => {
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false);
  });
});

describe('SM4 (GB/T 32907-2016)', () => {
  const key = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');

  function ecb(): ReturnType<typeof createCipheriv> {
    const c = createCipheriv('sm4-ecb', key, null);
    c.setAutoPadding(false);
    return c;
  }

  it('matches the standard example 1: one block, key = plaintext', () => {
    expect(ecb().update(key).toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
  });

  it('matches the standard example 2: the same block encrypted 1 000 000 times', () => {
    const c = ecb();
    let block: Buffer = key;
    for (let i = 0; i < 1_000_000; i++) block = c.update(block);
    expect(block.toString('hex')).toBe('595298c7c6fd271f0402f804c33d3f66');
  });

  it('SM4-CBC agrees with an independent implementation (sm-crypto)', () => {
    const iv = 'fedcba98765432100123456789abcdef';
    const c = createCipheriv('sm4-cbc', key, Buffer.from(iv, 'hex'));
    const ours = Buffer.concat([c.update('门诊病历 outpatient record', 'utf8'), c.final()]).toString('hex');
    expect(ours).toBe(smCrypto.sm4.encrypt('门诊病历 outpatient record', key.toString('hex'), { mode: 'cbc', iv }));
  });
});
