export * from './generator.js';
export * from './geography.js';
export { Rng, Weighted } from './rng.js';
export { POLYPHONE_SUBSTITUTES, SURNAMES } from './data.js';
