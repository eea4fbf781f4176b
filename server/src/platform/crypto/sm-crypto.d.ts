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
    doVerifySignature(
      msg: string | ArrayLike<number>,
      signHex: string,
      publicKey: string,
      options?: Sm2VerifyOptions,
    ): boolean;
  }
  const smCrypto: { sm2: Sm2 };
  export = smCrypto;
}
