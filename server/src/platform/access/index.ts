export * from './policy.js';
export * from './filter.js';
