export * from './person.js';
export * from './match-operation.js';
export * from './checks.js';
export * from './merge.js';
