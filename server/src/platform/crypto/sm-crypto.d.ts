// Minimal types for the parts of `sm-crypto` (0.5.x, CommonJS, no bundled types) that Yiwang uses.
declare module 'sm-crypto' {
  interface Sm2Point {
    k: unknown;
    x1: unknown;
    privateKey: string;
    publicKey: string;
  }
  interface Sm2SignatureOptions {
    pointPool?: Sm2Point[];
    der?: boolean;
    hash?: boolean;
    publicKey?: string;
    userId?: string;
  }
  interface Sm2VerifyOptions {
    der?: boolean;
    hash?: boolean;
    userId?: string;
  }
  interface Sm2 {
    generateKeyPairHex(a?: string, b?: number, c?: unknown): { privateKey: string; publicKey: string };
    compressPublicKeyHex(publicKey: string): string;
    comparePublicKeyHex(a: string, b: string): boolean;
    getPublicKeyFromPrivateKey(privateKey: string): string;
    getPoint(): Sm2Point;
    verifyPublicKey(publicKey: string): boolean;
    doSignature(msg: string | ArrayLike<number>, privateKey: string, options?: Sm2SignatureOptions): string;
    doVerifySignature(msg: string | ArrayLike<number>, signHex: string, publicKey: string, options?: Sm2VerifyOptions): boolean;
  }
  /** SM3 digest (hex); with `{ key }` (hex or bytes) HMAC-SM3. */
  type Sm3 = (input: string | ArrayLike<number>, options?: { key: string | ArrayLike<number>; mode?: 'hmac' }) => string;
  interface Sm4Options {
    padding?: 'pkcs#7' | 'pkcs#5' | 'none';
    mode?: 'ecb' | 'cbc';
    iv?: string | ArrayLike<number>;
    output?: 'string' | 'array';
  }
  interface Sm4 {
    encrypt(input: string | ArrayLike<number>, key: string | ArrayLike<number>, options?: Sm4Options): string;
    decrypt(input: string | ArrayLike<number>, key: string | ArrayLike<number>, options?: Sm4Options): string;
  }
  const smCrypto: { sm2: Sm2; sm3: Sm3; sm4: Sm4 };
  export = smCrypto;
}
