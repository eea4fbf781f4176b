/**
 * Resident identity: ID-number rules (GB 11643), display masking and the probabilistic resident matcher (EMPI).
 * The synthetic test population lives in ./testpop (tests and benchmarks only).
 */
export * from './id-number.js';
export * from './matching/index.js';
