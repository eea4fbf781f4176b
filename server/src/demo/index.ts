export * from './catalogues.js';
export * from './county.js';
