import { describe, expect, it } from 'vitest';
import {
  SM2_DEFAULT_USER_ID,
  Sm2Error,
  generateSm2KeyPair,
  sm2PublicKeyFromPrivate,
  sm2Sign,
  sm2Verify,
  sm2VerifyOrThrow,
} from '../src/platform/crypto/index.js';

// GB/T 32918.5-2017 (GM/T 0003.5) appendix A: signature example on the recommended curve.
const STD = {
  privateKey: '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8',
  publicKey:
    '04' +
    '09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020' +
    'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13',
  message: 'message digest',
  r: 'f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3',
  s: 'b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa',
};

function der(r: string, s: string): string {
  const int = (h: string) => {
    const v = /^[89a-f]/.test(h) ? '00' + h : h;
    return '02' + (v.length / 2).toString(16).padStart(2, '0') + v;
  };
  const body = int(r) + int(s);
  return '30' + (body.length / 2).toString(16).padStart(2, '0') + body;
}

describe('SM2 signatures (sm-crypto, SM3 with Z, GM/T 0009 user id)', () => {
  const keys = generateSm2KeyPair();
  const prescription = JSON.stringify({ resourceType: 'MedicationRequest', id: 'rx-1', note: '阿莫西林 0.5g tid' });

  it('verifies the standard example (raw r‖s and DER) and derives its public key', () => {
    expect(sm2PublicKeyFromPrivate(STD.privateKey)).toBe(STD.publicKey);
    expect(SM2_DEFAULT_USER_ID).toBe('1234567812345678');
    expect(sm2Verify(STD.message, STD.r + STD.s, STD.publicKey, { der: false })).toBe(true);
    expect(sm2Verify(STD.message, der(STD.r, STD.s), STD.publicKey)).toBe(true);
    expect(sm2Verify(STD.message, der(STD.r, STD.s), STD.publicKey, { userId: 'ALICE123@YAHOO.COM' })).toBe(false);
    expect(sm2Verify('message digesT', STD.r + STD.s, STD.publicKey, { der: false })).toBe(false);
  });

  it('generates key pairs in hex', () => {
    expect(keys.privateKey).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.publicKey).toMatch(/^04[0-9a-f]{128}$/);
    expect(sm2PublicKeyFromPrivate(keys.privateKey)).toBe(keys.publicKey);
    expect(generateSm2KeyPair().privateKey).not.toBe(keys.privateKey);
  });

  it('signs and verifies strings and bytes; signatures are randomised', () => {
    const sig = sm2Sign(prescription, keys.privateKey);
    expect(sig).toMatch(/^30[0-9a-f]+$/);
    expect(sm2Verify(prescription, sig, keys.publicKey)).toBe(true);
    expect(sm2Verify(Buffer.from(prescription, 'utf8'), sig, keys.publicKey)).toBe(true);
    expect(sm2Sign(prescription, keys.privateKey)).not.toBe(sig);
    const bytes = Uint8Array.from([0, 1, 2, 255, 128]);
    const raw = sm2Sign(bytes, keys.privateKey, { der: false });
    expect(raw).toMatch(/^[0-9a-f]{128}$/);
    expect(sm2Verify(bytes, raw, keys.publicKey, { der: false })).toBe(true);
  });

  it('rejects a tampered document, another key, another user id and a damaged signature', () => {
    const sig = sm2Sign(prescription, keys.privateKey, { userId: 'doctor-0042@yiwang' });
    expect(sm2Verify(prescription, sig, keys.publicKey, { userId: 'doctor-0042@yiwang' })).toBe(true);
    expect(sm2Verify(prescription.replace('0.5g', '5g'), sig, keys.publicKey, { userId: 'doctor-0042@yiwang' })).toBe(false);
    expect(sm2Verify(prescription, sig, generateSm2KeyPair().publicKey, { userId: 'doctor-0042@yiwang' })).toBe(false);
    expect(sm2Verify(prescription, sig, keys.publicKey)).toBe(false);
    const damaged = sig.slice(0, -2) + (sig.endsWith('00') ? '01' : '00');
    expect(sm2Verify(prescription, damaged, keys.publicKey, { userId: 'doctor-0042@yiwang' })).toBe(false);
    expect(sm2Verify(prescription, 'zz', keys.publicKey)).toBe(false);
  });

  it('gives clear errors for unusable or mismatched keys', () => {
    const sig = sm2Sign(prescription, keys.privateKey);
    const other = generateSm2KeyPair();
    expect(() => sm2VerifyOrThrow(prescription, sig, other.publicKey)).toThrow(
      expect.objectContaining({ code: 'signature-mismatch', message: expect.stringMatching(/different key/) }),
    );
    expect(() => sm2VerifyOrThrow(prescription, sig, keys.publicKey)).not.toThrow();
    expect(() => sm2Sign(prescription, keys.privateKey, { publicKey: other.publicKey })).toThrow(
      expect.objectContaining({ code: 'key-mismatch' }),
    );
    expect(() => sm2Sign(prescription, 'abc')).toThrow(expect.objectContaining({ code: 'invalid-private-key' }));
    expect(() => sm2Sign(prescription, '0'.repeat(64))).toThrow(Sm2Error);
    expect(() => sm2Verify(prescription, sig, '04' + '00'.repeat(64))).toThrow(expect.objectContaining({ code: 'invalid-public-key' }));
    expect(() => sm2Verify(prescription, sig, keys.privateKey)).toThrow(expect.objectContaining({ code: 'invalid-public-key' }));
  });
});
