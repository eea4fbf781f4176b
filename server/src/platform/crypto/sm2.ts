/**
 * SM2 digital signatures (GB/T 32918.2, GM/T 0003) over the recommended curve, via the `sm-crypto` package:
 * SM3 with the signer's Z value (user id per GM/T 0009, default "1234567812345678"), signatures DER-encoded
 * (SEQUENCE { r INTEGER, s INTEGER }, GM/T 0009) unless `der: false` (raw r‖s, 128 hex digits).
 *
 * `sm-crypto` draws keys and nonces from an RC4 generator seeded once; a biased SM2 nonce can leak the private key,
 * so keys and per-signature nonces here come from Node's CSPRNG instead and are handed to the library.
 */
import { randomBytes } from 'node:crypto';
import smCrypto from 'sm-crypto';

const { sm2 } = smCrypto;

/** Default distinguishing identifier of GM/T 0009. */
export const SM2_DEFAULT_USER_ID = '1234567812345678';
/** Order n of the SM2 recommended curve. */
const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');

export type Sm2ErrorCode = 'invalid-private-key' | 'invalid-public-key' | 'key-mismatch' | 'signature-mismatch';

export class Sm2Error extends Error {
  constructor(
    readonly code: Sm2ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'Sm2Error';
  }
}

export interface Sm2KeyPair {
  /** 64 hex digits. */
  privateKey: string;
  /** Uncompressed point, '04' + x + y (130 hex digits). */
  publicKey: string;
}

export interface Sm2Options {
  /** Signer's distinguishing identifier (GM/T 0009); default '1234567812345678'. */
  userId?: string;
  /** DER-encoded signature (default true); false = raw r‖s hex. */
  der?: boolean;
}

export interface Sm2SignOptions extends Sm2Options {
  /** Expected public key: signing fails with 'key-mismatch' when the private key does not belong to it. */
  publicKey?: string;
}

/** 320 random bits as hex: reduced mod n-1 by the library, the bias is below 2^-60. */
function randomScalarSeed(): string {
  return randomBytes(40).toString('hex');
}

function checkPrivateKey(privateKey: string): string {
  if (typeof privateKey !== 'string' || !/^[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new Sm2Error('invalid-private-key', 'SM2 private key must be 64 hex digits');
  }
  const d = BigInt('0x' + privateKey);
  if (d < 1n || d > N - 2n) throw new Sm2Error('invalid-private-key', 'SM2 private key is out of range [1, n-2]');
  return privateKey.toLowerCase();
}

function checkPublicKey(publicKey: string): string {
  if (typeof publicKey !== 'string' || !/^(04[0-9a-fA-F]{128}|0[23][0-9a-fA-F]{64})$/.test(publicKey)) {
    throw new Sm2Error('invalid-public-key', 'SM2 public key must be hex: 04‖x‖y (130 digits) or compressed 02/03‖x (66 digits)');
  }
  if (!sm2.verifyPublicKey(publicKey)) throw new Sm2Error('invalid-public-key', 'SM2 public key is not a point on the curve');
  return publicKey.toLowerCase();
}

export function generateSm2KeyPair(): Sm2KeyPair {
  return sm2.generateKeyPairHex(randomScalarSeed(), 16);
}

export function sm2PublicKeyFromPrivate(privateKey: string): string {
  return sm2.getPublicKeyFromPrivateKey(checkPrivateKey(privateKey));
}

let bigIntegerCtor: (new (value: string, radix: number) => unknown) | undefined;

/** A fresh nonce point {k, x1 = (kG).x} from the CSPRNG, in the library's big-integer type. */
function freshPoint(): { k: unknown; x1: unknown; privateKey: string; publicKey: string } {
  // jsbn's BigInteger is not exported by sm-crypto; take its constructor from a library-made point once.
  bigIntegerCtor ??= (sm2.getPoint().k as { constructor: new (value: string, radix: number) => unknown }).constructor;
  const kp = sm2.generateKeyPairHex(randomScalarSeed(), 16);
  return {
    ...kp,
    k: new bigIntegerCtor(kp.privateKey, 16),
    x1: new bigIntegerCtor(kp.publicKey.slice(2, 66), 16),
  };
}

function toInput(document: string | Uint8Array): string | number[] {
  if (typeof document === 'string') return document;
  if (document instanceof Uint8Array) return Array.from(document);
  throw new TypeError('SM2: document must be a string (UTF-8) or bytes');
}

/** Signs a document (string as UTF-8, or bytes); returns the signature as hex. */
export function sm2Sign(document: string | Uint8Array, privateKey: string, options: Sm2SignOptions = {}): string {
  const d = checkPrivateKey(privateKey);
  const ownPublicKey = sm2.getPublicKeyFromPrivateKey(d);
  if (options.publicKey !== undefined && !sm2.comparePublicKeyHex(checkPublicKey(options.publicKey), ownPublicKey)) {
    throw new Sm2Error('key-mismatch', 'the SM2 private key does not belong to the given public key');
  }
  return sm2.doSignature(toInput(document), d, {
    hash: true,
    der: options.der ?? true,
    userId: options.userId ?? SM2_DEFAULT_USER_ID,
    publicKey: ownPublicKey,
    pointPool: [freshPoint()],
  });
}

/**
 * Verifies a signature. Returns false for a changed document, a signature made with another key or a malformed
 * signature; throws Sm2Error('invalid-public-key') when the public key itself is unusable.
 */
export function sm2Verify(document: string | Uint8Array, signature: string, publicKey: string, options: Sm2Options = {}): boolean {
  const pk = checkPublicKey(publicKey);
  const der = options.der ?? true;
  if (typeof signature !== 'string' || !/^[0-9a-fA-F]+$/.test(signature) || (!der && signature.length !== 128)) {
    return false;
  }
  try {
    return sm2.doVerifySignature(toInput(document), signature, pk, {
      hash: true,
      der,
      userId: options.userId ?? SM2_DEFAULT_USER_ID,
    });
  } catch {
    return false;
  }
}

/** Like `sm2Verify` but throws a clear Sm2Error('signature-mismatch') instead of returning false. */
export function sm2VerifyOrThrow(document: string | Uint8Array, signature: string, publicKey: string, options: Sm2Options = {}): void {
  if (!sm2Verify(document, signature, publicKey, options)) {
    throw new Sm2Error(
      'signature-mismatch',
      'SM2 signature does not verify: the document was changed, or it was signed with a different key or user id',
    );
  }
}
